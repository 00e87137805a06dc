/**
 * A bounded ring of output lines per service, with `tail` and `follow` readers. Old lines are dropped once the ring
 * is full; a follower that falls behind skips what was dropped rather than holding memory for it.
 */

export class LogRing {
  readonly #capacity: number;
  readonly #lines: string[] = [];
  /** Sequence number of `#lines[0]`; line n of the service's life has sequence n. */
  #firstSequence = 0;
  #waiters = new Set<() => void>();
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#lines.length;
  }

  push(line: string): void {
    if (this.#closed) return;
    this.#lines.push(line);
    if (this.#lines.length > this.#capacity) {
      this.#lines.shift();
      this.#firstSequence += 1;
    }
    this.#wake();
  }

  /** The last `count` lines (all of them when `count` is undefined). */
  tail(count?: number): string[] {
    if (count === undefined) return [...this.#lines];
    if (count <= 0) return [];
    return this.#lines.slice(-count);
  }

  /** Ends every follower: the service was removed or the manager closed. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  /** Yields the last `tail` lines (all when undefined), then, with `follow`, every new line until closed or returned. */
  async *read({ tail, follow = false }: { tail?: number; follow?: boolean } = {}): AsyncGenerator<string> {
    const initial = this.tail(tail);
    let next = this.#firstSequence + this.#lines.length;
    yield* initial;
    if (!follow) return;
    while (!this.#closed) {
      if (next < this.#firstSequence) next = this.#firstSequence;
      const end = this.#firstSequence + this.#lines.length;
      if (next < end) {
        const line = this.#lines[next - this.#firstSequence] as string;
        next += 1;
        yield line;
        continue;
      }
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }
}

/**
 * Longest line kept whole: a process printing megabytes without a newline must not grow memory without bound, so
 * longer runs are cut into pieces of this size.
 */
export const MAX_LINE_LENGTH = 16 * 1024;

/** Splits a byte stream into lines (`\n` or `\r\n`), calling `onLine` for each; flushes the last partial line on end. */
export function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  const emit = (line: string) => {
    for (let start = 0; start < line.length; start += MAX_LINE_LENGTH)
      onLine(line.slice(start, start + MAX_LINE_LENGTH));
    if (line.length === 0) onLine('');
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      emit(line.endsWith('\r') ? line.slice(0, -1) : line);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    // Without a newline in sight, emit full pieces now rather than buffering without bound.
    if (pending.length > MAX_LINE_LENGTH) {
      const whole = pending.length - (pending.length % MAX_LINE_LENGTH);
      emit(pending.slice(0, whole));
      pending = pending.slice(whole);
    }
  });
  stream.on('end', () => {
    if (pending.length > 0) emit(pending);
    pending = '';
  });
}
