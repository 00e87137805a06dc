/**
 * Builds a validated `Job`. Every check throws `InvalidJobError` naming the field, the value it got (truncated) and
 * what it expected, e.g. "Expected `timeout` to be a positive integer of ms, got `-5` (number)."
 */
import { randomUUID } from 'node:crypto';
import { ENV_KEY_PATTERN } from '../env-key.js';
import { InvalidJobError } from '../errors.js';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, MAX_JOB_RETRIES } from '../limits.js';
import { Job } from './job.js';
import { isScriptType, SCRIPT_TYPES, type ScriptType } from './script-type.js';

/** Scripts travel in the job's Redis hash and are written to an interpreter's stdin: 1 MiB of UTF-8 is plenty. */
export const MAX_SCRIPT_BYTES = 1024 * 1024;

/** Long enough for a real script, short enough that a hung one is noticed. */
export const DEFAULT_JOB_TIMEOUT_MS = 60_000;

export { ENV_KEY_PATTERN };

const generatedIds = new WeakSet<Job>();

/** True for a job whose id this builder generated (a random uuid, which no other job can share). */
export function hasGeneratedId(job: Job): boolean {
  return generatedIds.has(job);
}

/** How much of a bad value an error message shows. */
const SHOWN_VALUE_CHARS = 40;

function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol') text = value.toString();
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  const shown = text.length > SHOWN_VALUE_CHARS ? `${text.slice(0, SHOWN_VALUE_CHARS)}…` : text;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

function invalid(field: string, expected: string, value: unknown, hint = ''): InvalidJobError {
  const got = value === undefined ? 'nothing' : show(value);
  return new InvalidJobError(field, `Expected \`${field}\` to be ${expected}, got ${got}${hint}.`);
}

export interface JobBuilderDefaults {
  callerId?: string;
  contextId?: string;
}

export class JobBuilder {
  #scriptType: unknown;
  #script: unknown;
  #timeoutMs: unknown = DEFAULT_JOB_TIMEOUT_MS;
  #retries: unknown = 0;
  #env: unknown = {};
  #callerId: unknown;
  #contextId: unknown;
  #id: unknown;

  constructor(defaults: JobBuilderDefaults = {}) {
    this.#callerId = defaults.callerId ?? 'hero-supervisor';
    this.#contextId = defaults.contextId ?? 'default';
  }

  /** `ScriptType.Python`, `ScriptType.OSIS`, ... */
  scriptType(scriptType: ScriptType): this {
    this.#scriptType = scriptType;
    return this;
  }

  /** The script's source; at most `MAX_SCRIPT_BYTES` of UTF-8. */
  scriptContent(script: string): this {
    this.#script = script;
    return this;
  }

  /** Milliseconds the worker lets the script run; at most `MAX_DURATION_MS` (about 24.8 days). @defaultValue 60_000 */
  timeout(ms: number): this {
    this.#timeoutMs = ms;
    return this;
  }

  /** Further attempts after a failure; at most `MAX_JOB_RETRIES` (1,000). @defaultValue 0 */
  retries(count: number): this {
    this.#retries = count;
    return this;
  }

  /** Environment variables for the script (string values; names like `MY_VAR`). Replaces earlier ones. */
  env(env: Record<string, string>): this {
    this.#env = env;
    return this;
  }

  callerId(id: string): this {
    this.#callerId = id;
    return this;
  }

  contextId(id: string): this {
    this.#contextId = id;
    return this;
  }

  /** A job id of your own (letters, digits, `_`, `-`; BullMQ refuses `:`). @defaultValue a random uuid */
  id(id: string): this {
    this.#id = id;
    return this;
  }

  /** Validates every field and returns the job; throws `InvalidJobError` for the first bad one. */
  build(): Job {
    const scriptType = this.#scriptType;
    if (!isScriptType(scriptType)) {
      throw invalid(
        'scriptType',
        `one of ${SCRIPT_TYPES.join(', ')}`,
        scriptType,
        scriptType === undefined ? ': call .scriptType(ScriptType.Python) or another type' : '',
      );
    }
    const script = this.#script;
    if (typeof script !== 'string' || script === '') {
      throw invalid(
        'scriptContent',
        'a non-empty string',
        script,
        script === undefined ? ": call .scriptContent('print(42)')" : '',
      );
    }
    const bytes = Buffer.byteLength(script, 'utf8');
    if (bytes > MAX_SCRIPT_BYTES) {
      throw new InvalidJobError(
        'scriptContent',
        `Expected \`scriptContent\` to be at most ${MAX_SCRIPT_BYTES} bytes (1 MiB) of UTF-8, got ${bytes} bytes.`,
      );
    }
    const timeoutMs = this.#timeoutMs;
    if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
      throw invalid('timeout', 'a positive integer of ms', timeoutMs);
    }
    if (timeoutMs > MAX_DURATION_MS) throw invalid('timeout', `at most ${MAX_DURATION_TEXT}`, timeoutMs);
    const retries = this.#retries;
    if (typeof retries !== 'number' || !Number.isSafeInteger(retries) || retries < 0) {
      throw invalid('retries', 'a non-negative integer', retries);
    }
    if (retries > MAX_JOB_RETRIES) throw invalid('retries', `at most ${MAX_JOB_RETRIES}`, retries);
    const env = checkEnv(this.#env);
    const callerId = this.#callerId;
    if (typeof callerId !== 'string' || callerId === '') throw invalid('callerId', 'a non-empty string', callerId);
    const contextId = this.#contextId;
    if (typeof contextId !== 'string' || contextId === '') throw invalid('contextId', 'a non-empty string', contextId);
    const id = this.#id ?? randomUUID();
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
      throw invalid('id', '1-128 letters, digits, `_` or `-`', id);
    }
    const job = new Job({
      id,
      scriptType,
      script,
      env,
      timeoutMs,
      retries,
      callerId,
      contextId,
      createdAt: Date.now(),
    });
    if (this.#id === undefined) generatedIds.add(job);
    return job;
  }
}

function checkEnv(env: unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw invalid('env', 'an object of string values', env);
  }
  const checked: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_KEY_PATTERN.test(key)) {
      throw new InvalidJobError('env', `Expected \`env\` keys to match ${ENV_KEY_PATTERN}, got ${show(key)}.`);
    }
    if (typeof value !== 'string') throw invalid(`env.${key}`, 'a string', value);
    if (value.includes('\0')) {
      throw new InvalidJobError(`env.${key}`, `Expected \`env.${key}\` to contain no NUL character.`);
    }
    checked[key] = value;
  }
  return checked;
}
