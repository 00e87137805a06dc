/** Where the lifecycle manager reads the time: every event it sends an actor carries `at` from this clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
