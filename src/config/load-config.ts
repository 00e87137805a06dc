/**
 * Loads the config file: YAML → `${VAR}` interpolation → zod validation → environment references resolved →
 * cross-field checks. A bad config never starts half: every problem is collected and thrown at once as one
 * `ConfigError` whose lines each name a path, the value found and what was expected.
 */
import { open } from 'node:fs/promises';
import { isPair, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { ConfigError } from '../errors.js';
import { urlPassword } from '../log/redact.js';
import { isLoopbackHost } from '../net/loopback.js';
import { type ConfigIssue, formatPath, toConfigIssues, valueAt } from './config-issues.js';
import type { ScriptTypeConfig, ServiceConfig, SupervisorConfig } from './config-types.js';
import { didYouMean } from './did-you-mean.js';
import { duplicateKeyMessages } from './duplicate-keys.js';
import { interpolateEnv, isPlainObject } from './interpolate.js';
import { mergePassEnv, passEnvIssues } from './pass-env.js';
import { configSchema, MIN_ADMIN_TOKEN_LENGTH, type ParsedConfig } from './schema.js';

export interface LoadConfigOptions {
  /** Where `${VAR}`, `fromEnv`, `passwordEnv` and `tokenEnv` are read. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Named in the error message. @defaultValue the file path, or `config` */
  source?: string;
}

/**
 * The largest config file read: a real one is a few KiB; without a bound a 50 MB file took a minute and 1.8 GB to
 * refuse. Checked before anything is parsed.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function tooLarge(source: string, bytes: number): ConfigError {
  const message = `${source} is ${bytes} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`;
  return new ConfigError(`Invalid config ${source}: ${message}.`, [{ path: '', message }]);
}

/** Reads and validates a YAML config file. Throws `ConfigError` listing every problem. */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<SupervisorConfig> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_CONFIG_BYTES) throw tooLarge(path, size);
      // Read at most one byte past the limit: a file that grows while it is read is still bounded.
      const buffer = Buffer.alloc(Math.min(size, MAX_CONFIG_BYTES) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_CONFIG_BYTES) throw tooLarge(path, bytesRead);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ConfigError(`Cannot read config file ${path}: ${reason}.`, [{ path: '', message: reason }], {
      cause: error,
    });
  }
  return parseConfig(text, { source: path, ...options });
}

/** Validates a config given as YAML text or as an already parsed object. Throws `ConfigError`. */
export function parseConfig(input: string | unknown, options: LoadConfigOptions = {}): SupervisorConfig {
  const source = options.source ?? '(inline)';
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];

  let document: unknown = input;
  if (typeof input === 'string') {
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > MAX_CONFIG_BYTES) throw tooLarge(source, bytes);
    const lineCounter = new LineCounter();
    // Unique keys are checked below in linear time (the library's own check is quadratic).
    const parsed = parseDocument(input, { prettyErrors: true, uniqueKeys: false, lineCounter });
    const yamlErrors = [
      ...parsed.errors.map((error) => (error.message.split('\n')[0] ?? '').replace(/:$/, '')),
      ...duplicateKeyMessages(parsed, lineCounter),
    ];
    if (yamlErrors.length > 0) {
      throw configError(
        source,
        yamlErrors.map((message) => ({ path: '', message: `YAML: ${message}` })),
      );
    }
    const reserved = reservedKeyPaths(parsed);
    if (reserved.length > 0) {
      throw configError(
        source,
        reserved.map((path) => ({
          path,
          message: '`__proto__` is reserved by JavaScript objects and cannot be a key; choose another name',
        })),
      );
    }
    try {
      // maxAliasCount stops "billion laughs" documents that expand aliases exponentially.
      document = parsed.toJS({ maxAliasCount: 1_000 });
    } catch (error) {
      throw configError(source, [{ path: '', message: `YAML: ${(error as Error).message}` }]);
    }
  }
  if (document === null || document === undefined) document = {};
  if (!isPlainObject(document)) {
    throw configError(source, [
      { path: '', message: 'expected a mapping of settings (redis, scriptTypes, ...) at the top' },
    ]);
  }

  const interpolationIssues: { path: readonly (string | number)[]; message: string }[] = [];
  const raw = interpolateEnv(document, env, interpolationIssues);
  for (const issue of interpolationIssues) issues.push({ path: formatPath(issue.path), message: issue.message });

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) issues.push(...toConfigIssues(issue, configSchema, raw));
  }
  issues.push(...crossFieldIssues(raw));
  const resolved = result.success ? resolve(result.data, env, issues) : undefined;
  if (issues.length > 0 || resolved === undefined) throw configError(source, dedupe(issues));
  return resolved;
}

/** Lines listed in a message at most; the error's `issues` keep them all. */
const MAX_LISTED_ISSUES = 100;

/** One ConfigError listing `issues` of the config `source`, each as `  - path: message`. */
export function configError(source: string, issues: readonly ConfigIssue[]): ConfigError {
  const lines = issues
    .slice(0, MAX_LISTED_ISSUES)
    .map((issue) => `  - ${issue.path === '' ? '(top)' : issue.path}: ${issue.message}`);
  if (issues.length > MAX_LISTED_ISSUES) lines.push(`  - … and ${issues.length - MAX_LISTED_ISSUES} more`);
  const count = `${issues.length} error${issues.length === 1 ? '' : 's'}`;
  return new ConfigError(`Invalid config ${source} (${count}):\n${lines.join('\n')}`, issues);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Rules across fields, checked on the raw document so they are reported together with type errors:
 * min ≤ max, dependencies and `after` name declared services, no dependency cycle, backoff base ≤ max.
 */
function crossFieldIssues(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const services = valueAt(raw, ['services']);
  const serviceNames = isPlainObject(services) ? Object.keys(services) : [];
  const checkNames = (list: unknown, path: (string | number)[], self?: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((name, index) => {
      if (typeof name !== 'string' || serviceNames.includes(name)) {
        if (name === self)
          issues.push({ path: formatPath([...path, index]), message: `a service cannot come after itself` });
        return;
      }
      const suggestion = didYouMean(name, serviceNames);
      const hint =
        suggestion !== undefined
          ? `did you mean \`${suggestion}\`?`
          : serviceNames.length === 0
            ? 'declare it under `services`'
            : `declared services: ${serviceNames.join(', ')}`;
      issues.push({ path: formatPath([...path, index]), message: `unknown service ${JSON.stringify(name)}; ${hint}` });
    });
  };

  const scriptTypes = valueAt(raw, ['scriptTypes']);
  if (isPlainObject(scriptTypes)) {
    for (const [type, entry] of Object.entries(scriptTypes)) {
      if (!isPlainObject(entry)) continue;
      const { min, max } = entry;
      if (Number.isInteger(min) && Number.isInteger(max) && (min as number) > (max as number)) {
        issues.push({
          path: formatPath(['scriptTypes', type]),
          message: `\`min\` (${min}) is greater than \`max\` (${max}); expected min <= max`,
        });
      }
      checkNames(entry.dependencies, ['scriptTypes', type, 'dependencies']);
    }
  }
  if (isPlainObject(services)) {
    for (const [name, entry] of Object.entries(services)) {
      if (isPlainObject(entry)) checkNames(entry.after, ['services', name, 'after'], name);
    }
    const cycle = findCycle(services);
    if (cycle !== undefined) {
      issues.push({
        path: formatPath(['services', cycle[0] as string, 'after']),
        message: `services depend on each other in a cycle: ${cycle.join(' -> ')}`,
      });
    }
  }
  const base = valueAt(raw, ['restartPolicy', 'backoffBaseMs']);
  const max = valueAt(raw, ['restartPolicy', 'backoffMaxMs']);
  if (typeof base === 'number' && typeof max === 'number' && base > max) {
    issues.push({
      path: 'restartPolicy',
      message: `\`backoffBaseMs\` (${base}) is greater than \`backoffMaxMs\` (${max}); expected base <= max`,
    });
  }
  return issues;
}

function findCycle(services: Record<string, unknown>): string[] | undefined {
  const after = (name: string): string[] => {
    const entry = services[name];
    const list = isPlainObject(entry) ? entry.after : undefined;
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string' && item !== name) : [];
  };
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (trail.includes(name)) return [...trail.slice(trail.indexOf(name)), name];
    if (done.has(name) || !Object.hasOwn(services, name)) return undefined;
    for (const next of after(name)) {
      const cycle = visit(next, [...trail, name]);
      if (cycle !== undefined) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(services)) {
    const cycle = visit(name, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

type EnvEntries = ParsedConfig['scriptTypes'][string]['env'];

function resolveEnv(
  entries: EnvEntries,
  env: Readonly<Record<string, string | undefined>>,
  path: string[],
  issues: ConfigIssue[],
): { env: Record<string, string>; secretEnv: string[] } {
  const resolved: Record<string, string> = {};
  const secretEnv: string[] = [];
  for (const [key, entry] of Object.entries(entries)) {
    if (typeof entry === 'string') {
      resolved[key] = entry;
      continue;
    }
    if (entry.secret) secretEnv.push(key);
    if (entry.value !== undefined) {
      resolved[key] = entry.value;
      continue;
    }
    const from = entry.fromEnv as string;
    const found = env[from];
    if (found === undefined) {
      issues.push({
        path: formatPath([...path, key, 'fromEnv']),
        message: `environment variable ${from} is not set; set it before starting the supervisor`,
      });
      continue;
    }
    resolved[key] = found;
  }
  return { env: resolved, secretEnv };
}

function resolve(
  parsed: ParsedConfig,
  env: Readonly<Record<string, string | undefined>>,
  issues: ConfigIssue[],
): SupervisorConfig {
  const { redis, admin } = parsed;
  let password = redis.password;
  if (redis.passwordEnv !== undefined) {
    password = env[redis.passwordEnv];
    if (password === undefined) {
      issues.push({
        path: 'redis.passwordEnv',
        message: `environment variable ${redis.passwordEnv} is not set; set it to the Redis password`,
      });
    }
  }
  const tlsSetting = redis.tls;
  const wantsTls = tlsSetting !== undefined && tlsSetting !== false ? true : redis.url.startsWith('rediss://');
  const tls = wantsTls ? (typeof tlsSetting === 'object' ? tlsSetting : { rejectUnauthorized: true }) : undefined;

  const scriptTypes: Record<string, ScriptTypeConfig> = {};
  for (const [name, entry] of Object.entries(parsed.scriptTypes)) {
    const { env: resolvedEnv, secretEnv } = resolveEnv(entry.env, env, ['scriptTypes', name, 'env'], issues);
    scriptTypes[name] = {
      ...entry,
      name,
      env: resolvedEnv,
      secretEnv,
      passEnv: mergePassEnv(parsed.passEnv, entry.passEnv),
      max: entry.max ?? Math.max(entry.min, 1),
    };
  }
  const services: Record<string, ServiceConfig> = {};
  for (const [name, entry] of Object.entries(parsed.services)) {
    const { env: resolvedEnv, secretEnv } = resolveEnv(entry.env, env, ['services', name, 'env'], issues);
    services[name] = {
      ...entry,
      name,
      env: resolvedEnv,
      secretEnv,
      passEnv: mergePassEnv(parsed.passEnv, entry.passEnv),
    };
  }

  checkFleetTypes(parsed, issues);
  const tokenFromEnv = admin.token === undefined ? nonEmpty(env[admin.tokenEnv]) : undefined;
  if (tokenFromEnv !== undefined && tokenFromEnv.length < MIN_ADMIN_TOKEN_LENGTH) {
    issues.push({
      path: 'admin.tokenEnv',
      message: `${admin.tokenEnv} holds a token of ${tokenFromEnv.length} characters; expected at least ${MIN_ADMIN_TOKEN_LENGTH}, as for \`admin.token\` (e.g. \`openssl rand -hex 24\`)`,
    });
  }
  if (admin.enabled && admin.socketPath === undefined && !admin.allowRemote && !isLoopbackHost(admin.host)) {
    issues.push({
      path: 'admin.host',
      message: `${JSON.stringify(admin.host)} is not a loopback address: the admin endpoint would be reachable from the network. Use 127.0.0.1 (or a socketPath), or set \`admin.allowRemote: true\` to mean it`,
    });
  }
  const token = admin.token ?? tokenFromEnv;
  const config: SupervisorConfig = {
    redis: {
      url: redis.url,
      keyPrefix: redis.keyPrefix,
      ...(tls !== undefined && { tls }),
      ...(redis.username !== undefined && { username: redis.username }),
      ...(password !== undefined && { password }),
      ...(redis.cluster !== undefined && { cluster: redis.cluster }),
    },
    processManager: parsed.processManager,
    scriptTypes,
    services,
    health: parsed.health,
    restartPolicy: parsed.restartPolicy,
    logging: parsed.logging,
    admin: {
      enabled: admin.enabled,
      host: admin.host,
      port: admin.port,
      tokenEnv: admin.tokenEnv,
      ...(admin.socketPath !== undefined && { socketPath: admin.socketPath }),
      ...(token !== undefined && { token }),
      ...(admin.tokenFile !== undefined && { tokenFile: admin.tokenFile }),
      ...(admin.allowRemote && { allowRemote: true }),
    },
    ...(parsed.fleet !== undefined && { fleet: parsed.fleet }),
  };
  issues.push(...passEnvIssues(parsed, configSecrets(config), env));
  return config;
}

/** The fleet's bounds name configured script types, and min <= max. */
function checkFleetTypes(parsed: ParsedConfig, issues: ConfigIssue[]): void {
  for (const [name, limits] of Object.entries(parsed.fleet?.scriptTypes ?? {})) {
    const known = Object.keys(parsed.scriptTypes);
    if (!known.includes(name)) {
      issues.push({
        path: `fleet.scriptTypes.${name}`,
        message: `unknown script type; expected one of ${known.map((type) => `\`${type}\``).join(', ') || '(none configured)'}`,
      });
    } else if (limits.min !== undefined && limits.max !== undefined && limits.min > limits.max) {
      issues.push({
        path: `fleet.scriptTypes.${name}`,
        message: `\`min\` (${limits.min}) is greater than \`max\` (${limits.max}); expected min <= max`,
      });
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Every secret value in a resolved config, for a `Redactor`: passwords, the admin token, env values marked secret. */
export function configSecrets(config: SupervisorConfig): string[] {
  const secrets: string[] = [];
  if (config.redis.password !== undefined) secrets.push(config.redis.password);
  const inUrl = urlPassword(config.redis.url);
  if (inUrl !== undefined) secrets.push(inUrl);
  if (config.admin.token !== undefined) secrets.push(config.admin.token);
  for (const entry of [...Object.values(config.scriptTypes), ...Object.values(config.services)]) {
    for (const key of entry.secretEnv) {
      const value = entry.env[key];
      if (value !== undefined) secrets.push(value);
    }
  }
  return secrets;
}

/**
 * Paths of every `__proto__` key: turned into a JavaScript object, such a key would set the object's prototype
 * and vanish from the config instead of being validated (a service of that name would be silently dropped).
 */
function reservedKeyPaths(document: ReturnType<typeof parseDocument>): string[] {
  const found: string[] = [];
  visit(document, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.value !== '__proto__') return;
      const keys = ancestors
        .filter(isPair)
        .map((ancestor) => String(isScalar(ancestor.key) ? ancestor.key.value : '?'));
      found.push([...keys, '__proto__'].join('.'));
    },
  });
  return found;
}
