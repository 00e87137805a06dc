/**
 * `WorkerConfig`: how to run one worker process (the design's `WorkerConfig::new(name, binary_path, script_type)`
 * with its `with_*` methods). Values are checked when set; each check names the option and the rule.
 * A config is also a template: `{workerId}` and `{redisUrl}` in args and env values are filled per instance.
 */
import { isAbsolute } from 'node:path';
import { ConfigError } from '../errors.js';
import { assertDuration, configError } from '../limits.js';
import { splitShellWords } from '../process/zinit/shell-words.js';

/** Names become service names (Zinit refuses `.`, `/` and `\`) and queue names (BullMQ refuses `:`). */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Script types become queue names and worker ids (`python_worker_0`). */
const SCRIPT_TYPE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/**
 * Matches NAME_PATTERN but cannot name a worker: XState keeps child actors in a plain object
 * (`children[id] = actorRef`), where `__proto__` replaces the prototype instead of adding a child.
 */
const RESERVED_NAME = '__proto__';

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const cut = text !== undefined && text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `\`${cut}\` (${typeof value})`;
}

function invalid(path: string, expected: string, value: unknown): ConfigError {
  return new ConfigError(`Expected \`${path}\` to be ${expected}, got ${shown(value)}.`, [
    { path, message: `expected ${expected}` },
  ]);
}

function checkArgv(path: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.includes('\0'))) {
    throw invalid(path, 'an array of strings without NUL bytes (argv, never a shell string)', value);
  }
  return Object.freeze([...value]);
}

/** A one-string command as shell words (no shell, no expansion); unbalanced quotes are refused, naming the option. */
function splitCommandLine(path: string, text: string): readonly string[] {
  const words = splitShellWords(text);
  if (words === undefined) throw invalid(path, 'a command line with balanced quotes and no trailing backslash', text);
  return words;
}

export class WorkerConfig {
  readonly name: string;
  readonly binaryPath: string;
  readonly scriptType: string;
  #args: readonly string[] = [];
  #env: Readonly<Record<string, string>> = {};
  #secretEnv = new Set<string>();
  #passEnv: readonly string[] = [];
  #healthCheck: readonly string[] | undefined;
  #dependencies: readonly string[] = [];
  #stopTimeoutMs: number | undefined;
  #uid: number | undefined;
  #gid: number | undefined;
  #sha256: string | undefined;
  #cwd: string | undefined;

  constructor(name: string, binaryPath: string, scriptType: string) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw invalid('name', '1-128 letters, digits, `_` or `-`', name);
    }
    if (name === RESERVED_NAME) {
      throw invalid(
        'name',
        'a name other than `__proto__` (reserved by JavaScript objects; e.g. `proto-worker`)',
        name,
      );
    }
    if (typeof binaryPath !== 'string' || binaryPath.length === 0 || binaryPath.includes('\0')) {
      throw invalid('binaryPath', 'a non-empty path', binaryPath);
    }
    if (typeof scriptType !== 'string' || !SCRIPT_TYPE_PATTERN.test(scriptType)) {
      throw invalid('scriptType', '1-64 letters, digits, `_` or `-` (e.g. `python`)', scriptType);
    }
    this.name = name;
    this.binaryPath = binaryPath;
    this.scriptType = scriptType;
  }

  get args(): readonly string[] {
    return this.#args;
  }
  get env(): Readonly<Record<string, string>> {
    return this.#env;
  }
  /** Env keys whose values never appear in logs, status or errors. */
  get secretEnvKeys(): ReadonlySet<string> {
    return this.#secretEnv;
  }
  /** Names of the supervisor's environment variables the worker also gets (its base is PATH, HOME, LANG...). */
  get passEnv(): readonly string[] {
    return this.#passEnv;
  }
  get healthCheck(): readonly string[] | undefined {
    return this.#healthCheck;
  }
  get dependencies(): readonly string[] {
    return this.#dependencies;
  }
  /** @defaultValue undefined: the lifecycle manager's `stopTimeoutMs` (10 s) */
  get stopTimeoutMs(): number | undefined {
    return this.#stopTimeoutMs;
  }
  get uid(): number | undefined {
    return this.#uid;
  }
  get gid(): number | undefined {
    return this.#gid;
  }
  get sha256(): string | undefined {
    return this.#sha256;
  }
  get cwd(): string | undefined {
    return this.#cwd;
  }

  /** Arguments after the binary (argv elements, passed literally). Replaces earlier ones. */
  withArgs(args: readonly string[]): this {
    this.#args = checkArgv('args', args);
    return this;
  }

  /** Adds environment variables. With `{ secret: true }` their values are redacted everywhere. */
  withEnv(env: Readonly<Record<string, string>>, { secret = false }: { secret?: boolean } = {}): this {
    if (typeof env !== 'object' || env === null) throw invalid('env', 'an object of strings', env);
    for (const [key, value] of Object.entries(env)) {
      if (!ENV_KEY_PATTERN.test(key)) throw invalid(`env.${key}`, 'a key of letters, digits and `_`', key);
      if (typeof value !== 'string' || value.includes('\0'))
        throw invalid(`env.${key}`, 'a string without NUL bytes', value);
      if (secret) this.#secretEnv.add(key);
    }
    this.#env = Object.freeze({ ...this.#env, ...env });
    return this;
  }

  /** Adds environment variables whose values are secrets (never logged, never in status). */
  withSecretEnv(env: Readonly<Record<string, string>>): this {
    return this.withEnv(env, { secret: true });
  }

  /**
   * Also give the worker these variables of the supervisor's environment (read at each start). Without it a worker
   * gets only its `env` and a small base (PATH, HOME, USER, LANG, TZ, TMPDIR...; src/daemon/README.md), never the
   * supervisor's own secrets. Adds to earlier names.
   */
  withPassEnv(names: readonly string[]): this {
    const checked = checkArgv('passEnv', names);
    for (const key of checked) if (!ENV_KEY_PATTERN.test(key)) throw invalid('passEnv', 'variable names', key);
    this.#passEnv = Object.freeze([...new Set([...this.#passEnv, ...checked])]);
    return this;
  }

  /**
   * argv of a command that exits 0 once the worker is healthy (e.g. `['hero-worker', '--health-check']`), or the
   * design's one-string form (`'/usr/local/bin/osis_worker --health-check'`), split into words as Zinit splits `test:`
   * (quotes group, no expansion) and never given to a shell. argv is preferred: nothing to split.
   */
  withHealthCheck(argv: readonly string[] | string): this {
    const checked = checkArgv('healthCheck', typeof argv === 'string' ? splitCommandLine('healthCheck', argv) : argv);
    if (checked.length === 0) throw invalid('healthCheck', 'a non-empty argv', argv);
    this.#healthCheck = checked;
    return this;
  }

  /** Services (e.g. a managed `redis`) that must run before this worker starts. */
  withDependencies(names: readonly string[]): this {
    const checked = checkArgv('dependencies', names);
    for (const name of checked) if (!NAME_PATTERN.test(name)) throw invalid('dependencies', 'service names', name);
    this.#dependencies = checked;
    return this;
  }

  /** How long a stopping worker may take to finish its active job before SIGKILL. */
  withStopTimeout(ms: number): this {
    if (!Number.isInteger(ms) || ms < 0) throw invalid('stopTimeoutMs', 'a non-negative integer of ms', ms);
    assertDuration('stopTimeoutMs', ms, configError);
    this.#stopTimeoutMs = ms;
    return this;
  }

  /** Run as this unprivileged user (and group; default: the user id) with the embedded backend. */
  withUser(uid: number, gid: number = uid): this {
    if (!Number.isInteger(uid) || uid < 0) throw invalid('uid', 'a non-negative integer', uid);
    if (!Number.isInteger(gid) || gid < 0) throw invalid('gid', 'a non-negative integer', gid);
    this.#uid = uid;
    this.#gid = gid;
    return this;
  }

  /** The binary's expected sha256 (hex); checked before every start, a mismatch refuses to start. */
  withSha256(hex: string): this {
    const normalized = typeof hex === 'string' ? hex.toLowerCase() : hex;
    if (typeof normalized !== 'string' || !SHA256_PATTERN.test(normalized)) {
      throw invalid('sha256', '64 hexadecimal digits', hex);
    }
    this.#sha256 = normalized;
    return this;
  }

  withCwd(dir: string): this {
    if (typeof dir !== 'string' || !isAbsolute(dir)) throw invalid('cwd', 'an absolute path', dir);
    this.#cwd = dir;
    return this;
  }

  /** A copy under another name (an instance of this config used as a template). */
  copyAs(name: string): WorkerConfig {
    const copy = new WorkerConfig(name, this.binaryPath, this.scriptType).withArgs(this.#args);
    copy.#env = this.#env;
    copy.#secretEnv = new Set(this.#secretEnv);
    copy.#passEnv = this.#passEnv;
    copy.#healthCheck = this.#healthCheck;
    copy.#dependencies = this.#dependencies;
    copy.#stopTimeoutMs = this.#stopTimeoutMs;
    copy.#uid = this.#uid;
    copy.#gid = this.#gid;
    copy.#sha256 = this.#sha256;
    copy.#cwd = this.#cwd;
    return copy;
  }
}
