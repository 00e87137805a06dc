/**
 * Transport for the legacy line protocol: ONE command per connection. Connect, write `"<cmd>\n"`, read until the
 * server closes (the reply has no trailing newline, so EOF is the only frame end). `log` streams text lines instead.
 */
import { connect, type Socket } from 'node:net';
import { BackendUnavailableError, ZinitProtocolError } from '../../errors.js';
import { zinitUnavailableError } from './socket-errors.js';

/** Zinit answers `list`/`status` in under 1 ms; 10 s only guards against a hung server (NOTES §17). */
export const LEGACY_REQUEST_TIMEOUT_MS = 10_000;

export class LegacyZinitConnection {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = LEGACY_REQUEST_TIMEOUT_MS,
  ) {}

  /** Sends raw bytes on a fresh connection and returns everything the server sent until it closed. */
  exchange(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const socket = connect(this.socketPath);
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve(Buffer.concat(chunks).toString('utf8'));
      };
      const timer = setTimeout(
        () =>
          finish(
            new BackendUnavailableError(
              `Zinit at ${this.socketPath} did not answer \`${request.trim()}\` within ${this.timeoutMs} ms. Is it hung?`,
            ),
          ),
        this.timeoutMs,
      );
      socket.on('connect', () => socket.write(request));
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        // A legacy reply never holds a raw newline and ends with the connection. A newline-terminated line that stays
        // open is a JSON-RPC server answering (`-32700 Parse error`): Zinit was replaced by a newer version.
        if (chunk.includes(0x0a) && Buffer.concat(chunks).toString('utf8').includes('"jsonrpc":"2.0"')) {
          finish(
            new ZinitProtocolError(
              `Zinit at ${this.socketPath} answered \`${request.trim()}\` in JSON-RPC: it speaks the newer protocol (v0.2.15+).`,
            ),
          );
        }
      });
      socket.on('end', () => finish());
      socket.on('close', () => finish());
      socket.on('error', (error) => {
        // A reset after the full reply (the server drops the connection) is not a failure.
        if (chunks.length > 0 && (error as NodeJS.ErrnoException).code === 'ECONNRESET') finish();
        else finish(zinitUnavailableError(this.socketPath, error));
      });
    });
  }

  /**
   * Streams ring lines: `log snapshot` ends when the ring is dumped, `log` follows until `signal` aborts.
   * Lines are yielded without their `\n`.
   */
  async *logLines(follow: boolean, signal?: AbortSignal): AsyncGenerator<string> {
    const socket: Socket = connect(this.socketPath);
    const queue: string[] = [];
    let pending = '';
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(follow ? 'log\n' : 'log snapshot\n'));
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      queue.push(...parts);
      notify();
    });
    socket.on('close', () => {
      ended = true;
      notify();
    });
    socket.on('error', (error) => {
      failure = zinitUnavailableError(this.socketPath, error);
      ended = true;
      notify();
    });
    const onAbort = () => socket.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) {
          const line = queue.shift() as string;
          if (line.startsWith('{"state":"error"'))
            throw new ZinitProtocolError(`Zinit refused the log request: ${line}`);
          yield line;
        }
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (pending.startsWith('{"state":"error"'))
        throw new ZinitProtocolError(`Zinit refused the log request: ${pending}`);
      if (pending !== '') yield pending;
      if (failure && !signal?.aborted) throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
    }
  }
}
