/**
 * Talks to a daemon's admin endpoint (HTTP or Unix socket): what the CLI's control commands use, and what an
 * embedder can use too. Connection failures become `DaemonUnreachableError`, 401 `UnauthorizedError`,
 * other error answers `AdminRequestError` with the daemon's code and message.
 */

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { AdminRequestError, DaemonUnreachableError, UnauthorizedError } from '../errors.js';
import type { FleetReport } from '../fleet/fleet-report.js';
import type { StatusReport } from './status-report.js';

export interface AdminClientOptions {
  /** `http://127.0.0.1:7171`, or a Unix socket path (starting with `/`). */
  endpoint: string;
  token?: string;
  /** Per request, until the answer starts (a followed log stream then runs as long as it likes). @defaultValue 30_000 */
  timeoutMs?: number;
}

/** Long enough for a `restart` (stop waits for the worker's stop timeout), short enough to notice a hung daemon. */
const DEFAULT_TIMEOUT_MS = 30_000;

export class AdminClient {
  readonly #options: AdminClientOptions;

  constructor(options: AdminClientOptions) {
    this.#options = options;
  }

  get endpoint(): string {
    return this.#options.endpoint;
  }

  async healthz(): Promise<{ ok: boolean }> {
    return this.#json('GET', '/healthz');
  }

  async status(): Promise<StatusReport> {
    return this.#json('GET', '/status');
  }

  /** Every fleet member and its workers (404 when the daemon is not in a fleet). */
  async fleet(): Promise<FleetReport> {
    return this.#json('GET', '/fleet');
  }

  async scale(scriptType: string, n: number): Promise<void> {
    await this.#json('POST', '/scale', { type: scriptType, n });
  }

  async restart(worker: string): Promise<void> {
    await this.#json('POST', `/restart/${encodeURIComponent(worker)}`);
  }

  async stop(worker: string): Promise<void> {
    await this.#json('POST', `/stop/${encodeURIComponent(worker)}`);
  }

  async metrics(): Promise<string> {
    const response = await this.#request('GET', '/metrics');
    return readAll(response);
  }

  /** Captured lines of a worker's output; with `follow`, keeps yielding until the iterator is returned. */
  async *logs(
    worker: string,
    options: { follow?: boolean; tail?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<string> {
    const query = new URLSearchParams();
    if (options.follow) query.set('follow', '1');
    if (options.tail !== undefined) query.set('tail', String(options.tail));
    const response = await this.#request('GET', `/logs/${encodeURIComponent(worker)}?${query}`);
    const lines = createInterface({ input: response, crlfDelay: Number.POSITIVE_INFINITY });
    // Ending the response ends the line reader: a follow stops at once, not at the next line.
    const abort = () => {
      lines.close();
      response.destroy();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) abort();
    try {
      for await (const line of lines) yield line;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      lines.close();
      response.destroy();
    }
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#request(method, path, body);
    return JSON.parse(await readAll(response)) as T;
  }

  #request(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const { endpoint, token } = this.#options;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const isSocket = endpoint.startsWith('/');
    let target: { socketPath: string } | { hostname: string; port: string | number };
    if (isSocket) target = { socketPath: endpoint };
    else {
      const url = new URL(endpoint);
      target = { hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 80 };
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...target, method, path, headers }, (response) => {
        req.setTimeout(0);
        const status = response.statusCode ?? 0;
        if (status < 400) {
          resolve(response);
          return;
        }
        readAll(response).then((text) => reject(errorFromResponse(status, text, endpoint)), reject);
      });
      req.setTimeout(this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => {
        req.destroy(
          new DaemonUnreachableError(endpoint, `The daemon at ${endpoint} did not answer ${method} ${path} in time.`),
        );
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof DaemonUnreachableError) {
          reject(error);
          return;
        }
        reject(
          new DaemonUnreachableError(
            endpoint,
            `Cannot reach the hero-supervisor daemon at ${endpoint} (${error.code ?? error.message}). ` +
              'Is `hero-supervisor run -c <config>` running? Point the CLI at it with -c <config>, --endpoint or HERO_ADMIN_ENDPOINT.',
            { cause: error },
          ),
        );
      });
      req.end(payload);
    });
  }
}

function errorFromResponse(status: number, text: string, endpoint: string): Error {
  let code = 'HTTP_ERROR';
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  if (status === 401) {
    return new UnauthorizedError(
      `The daemon at ${endpoint} refused the request: ${message} ` +
        'Give the token with --token, HERO_ADMIN_TOKEN, or -c <config> (admin.token / admin.tokenFile).',
    );
  }
  return new AdminRequestError(status, code, message);
}

function readAll(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}
