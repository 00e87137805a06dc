/**
 * Upper bounds of every duration and count hero-supervisor accepts, declared once and checked at each entry point
 * (config file, builders, job options, worker options). A value above its bound is refused with the field named and
 * the bound stated, never accepted and then honoured wrongly.
 *
 * Why 2^31 − 1 ms: Node's timers store their delay in a signed 32-bit integer. A longer delay (say `720h`) is
 * replaced by 1 ms with only a `TimeoutOverflowWarning`, so a timer meant to fire in a month fires at once, again
 * and again. Refusing is simpler and clearer than timers that re-arm in chunks, and 24.8 days is far beyond any
 * sensible timeout or interval here.
 */

import { ConfigError } from './errors.js';

/** Node's largest timer delay: 2,147,483,647 ms, about 24.8 days. Every duration must be at most this. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Workers of one script type (`min`, `max`, `initial`): one supervisor is built and benchmarked for 10,000 in all. */
export const MAX_WORKERS_PER_TYPE = 10_000;

/** Retries of one job (BullMQ `attempts` = retries + 1). */
export const MAX_JOB_RETRIES = 1_000;

/** Any other count (failure thresholds, restart intensity, memory readings, jobs per worker, concurrency). */
export const MAX_COUNT = 1_000_000;

/** `2147483647 ms (about 24.8 days, Node's timer limit)`: the bound as every message states it. */
export const MAX_DURATION_TEXT = `${MAX_DURATION_MS} ms (about 24.8 days, Node's timer limit)`;

/** Why a duration is out of range, or `undefined` when it is fine (`min` 0 or 1: may it be zero?). */
export function durationProblem(value: unknown, min: 0 | 1 = 0): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'expected a number of ms';
  if (value < min) return min === 0 ? 'expected a non-negative number of ms' : 'expected a positive number of ms';
  if (value > MAX_DURATION_MS) return `expected at most ${MAX_DURATION_TEXT}`;
  return undefined;
}

/** Why a count is out of `[min, max]`, or `undefined` when it is fine. */
export function countProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'expected an integer';
  if (value < min || value > max) return `expected an integer from ${min} to ${max.toLocaleString('en-US')}`;
  return undefined;
}

/**
 * Throws `makeError(field, message)` when `value` is not a duration within `[min, MAX_DURATION_MS]`. The message
 * names the field, the value and the bound: "Expected `health.idleTimeoutMs` to be at most 2147483647 ms (about
 * 24.8 days, Node's timer limit), got `2592000000`."
 */
export function assertDuration<E extends Error>(
  field: string,
  value: unknown,
  makeError: (field: string, message: string) => E,
  min: 0 | 1 = 0,
): asserts value is number {
  const problem = durationProblem(value, min);
  if (problem !== undefined) throw makeError(field, expectation(field, problem, value));
}

/** As `assertDuration`, for a count within `[min, max]`. */
export function assertCount<E extends Error>(
  field: string,
  value: unknown,
  min: number,
  max: number,
  makeError: (field: string, message: string) => E,
): asserts value is number {
  const problem = countProblem(value, min, max);
  if (problem !== undefined) throw makeError(field, expectation(field, problem, value));
}

/** The error factory of builder and config checks: a `ConfigError` whose issue names the field. */
export function configError(field: string, message: string): ConfigError {
  return new ConfigError(message, [{ path: field, message }]);
}

function expectation(field: string, problem: string, value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `Expected \`${field}\` to be ${problem.replace(/^expected /, '')}, got \`${shown}\` (${typeof value}).`;
}
