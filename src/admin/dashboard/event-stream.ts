/**
 * Server-sent events to the open dashboards: one serialized message written to every client. `retry` tells the
 * browser to reconnect a second after the stream ends (a daemon restart), and a comment every 15 s keeps proxies
 * and idle-connection timers from closing a quiet stream.
 */
import type { ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security-headers.js';

const RECONNECT_AFTER_MS = 1_000;
const KEEPALIVE_MS = 15_000;

export class EventStreamHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #redact: (text: string) => string;
  readonly #keepalive: NodeJS.Timeout;

  /** `redact` scrubs every message: no secret reaches a browser, whatever a reason or log line contains. */
  constructor(redact: (text: string) => string) {
    this.#redact = redact;
    this.#keepalive = setInterval(() => this.#writeAll(': keepalive\n\n'), KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Starts a stream on `response` and sends it `first` (the snapshot) before anything else. */
  open(response: ServerResponse, first: { event: string; data: unknown }): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
    response.write(this.#format(first.event, first.data));
    this.#clients.add(response);
    response.once('close', () => this.#clients.delete(response));
  }

  send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    this.#writeAll(this.#format(event, data));
  }

  /** Ends every stream (the daemon is stopping: the browsers will reconnect to the next one). */
  close(): void {
    clearInterval(this.#keepalive);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #format(event: string, data: unknown): string {
    // JSON has no raw newlines, so one `data:` line carries the whole message.
    return `event: ${event}\ndata: ${this.#redact(JSON.stringify(data))}\n\n`;
  }

  #writeAll(text: string): void {
    for (const client of this.#clients) client.write(text);
  }
}
