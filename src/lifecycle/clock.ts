/**
 * The lifecycle layer's one time source: every event it sends an actor carries `at` from this clock, and every
 * delay it waits (polls, deadlines, background tasks, the worker actors' own timers) runs on it. The timer methods
 * have the shape of XState's `Clock`, so an `xstate` `SimulatedClock` drives the whole layer in a test.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `callback` once after `ms` of this clock. @defaultValue a Node timer that does not keep the process alive */
  setTimeout?(callback: () => void, ms: number): unknown;
  /** Cancels a timer of `setTimeout`. */
  clearTimeout?(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One timer on a clock; `cancel` is idempotent. */
export interface ClockTimer {
  cancel(): void;
}

/** Runs `callback` after `ms` of `clock` (Node timers, unref'd, for a clock without timers of its own). */
export function after(clock: Clock, ms: number, callback: () => void): ClockTimer {
  if (clock.setTimeout !== undefined && clock.clearTimeout !== undefined) {
    const handle = clock.setTimeout(callback, ms);
    const clear = clock.clearTimeout.bind(clock);
    return { cancel: () => clear(handle) };
  }
  const timer = setTimeout(callback, ms).unref();
  return { cancel: () => clearTimeout(timer) };
}

/** Resolves after `ms` of `clock`. */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    after(clock, ms, resolve);
  });
}

/**
 * The clock XState's actors run their delays on (`createActor(..., { clock })`), when the injected clock has timers;
 * undefined leaves XState's default (plain timers) in place.
 */
export function xstateClockOf(
  clock: Clock,
): { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void } | undefined {
  if (clock === systemClock || clock.setTimeout === undefined || clock.clearTimeout === undefined) return undefined;
  return { setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
}

/** `promise`'s value, or undefined when `ms` of `clock` pass first. */
export function withinOn<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ClockTimer | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = after(clock, Math.max(0, ms), () => resolve(undefined));
  });
  return Promise.race([promise, expired]).finally(() => timer?.cancel());
}
