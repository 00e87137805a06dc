/**
 * The live dashboard the admin endpoint serves under `/dashboard`: the fleet table, each worker's statechart lit
 * up, charts of the last 15 minutes, recent lifecycle events, and restart/stop/scale actions, updated by
 * server-sent events. See src/admin/README.md.
 *
 * Access: the admin token buys a signed session cookie (`dashboard-session.ts`); the page, the stream and the
 * API need it, actions also need the session's CSRF token and a same-origin request. The static files (code and
 * styles, the same in every installation, no data) are served without it, so the login page can load.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Redactor } from '../../log/redact.js';
import type { AdminControl } from '../admin-server.js';
import { backendEventSourceOf, DashboardActivity, type LifecycleEventSource } from './dashboard-activity.js';
import { DashboardAssets } from './dashboard-assets.js';
import { DashboardHistory, SAMPLE_INTERVAL_MS } from './dashboard-history.js';
import {
  assertSameOrigin,
  DashboardHttpError,
  httpStatusOf,
  parseJsonObject,
  readBody,
  scaleRequestOf,
  workerNameOf,
} from './dashboard-request.js';
import { DashboardSessions } from './dashboard-session.js';
import { type DashboardView, dashboardView } from './dashboard-view.js';
import { EventStreamHub } from './event-stream.js';
import { SECURITY_HEADERS } from './security-headers.js';

export interface DashboardOptions {
  control: AdminControl;
  /** The lifecycle manager (its `on`). */
  events: LifecycleEventSource;
  /** The process manager: one that reports a lost backend (Zinit's `subscribeBackend`) has it listed. */
  processManager?: object;
  token: string;
  logger: Logger;
  redactor?: Redactor;
}

/** Log lines shown when a worker is clicked. */
const LOG_TAIL = 40;

export class Dashboard {
  readonly #options: DashboardOptions;
  readonly #redactor: Redactor;
  readonly #sessions: DashboardSessions;
  readonly #assets = new DashboardAssets();
  readonly #history = new DashboardHistory();
  readonly #activity: DashboardActivity;
  readonly #hub: EventStreamHub;
  readonly #timer: NodeJS.Timeout;
  #latest: DashboardView | undefined;
  #sampling = false;

  constructor(options: DashboardOptions) {
    this.#options = options;
    this.#redactor = options.redactor ?? new Redactor();
    this.#redactor.add([options.token]);
    this.#sessions = new DashboardSessions({ token: options.token });
    this.#hub = new EventStreamHub((text) => this.#redactor.redact(text));
    const backend = options.processManager && backendEventSourceOf(options.processManager);
    this.#activity = new DashboardActivity(options.events, backend);
    this.#activity.subscribe((change) => {
      if (change.activity !== undefined) this.#hub.send('activity', change.activity);
      if (change.transition !== undefined) this.#hub.send('transition', change.transition);
    });
    // Samples are taken whether or not a page is open, so a page opened later shows the last 15 minutes.
    this.#timer = setInterval(() => void this.#sample(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
    void this.#sample();
  }

  /** Whether `pathname` belongs to the dashboard (the admin server hands such requests to `handle`). */
  owns(pathname: string): boolean {
    return pathname === '/dashboard' || pathname.startsWith('/dashboard/');
  }

  /** Answers one request under /dashboard; errors become JSON answers, never an exception. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.#route(request, response);
    } catch (error) {
      this.#fail(response, error);
    }
  }

  /** Ends the event streams (open pages reconnect to the next daemon) and stops sampling. */
  close(): void {
    clearInterval(this.#timer);
    this.#activity.close();
    this.#hub.close();
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://admin');
    const method = request.method ?? 'GET';
    const segments = url.pathname
      .split('/')
      .filter((segment) => segment !== '')
      .slice(1);
    const [first, second, third] = segments;
    const session = this.#sessions.sessionOf(request.headers.cookie);

    if ((first === undefined || (first === 'login' && segments.length === 1)) && method === 'GET') {
      request.resume();
      // Without a session /dashboard sends the browser to the login form, with one /dashboard/login sends it back.
      // A redirect keeps the URL fragment, so `/dashboard#token=...` logs in through the form's script.
      const wanted = session === undefined ? 'login' : 'dashboard';
      if ((first === undefined ? 'dashboard' : 'login') !== wanted) {
        response.writeHead(303, {
          ...SECURITY_HEADERS,
          Location: wanted === 'login' ? '/dashboard/login' : '/dashboard',
        });
        response.end();
        return;
      }
      await this.#sendAsset(response, `${wanted}.html`, 200);
      return;
    }
    if (first === 'assets' && segments.length === 2 && method === 'GET') {
      request.resume();
      if (second === undefined || !this.#assets.has(second))
        throw new DashboardHttpError(404, 'NOT_FOUND', `No dashboard asset ${url.pathname}.`);
      await this.#sendAsset(response, second, 200);
      return;
    }
    if (first === 'login' && segments.length === 1 && method === 'POST') {
      await this.#login(request, response);
      return;
    }
    if (first === 'logout' && segments.length === 1 && method === 'POST') {
      request.resume();
      assertSameOrigin(request);
      response.writeHead(204, { ...SECURITY_HEADERS, 'Set-Cookie': this.#sessions.clearedCookie() });
      response.end();
      return;
    }
    if (first !== 'api') {
      request.resume();
      throw new DashboardHttpError(404, 'NOT_FOUND', `No dashboard route ${method} ${url.pathname}.`);
    }
    if (session === undefined) {
      request.resume();
      throw new DashboardHttpError(401, 'UNAUTHORIZED', 'Log in to the dashboard with the admin token first.');
    }

    const { control } = this.#options;
    // /dashboard/api/<resource>[/<name>]
    const route = `${method} ${second ?? ''}${third === undefined ? '' : '/:name'}`;
    if (segments.length > 3) throw new DashboardHttpError(404, 'NOT_FOUND', `No dashboard route ${url.pathname}.`);
    switch (route) {
      case 'GET session':
        request.resume();
        this.#sendJson(response, 200, { csrf: this.#sessions.csrfFor(session) });
        return;
      case 'GET stream':
        request.resume();
        this.#hub.open(response, { event: 'snapshot', data: await this.#snapshot() });
        return;
      case 'GET workers/:name': {
        request.resume();
        const worker = workerNameOf(third);
        const logs = await collect(control.logs(worker, { follow: false, tail: LOG_TAIL }), LOG_TAIL);
        this.#sendJson(response, 200, { worker, transitions: this.#activity.transitionsOf(worker), logs });
        return;
      }
      case 'POST restart/:name':
      case 'POST stop/:name': {
        await this.#checkAction(request, session);
        const worker = workerNameOf(third);
        await (second === 'restart' ? control.restart(worker) : control.stop(worker));
        this.#options.logger.info({ worker, action: second }, 'dashboard action');
        this.#sendJson(response, 200, { ok: true, worker });
        return;
      }
      case 'POST scale': {
        const body = parseJsonObject(await this.#checkAction(request, session));
        const { type, n } = scaleRequestOf(body);
        await control.scale(type, n);
        this.#options.logger.info({ scriptType: type, n, action: 'scale' }, 'dashboard action');
        this.#sendJson(response, 200, { ok: true, scriptType: type, n });
        return;
      }
      default:
        request.resume();
        throw new DashboardHttpError(404, 'NOT_FOUND', `No dashboard route ${method} ${url.pathname}.`);
    }
  }

  /** Same origin, JSON, and the session's CSRF token; returns the body. */
  async #checkAction(request: IncomingMessage, session: string): Promise<string> {
    assertSameOrigin(request);
    const csrf = request.headers['x-csrf-token'];
    if (!this.#sessions.isCsrfValid(session, typeof csrf === 'string' ? csrf : undefined)) {
      request.resume();
      throw new DashboardHttpError(403, 'CSRF', 'Missing or wrong X-CSRF-Token header: reload the dashboard.');
    }
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      request.resume();
      throw new DashboardHttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Expected Content-Type: application/json.');
    }
    return readBody(request);
  }

  /** The token from the login form (urlencoded) or the page's script (JSON); a good one sets the cookie. */
  async #login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    assertSameOrigin(request);
    const contentType = request.headers['content-type'] ?? '';
    const text = await readBody(request);
    const fromForm = contentType.startsWith('application/x-www-form-urlencoded');
    const given = fromForm ? new URLSearchParams(text).get('token') : parseJsonObject(text).token;
    const ok = typeof given === 'string' && this.#sessions.isToken(given);
    if (fromForm) {
      // A form post lands back on the dashboard (or on the form, saying the token was wrong).
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        Location: ok ? '/dashboard' : '/dashboard/login?failed=1',
        ...(ok && { 'Set-Cookie': this.#sessions.cookieFor(this.#sessions.issue()) }),
      });
      response.end();
      return;
    }
    if (!ok) throw new DashboardHttpError(401, 'UNAUTHORIZED', 'Wrong admin token.');
    response.writeHead(204, { ...SECURITY_HEADERS, 'Set-Cookie': this.#sessions.cookieFor(this.#sessions.issue()) });
    response.end();
  }

  async #snapshot(): Promise<{ view: DashboardView; history: unknown[]; activity: unknown[] }> {
    const view = this.#latest ?? (await this.#view());
    return { view, history: this.#history.samples(), activity: this.#activity.recent() };
  }

  async #view(): Promise<DashboardView> {
    return dashboardView(await this.#options.control.status(), this.#history.finishedWithin());
  }

  /** One chart point and a fresh view to every open page. */
  async #sample(): Promise<void> {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const status = await this.#options.control.status();
      const sample = this.#history.record(status, this.#activity.takeRestarts());
      if (status.scriptTypes.length > 0)
        this.#activity.noteRedis(
          status.scriptTypes.some((type) => type.queue !== null),
          sample.at,
        );
      this.#latest = dashboardView(status, this.#history.finishedWithin());
      this.#hub.send('tick', { view: this.#latest, sample });
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'dashboard sample failed');
    } finally {
      this.#sampling = false;
    }
  }

  async #sendAsset(response: ServerResponse, name: string, status: number): Promise<void> {
    const asset = await this.#assets.get(name);
    if (asset === undefined) throw new DashboardHttpError(404, 'NOT_FOUND', `No dashboard asset ${name}.`);
    response.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': asset.contentType,
      // Pages depend on the session: never cached. Code and styles: revalidated, so an upgrade shows at once.
      'Cache-Control': name.endsWith('.html') ? 'no-store' : 'no-cache',
    });
    response.end(asset.body);
  }

  #sendJson(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    response.end(this.#redactor.redact(JSON.stringify(body)));
  }

  #fail(response: ServerResponse, error: unknown): void {
    const { status, code } = httpStatusOf(error);
    const message = this.#redactor.redact(error instanceof Error ? error.message : String(error));
    if (status >= 500) this.#options.logger.error({ err: error }, 'dashboard request failed');
    if (response.headersSent) {
      response.end();
      return;
    }
    this.#sendJson(response, status, { error: { code, message } });
  }
}

/** At most `limit` items of a finite stream. */
async function collect(lines: AsyncIterable<string>, limit: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) {
    out.push(line);
    if (out.length > limit) out.shift();
  }
  return out;
}
