/**
 * Waits for conditions over the actors' state, on the injected clock: each wait is re-checked whenever an actor
 * reports (`wake()`), and every `pollMs` of the clock as a safety net; it fails at its deadline with what it waited
 * for. A condition that throws rejects the wait with that error.
 */
import { after, type Clock, type ClockTimer } from './clock.js';

/** A fallback only: every change an actor reports wakes the waits at once. */
const DEFAULT_POLL_MS = 50;

export class ConditionWaits {
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #checks = new Set<() => void>();
  #wakeQueued = false;

  constructor(clock: Clock, pollMs = DEFAULT_POLL_MS) {
    this.#clock = clock;
    this.#pollMs = pollMs;
  }

  /** Resolves once `condition` holds; rejects after `timeoutMs` of the clock, naming `description`. */
  until(condition: () => boolean, description: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const deadline = this.#clock.now() + timeoutMs;
      let timer: ClockTimer | undefined;
      const finish = () => {
        this.#checks.delete(check);
        timer?.cancel();
      };
      const check = () => {
        let done: boolean;
        try {
          done = condition();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (done) {
          finish();
          resolve();
        } else if (this.#clock.now() > deadline) {
          finish();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${description}.`));
        }
      };
      const poll = () => {
        check();
        if (this.#checks.has(check)) timer = after(this.#clock, this.#pollMs, poll);
      };
      this.#checks.add(check);
      check();
      if (this.#checks.has(check)) timer = after(this.#clock, this.#pollMs, poll);
    });
  }

  /** Re-checks every wait after the current actor step, so a check sees the snapshot that caused the wake-up. */
  wake(): void {
    if (this.#wakeQueued || this.#checks.size === 0) return;
    this.#wakeQueued = true;
    queueMicrotask(() => {
      this.#wakeQueued = false;
      for (const check of [...this.#checks]) check();
    });
  }
}
