/**
 * Checks a ServiceSpec once, at the edge, for every backend: one small check per field, each throwing an
 * InvalidSpecError that names the field, the value and what was expected (execa's sentence shape).
 * Cross-field rules (a service may not depend on itself) name both fields.
 */
import { constants } from 'node:os';
import { ENV_KEY_PATTERN } from '../env-key.js';
import { InvalidSpecError } from '../errors.js';
import type { ServiceSpec } from './process-manager.js';

/**
 * Longest service name. Zinit uses the name as a file name (`<name>.yaml`) and log prefix; 64 keeps both short and far
 * below NAME_MAX (255).
 */
export const MAX_SERVICE_NAME_LENGTH = 64;

/** Letters, digits, `_` and `-`: safe as a file name, a log prefix and a Zinit service name. */
const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Longest stop timeout accepted: a day. Longer is surely a unit mistake (seconds given as ms the other way round). */
const MAX_STOP_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Describes a value for an error message: `"a/b" (string)`, `-5 (number)`. Long strings are cut. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 80)}… (${value.length} characters)` : value;
    return `${JSON.stringify(shown)} (string)`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `\`${String(value)}\` (${typeof value})`;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new InvalidSpecError(field, `Expected \`${field}\` to be ${expected}, got ${describeValue(value)}.`);
}

/** Names are letters, digits, `_` and `-`, 1 to MAX_SERVICE_NAME_LENGTH characters. */
export function validateServiceName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_SERVICE_NAME_LENGTH) {
    fail(field, `a string of 1 to ${MAX_SERVICE_NAME_LENGTH} characters`, name);
  }
  if (!SERVICE_NAME_PATTERN.test(name)) {
    fail(field, 'made of letters, digits, `_` and `-` only (no `.`, `/`, `\\`, spaces)', name);
  }
  return name;
}

function validateArgv(argv: unknown, field: string): void {
  if (!Array.isArray(argv) || argv.length === 0) fail(field, 'a non-empty argv array, binary first', argv);
  argv.forEach((argument: unknown, index) => {
    if (typeof argument !== 'string') fail(`${field}[${index}]`, 'a string', argument);
    if (argument.includes('\0')) fail(`${field}[${index}]`, 'a string without NUL characters', argument);
  });
  if ((argv[0] as string).length === 0) fail(`${field}[0]`, 'a non-empty binary path or name', argv[0]);
}

function validateEnv(env: unknown): void {
  if (env === undefined) return;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) fail('env', 'an object of strings', env);
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_KEY_PATTERN.test(key))
      fail(`env.${key}`, 'keyed by letters, digits and `_`, not starting with a digit', key);
    if (typeof value !== 'string') fail(`env.${key}`, 'a string', value);
    if (value.includes('\0')) fail(`env.${key}`, 'a string without NUL characters', value);
  }
}

function validateOptionalId(value: unknown, field: 'uid' | 'gid'): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_fffe) {
    fail(field, 'a non-negative integer id', value);
  }
}

function validateRestart(restart: unknown): void {
  if (restart === undefined) return;
  if (restart === null || typeof restart !== 'object') fail('restart', 'an object { mode, backoffMs }', restart);
  const { mode, backoffMs } = restart as Record<string, unknown>;
  if (mode !== undefined && mode !== 'always' && mode !== 'on-failure' && mode !== 'never') {
    fail('restart.mode', "one of 'always', 'on-failure', 'never'", mode);
  }
  if (backoffMs !== undefined && typeof backoffMs !== 'function')
    fail('restart.backoffMs', 'a function (attempt) => ms', backoffMs);
}

/**
 * Validates a spec and returns it unchanged. Throws InvalidSpecError with `field` set to the offending path
 * (`name`, `command[2]`, `env.FOO`, `stopTimeoutMs`, `after[0]`...).
 */
export function validateServiceSpec(spec: ServiceSpec): ServiceSpec {
  if (spec === null || typeof spec !== 'object') fail('spec', 'an object', spec);
  const name = validateServiceName(spec.name);
  validateArgv(spec.command, 'command');
  validateEnv(spec.env);
  if (spec.cwd !== undefined && (typeof spec.cwd !== 'string' || spec.cwd.length === 0 || spec.cwd.includes('\0'))) {
    fail('cwd', 'a non-empty path without NUL characters', spec.cwd);
  }
  if (spec.healthCheck !== undefined) validateArgv(spec.healthCheck, 'healthCheck');
  if (spec.after !== undefined) {
    if (!Array.isArray(spec.after)) fail('after', 'an array of service names', spec.after);
    spec.after.forEach((dependency, index) => {
      validateServiceName(dependency, `after[${index}]`);
      if (dependency === name) {
        throw new InvalidSpecError(
          `after[${index}]`,
          `Expected \`after\` not to contain the service's own \`name\` ${describeValue(name)}: a service cannot wait for itself.`,
        );
      }
    });
  }
  if (spec.oneshot !== undefined && typeof spec.oneshot !== 'boolean') fail('oneshot', 'a boolean', spec.oneshot);
  if (spec.stopSignal !== undefined && !(typeof spec.stopSignal === 'string' && spec.stopSignal in constants.signals)) {
    fail('stopSignal', 'a signal name such as SIGTERM', spec.stopSignal);
  }
  if (
    spec.stopTimeoutMs !== undefined &&
    (typeof spec.stopTimeoutMs !== 'number' ||
      !Number.isFinite(spec.stopTimeoutMs) ||
      spec.stopTimeoutMs < 0 ||
      spec.stopTimeoutMs > MAX_STOP_TIMEOUT_MS)
  ) {
    fail('stopTimeoutMs', `a number of ms between 0 and ${MAX_STOP_TIMEOUT_MS}`, spec.stopTimeoutMs);
  }
  validateRestart(spec.restart);
  validateOptionalId(spec.uid, 'uid');
  validateOptionalId(spec.gid, 'gid');
  return spec;
}

/** True when `signal` is a signal name this platform knows (`SIGTERM`), for kill() and stop() options. */
export function isSignalName(signal: unknown): signal is NodeJS.Signals {
  return typeof signal === 'string' && signal in constants.signals;
}
