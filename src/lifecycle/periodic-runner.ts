/**
 * The one runner of background work (health passes, autoscale polls, memory samples): each task runs every
 * `intervalMs` of the injected clock and never overlaps itself (the next run is scheduled when one finishes); a
 * failure is reported and the task carries on.
 */
import { after, type Clock, type ClockTimer } from './clock.js';

export interface PeriodicTask {
  stop(): void;
  /** Runs the task now (or right after the run in progress), then every interval again. */
  runNow(): void;
}

export class PeriodicRunner {
  readonly #clock: Clock;
  readonly #onError: (task: string, error: Error) => void;
  readonly #tasks = new Set<PeriodicTask>();

  constructor(clock: Clock, onError: (task: string, error: Error) => void) {
    this.#clock = clock;
    this.#onError = onError;
  }

  every(name: string, intervalMs: number, run: () => Promise<void>): PeriodicTask {
    let timer: ClockTimer | undefined;
    let stopped = false;
    let running = false;
    let again = false;
    const schedule = () => {
      if (stopped) return;
      if (again) {
        again = false;
        tick();
      } else timer = after(this.#clock, intervalMs, tick);
    };
    const tick = () => {
      timer?.cancel();
      running = true;
      run()
        .catch((error: Error) => this.#onError(name, error))
        .finally(() => {
          running = false;
          schedule();
        });
    };
    const task: PeriodicTask = {
      stop: () => {
        stopped = true;
        timer?.cancel();
        this.#tasks.delete(task);
      },
      runNow: () => {
        if (stopped) return;
        if (running) again = true;
        else tick();
      },
    };
    this.#tasks.add(task);
    schedule();
    return task;
  }

  stopAll(): void {
    for (const task of [...this.#tasks]) task.stop();
  }
}
