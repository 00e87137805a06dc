/**
 * `passEnv`: the explicit allowlist of the supervisor's environment variables that workers and services also get.
 * A name that holds one of the supervisor's own secrets is refused: the admin token's variable, the Redis password's,
 * a variable read into an env entry marked secret, or any variable whose value is one of the config's secrets.
 */
import { type ConfigIssue, formatPath } from './config-issues.js';
import type { ParsedConfig } from './schema.js';

/** The top-level list, then the entry's own, without repeats. */
export function mergePassEnv(global: readonly string[], own: readonly string[]): string[] {
  return [...new Set([...global, ...own])];
}

/** Variables whose values are secrets by the config's own declaration (set or not). */
function secretVariables(parsed: ParsedConfig): Map<string, string> {
  const found = new Map<string, string>([[parsed.admin.tokenEnv, 'the admin token (`admin.tokenEnv`)']]);
  if (parsed.redis.passwordEnv !== undefined) {
    found.set(parsed.redis.passwordEnv, 'the Redis password (`redis.passwordEnv`)');
  }
  const entries = [
    ...Object.entries(parsed.scriptTypes).map(([name, entry]) => [`scriptTypes.${name}`, entry.env] as const),
    ...Object.entries(parsed.services).map(([name, entry]) => [`services.${name}`, entry.env] as const),
  ];
  for (const [path, env] of entries) {
    for (const [key, value] of Object.entries(env)) {
      if (typeof value === 'object' && value.secret && value.fromEnv !== undefined) {
        found.set(value.fromEnv, `a secret (\`${path}.env.${key}\`)`);
      }
    }
  }
  return found;
}

/** One issue per `passEnv` name that would hand a worker or service one of the supervisor's secrets. */
export function passEnvIssues(
  parsed: ParsedConfig,
  secrets: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigIssue[] {
  const declared = secretVariables(parsed);
  const lists: [(string | number)[], readonly string[]][] = [
    [['passEnv'], parsed.passEnv],
    ...Object.entries(parsed.scriptTypes).map(([name, entry]): [string[], string[]] => [
      ['scriptTypes', name, 'passEnv'],
      entry.passEnv,
    ]),
    ...Object.entries(parsed.services).map(([name, entry]): [string[], string[]] => [
      ['services', name, 'passEnv'],
      entry.passEnv,
    ]),
  ];
  const issues: ConfigIssue[] = [];
  for (const [path, names] of lists) {
    names.forEach((name, index) => {
      const value = env[name];
      const holds =
        declared.get(name) ??
        (value !== undefined && value !== '' && secrets.includes(value) ? 'a secret of this config' : undefined);
      if (holds === undefined) return;
      issues.push({
        path: formatPath([...path, index]),
        message: `${name} holds ${holds}; a worker or service must never get the supervisor's secrets. Give the process what it needs in \`env\` (marked \`secret: true\`)`,
      });
    });
  }
  return issues;
}
