/**
 * Takes a sample in the background, now and then again `intervalMs` after each one ends (never two at once), and
 * keeps the latest with the time it was taken. Readers get that snapshot at once, without waiting for any I/O: this
 * is what lets `GET /status` and `GET /metrics` answer in constant time however busy the machine is (issue 8 #11).
 */

export interface Sample<T> {
  value: T;
  /** When the sample was started (epoch ms). */
  sampledAt: number;
}

export interface PeriodicSamplerOptions<T> {
  /** Takes one sample. Should fail soft part by part; a rejection keeps the previous sample and is reported. */
  sample: () => Promise<T>;
  /** Pause between the end of one sample and the start of the next. */
  intervalMs: number;
  onError?: (error: unknown) => void;
  /** @defaultValue Date.now */
  now?: () => number;
}

export class PeriodicSampler<T> {
  readonly #options: PeriodicSamplerOptions<T>;
  #latest: Sample<T> | undefined;
  #running: Promise<Sample<T> | undefined> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PeriodicSamplerOptions<T>) {
    this.#options = options;
  }

  /** The latest sample, or undefined before the first one ends. */
  get latest(): Sample<T> | undefined {
    return this.#latest;
  }

  /**
   * Takes a sample now (or joins the one under way) and restarts the interval from its end. `start()` is the
   * first call; later calls bring the snapshot up to date after a change (workers started).
   */
  refresh(): Promise<Sample<T> | undefined> {
    if (this.#closed) return Promise.resolve(this.#latest);
    this.#running ??= this.#take().finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
    return this.#running;
  }

  /** Takes the first sample and starts the background loop. */
  start(): Promise<Sample<T> | undefined> {
    return this.refresh();
  }

  /** Idempotent: stops the loop; a sample under way finishes but schedules nothing. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #take(): Promise<Sample<T> | undefined> {
    // Stamped when the sample starts: its figures are at least that old, so the age readers see is never flattering.
    const sampledAt = (this.#options.now ?? Date.now)();
    try {
      const value = await this.#options.sample();
      this.#latest = { value, sampledAt };
    } catch (error) {
      this.#options.onError?.(error);
    }
    return this.#latest;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, this.#options.intervalMs);
    // A sampler never keeps the process alive: shutdown stops it, and a forgotten one must not hang exit.
    this.#timer.unref();
  }
}
