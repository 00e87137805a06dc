/**
 * Pure restart accounting for the worker machine: OTP-style restart intensity, exponential backoff with
 * jitter, and a tiny seeded random source so the machine stays deterministic. Every function takes `now`
 * (or the random value) as an argument; nothing here reads a clock.
 */

/** OTP-style restart accounting: keep restarts inside the window, say whether the limit is passed. */
export function recordRestart(history: readonly number[], now: number, windowMs: number, maxRestarts: number) {
  const recent = [now, ...history.filter((at) => at > now - windowMs)];
  return { history: recent, exceeded: recent.length > maxRestarts };
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before the `attempt`-th delayed restart (attempt ≥ 1): `baseMs × 2^(attempt-1)`, capped at `maxMs`,
 * then "equal jitter": a value between half and all of it, so restarting fleets do not move in lockstep.
 * `random` is a number in [0, 1). Attempt 0 (the first restart after a stable run) costs no waiting.
 */
export function backoffDelay(attempt: number, random: number, { baseMs, maxMs }: BackoffOptions): number {
  if (attempt <= 0) return 0;
  // 2^(attempt-1) overflows to Infinity for huge attempts; Math.min caps it.
  const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random);
}

/**
 * One step of mulberry32, a 32-bit seeded generator: returns a value in [0, 1) and the next seed. The machine
 * keeps the seed in its context so that jitter is random across workers yet replayable in tests.
 */
export function nextRandom(seed: number): { value: number; seed: number } {
  const next = (seed + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, seed: next };
}

/** A stable 32-bit seed from a string (FNV-1a), so each worker name jitters differently. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface RestartPlanInput {
  restartHistory: readonly number[];
  /** How many delayed restarts in a row so far (0 after a stable run). */
  backoffAttempt: number;
  /** When the process last became running, or null when it never came up since the last failure. */
  upSince: number | null;
  jitterSeed: number;
}

export interface RestartPlanSettings {
  maxRestarts: number;
  restartWindowMs: number;
  resetBackoffAfterMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface RestartPlan {
  /** Restarts still inside the window, this one included. */
  restartHistory: number[];
  /** More than `maxRestarts` within the window: give up instead of restarting. */
  exceeded: boolean;
  /** The attempt number used for this restart's backoff (0 = at once). */
  attempt: number;
  delayMs: number;
  jitterSeed: number;
}

/**
 * Decide what a failure at `now` leads to: give up (restart intensity exceeded) or restart after `delayMs`.
 * The backoff restarts from 0 when the worker had stayed up at least `resetBackoffAfterMs`.
 */
export function planRestart(state: RestartPlanInput, now: number, settings: RestartPlanSettings): RestartPlan {
  const { history, exceeded } = recordRestart(
    state.restartHistory,
    now,
    settings.restartWindowMs,
    settings.maxRestarts,
  );
  const stayedUp = state.upSince !== null && now - state.upSince >= settings.resetBackoffAfterMs;
  const attempt = stayedUp ? 0 : state.backoffAttempt;
  const { value, seed } = nextRandom(state.jitterSeed);
  const delayMs = backoffDelay(attempt, value, { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs });
  return { restartHistory: history, exceeded, attempt, delayMs, jitterSeed: seed };
}

/** A readable reason for an exit: `exited with code 3`, `killed by SIGKILL`. */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `killed by ${signal}`;
  if (code !== null) return `exited with code ${code}`;
  return 'exited';
}
