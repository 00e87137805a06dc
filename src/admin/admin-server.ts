/**
 * The daemon's admin endpoint: HTTP on 127.0.0.1 by default (port configurable) or on a Unix socket.
 * Every route except `GET /healthz` needs `Authorization: Bearer <token>`; `/healthz` answers only "alive",
 * so that a load balancer or systemd probe needs no secret and learns nothing.
 *
 * Routes: GET /status, POST /scale {type, n}, POST /restart/<worker>, POST /stop/<worker>,
 * GET /logs/<worker>?follow=1&tail=N (streamed text), GET /metrics (Prometheus text), GET /healthz, and the
 * dashboard under /dashboard (src/admin/dashboard/, its own cookie login).
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Logger } from 'pino';
import { NAME_PATTERN } from '../config/schema.js';
import { SupervisorError } from '../errors.js';
import { Redactor } from '../log/redact.js';
import type { SupervisorMetrics } from '../metrics/supervisor-metrics.js';
import { isAuthorized } from './bearer-token.js';
import type { Dashboard } from './dashboard/dashboard.js';
import type { StatusReport } from './status-report.js';

/** What the admin endpoint can ask of the daemon. The daemon implements it over the lifecycle manager. */
export interface AdminControl {
  status(): Promise<StatusReport>;
  scale(scriptType: string, count: number): Promise<void>;
  restart(worker: string): Promise<void>;
  stop(worker: string): Promise<void>;
  logs(worker: string, options: { follow: boolean; tail: number }): AsyncIterable<string>;
  /** Every fleet member and its workers (GET /fleet); undefined when the daemon is not in a fleet. */
  fleet?(): Promise<unknown>;
}

export interface AdminServerOptions {
  control: AdminControl;
  metrics: SupervisorMetrics;
  /** Required on every route but /healthz. */
  token: string;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** `0` picks a free port. @defaultValue 7171 */
  port?: number;
  /** Listen on this Unix socket (mode 0600) instead of TCP. */
  socketPath?: string;
  logger: Logger;
  /** Scrubs secrets from error messages sent to clients. */
  redactor?: Redactor;
  /** Serves the live dashboard under /dashboard (its own cookie login); closed with the server. */
  dashboard?: Dashboard;
}

export type AdminAddress =
  | { type: 'tcp'; host: string; port: number; url: string }
  | { type: 'unix'; socketPath: string };

/** Request bodies are tiny JSON objects; anything bigger is refused before it is buffered. */
const MAX_BODY_BYTES = 64 * 1024;
/** Lines of captured output `GET /logs` returns by default before following. */
const DEFAULT_LOG_TAIL = 100;
const WORKER_NAME = new RegExp(NAME_PATTERN.replace('{0,62}', '{0,200}'));

/** The methods of each known route (the `Allow` header of a 405); keep in step with the routes in `#handle`. */
const ROUTE_METHODS: Readonly<Record<string, string>> = {
  healthz: 'GET',
  status: 'GET',
  fleet: 'GET',
  metrics: 'GET',
  scale: 'POST',
  restart: 'POST',
  stop: 'POST',
  logs: 'GET',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Which HTTP status a typed error becomes. */
function statusOf(error: unknown): { status: number; code: string } {
  if (error instanceof HttpError) return { status: error.status, code: error.code };
  if (error instanceof SupervisorError) {
    switch (error.code) {
      case 'WORKER_NOT_FOUND':
      case 'UNKNOWN_SERVICE':
        return { status: 404, code: error.code };
      case 'INVALID_CONFIG':
      case 'INVALID_SPEC':
        return { status: 400, code: error.code };
      default:
        return { status: 500, code: error.code };
    }
  }
  const code = (error as { code?: unknown })?.code;
  if (code === 'WORKER_NOT_FOUND' || code === 'SCRIPT_TYPE_NOT_FOUND') return { status: 404, code };
  return { status: 500, code: 'INTERNAL' };
}

export class AdminServer {
  readonly #options: AdminServerOptions;
  readonly #redactor: Redactor;
  readonly #server: Server;
  readonly #streams = new Set<ServerResponse>();
  #address: AdminAddress | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#redactor = options.redactor ?? new Redactor();
    this.#redactor.add([options.token]);
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => this.#fail(response, error));
    });
  }

  get address(): AdminAddress | undefined {
    return this.#address;
  }

  /** Starts listening; resolves with where. */
  async listen(): Promise<AdminAddress> {
    const { socketPath } = this.#options;
    if (socketPath !== undefined) {
      await removeStaleSocket(socketPath);
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(socketPath, () => resolve());
      });
      // Only the daemon's user may connect; the token still applies.
      await chmod(socketPath, 0o600);
      this.#address = { type: 'unix', socketPath };
      return this.#address;
    }
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port ?? 7171, host, () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    this.#address = { type: 'tcp', host, port, url: `http://${urlHost}:${port}` };
    return this.#address;
  }

  /** Idempotent: ends log streams, stops accepting, waits for open requests. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#options.dashboard?.close();
      for (const stream of this.#streams) stream.end();
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
    return this.#closing;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://admin');
    const method = request.method ?? 'GET';
    const segments = url.pathname.split('/').filter((segment) => segment !== '');
    const route = `${method} /${segments[0] ?? ''}`;

    if (route === 'GET /healthz' && segments.length === 1) {
      send(response, 200, { ok: true });
      return;
    }
    if (this.#options.dashboard?.owns(url.pathname)) {
      await this.#options.dashboard.handle(request, response);
      return;
    }
    if (!isAuthorized(request.headers.authorization, this.#options.token)) {
      request.resume();
      response.setHeader('WWW-Authenticate', 'Bearer realm="hero-supervisor"');
      throw new HttpError(401, 'UNAUTHORIZED', 'Missing or wrong bearer token: send `Authorization: Bearer <token>`.');
    }

    const { control, metrics } = this.#options;
    switch (route) {
      case 'GET /status':
        expectSegments(segments, 1);
        send(response, 200, await control.status());
        return;
      case 'GET /fleet': {
        expectSegments(segments, 1);
        const fleet = await control.fleet?.();
        if (fleet === undefined)
          throw new HttpError(404, 'NOT_FOUND', 'This daemon is not in a fleet (no `fleet` in its config).');
        send(response, 200, fleet);
        return;
      }
      case 'GET /metrics': {
        expectSegments(segments, 1);
        metrics.update(await control.status());
        const text = await metrics.render();
        response.writeHead(200, { 'Content-Type': metrics.contentType });
        response.end(this.#redactor.redact(text));
        return;
      }
      case 'POST /scale': {
        expectSegments(segments, 1);
        const body = await readJson(request);
        const type = body.type;
        const n = body.n;
        if (typeof type !== 'string' || !WORKER_NAME.test(type))
          throw new HttpError(400, 'BAD_REQUEST', 'Expected `type` to be a script type name.');
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
          throw new HttpError(
            400,
            'BAD_REQUEST',
            `Expected \`n\` to be a non-negative integer, got ${JSON.stringify(n)}.`,
          );
        await control.scale(type, n);
        send(response, 200, { ok: true, scriptType: type, n });
        return;
      }
      case 'POST /restart':
      case 'POST /stop': {
        expectSegments(segments, 2);
        const worker = workerName(segments[1] as string);
        request.resume();
        await (route === 'POST /restart' ? control.restart(worker) : control.stop(worker));
        send(response, 200, { ok: true, worker });
        return;
      }
      case 'GET /logs': {
        expectSegments(segments, 2);
        const worker = workerName(segments[1] as string);
        const follow = ['1', 'true', 'yes'].includes(url.searchParams.get('follow') ?? '');
        const tail = Number(url.searchParams.get('tail') ?? DEFAULT_LOG_TAIL);
        if (!Number.isInteger(tail) || tail < 0)
          throw new HttpError(400, 'BAD_REQUEST', 'Expected `tail` to be a non-negative integer.');
        await this.#streamLogs(response, control.logs(worker, { follow, tail }));
        return;
      }
      default: {
        request.resume();
        const allowed = ROUTE_METHODS[segments[0] ?? ''];
        if (allowed !== undefined && Object.hasOwn(ROUTE_METHODS, segments[0] ?? '')) {
          response.setHeader('Allow', allowed);
          throw new HttpError(
            405,
            'METHOD_NOT_ALLOWED',
            `${method} is not allowed on /${segments[0]}; use ${allowed}.`,
          );
        }
        throw new HttpError(404, 'NOT_FOUND', `No route ${method} ${url.pathname}.`);
      }
    }
  }

  async #streamLogs(response: ServerResponse, lines: AsyncIterable<string>): Promise<void> {
    const iterator = lines[Symbol.asyncIterator]();
    // The first line (or the end) decides the status: an unknown worker must still be a 404, not a 200 stream.
    let next = await iterator.next();
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    this.#streams.add(response);
    let open = true;
    response.once('close', () => {
      open = false;
      this.#streams.delete(response);
      void iterator.return?.();
    });
    try {
      while (!next.done && open) {
        response.write(`${this.#redactor.redact(next.value)}\n`);
        next = await iterator.next();
      }
    } finally {
      this.#streams.delete(response);
      response.end();
    }
  }

  #fail(response: ServerResponse, error: unknown): void {
    const { status, code } = statusOf(error);
    const message = this.#redactor.redact(error instanceof Error ? error.message : String(error));
    if (status >= 500) this.#options.logger.error({ err: error }, 'admin request failed');
    if (response.headersSent) {
      response.end();
      return;
    }
    send(response, status, { error: { code, message } });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(text);
}

function expectSegments(segments: string[], count: number): void {
  if (segments.length !== count) throw new HttpError(404, 'NOT_FOUND', `No route /${segments.join('/')}.`);
}

function workerName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'Expected a URL-encoded worker name.');
  }
  if (!WORKER_NAME.test(name))
    throw new HttpError(
      400,
      'BAD_REQUEST',
      'Expected a worker name of letters, digits, `_` and `-` (e.g. python_worker_0).',
    );
  return name;
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'TOO_LARGE', `Request body over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'Expected a JSON object body.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'BAD_REQUEST', 'Expected a JSON object body.');
  return body as Record<string, unknown>;
}

/** A socket file left by a daemon that died is removed; anything else at that path is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const stats = await lstat(path);
    if (!stats.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it.`);
    if (await socketAnswers(path)) throw new Error(`Another daemon already listens on ${path}; stop it first.`);
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
