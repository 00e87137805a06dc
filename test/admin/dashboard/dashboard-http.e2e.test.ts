/**
 * The dashboard's access rules over HTTP, against a real daemon (issue 15): nothing but the static code without
 * a session; the token buys an HttpOnly, SameSite=Strict cookie; actions need the CSRF token and a same-origin
 * request; every answer carries a strict Content-Security-Policy; neither the page nor the stream holds the token.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DaemonUnderTest, startDaemon } from '../../cli/daemon-process.js';

let daemon: DaemonUnderTest;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  { untilText }: { untilText?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.port, method, path, headers }, (response) => {
      let text = '';
      const done = () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
      response.on('data', (chunk: Buffer) => {
        text += chunk;
        // A stream never ends by itself: stop reading once the awaited message is in.
        if (untilText !== undefined && text.includes(untilText)) {
          req.destroy();
          done();
        }
      });
      response.on('end', done);
    });
    req.on('error', (error) => {
      if (untilText === undefined) reject(error);
    });
    req.end(body);
  });
}

async function login(): Promise<{ cookie: string; csrf: string }> {
  const answer = await call(
    'POST',
    '/dashboard/login',
    { 'Content-Type': 'application/json' },
    JSON.stringify({ token: daemon.token }),
  );
  expect(answer.status).toBe(204);
  const setCookie = String(answer.headers['set-cookie']);
  const cookie = setCookie.split(';')[0] as string;
  const session = await call('GET', '/dashboard/api/session', { Cookie: cookie });
  expect(session.status).toBe(200);
  return { cookie, csrf: (JSON.parse(session.text) as { csrf: string }).csrf };
}

beforeAll(async () => {
  daemon = await startDaemon({ redisUrl: inject('redisUrl'), python: '{ binary: hero-worker, min: 1, max: 2 }' });
});

afterAll(async () => {
  await daemon?.stop();
});

describe('dashboard access', () => {
  it('sends a browser without a session to the login form, and serves no data', async () => {
    const page = await call('GET', '/dashboard');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/dashboard/login');
    const form = await call('GET', '/dashboard/login');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<form id="login"');
    for (const path of ['/dashboard/api/stream', '/dashboard/api/session', '/dashboard/api/workers/python_worker_0'])
      expect((await call('GET', path)).status, path).toBe(401);
    expect(
      (await call('POST', '/dashboard/api/restart/python_worker_0', { 'Content-Type': 'application/json' }, '{}'))
        .status,
    ).toBe(401);
  });

  it('refuses a wrong token, and a cookie that was not issued', async () => {
    const wrong = await call(
      'POST',
      '/dashboard/login',
      { 'Content-Type': 'application/json' },
      JSON.stringify({ token: 'nope' }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const form = await call(
      'POST',
      '/dashboard/login',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'token=nope',
    );
    expect(form.status).toBe(303);
    expect(form.headers.location).toBe('/dashboard/login?failed=1');
    const forged = await call('GET', '/dashboard/api/session', { Cookie: 'hero_dashboard=1.abc.def' });
    expect(forged.status).toBe(401);
  });

  it('logs in with the token through the form or JSON: an HttpOnly, SameSite=Strict cookie without the token', async () => {
    const form = await call(
      'POST',
      '/dashboard/login',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      `token=${encodeURIComponent(daemon.token)}`,
    );
    expect(form.status).toBe(303);
    expect(form.headers.location).toBe('/dashboard');
    const setCookie = String(form.headers['set-cookie']);
    expect(setCookie).toMatch(/^hero_dashboard=[^;]+; Path=\/dashboard; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(daemon.token);
    const { cookie } = await login();
    const page = await call('GET', '/dashboard', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="fleet"');
    expect(page.text).not.toContain(daemon.token);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });

  it('puts a strict Content-Security-Policy on the page, the assets and the API', async () => {
    const { cookie } = await login();
    for (const path of ['/dashboard', '/dashboard/login', '/dashboard/assets/dashboard.js', '/dashboard/api/session']) {
      const answer = await call('GET', path, { Cookie: cookie });
      const csp = String(answer.headers['content-security-policy']);
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(answer.headers['x-frame-options'], path).toBe('DENY');
    }
  });

  it('serves uPlot and the worker diagram from the daemon, and nothing outside its list of assets', async () => {
    const uplot = await call('GET', '/dashboard/assets/uPlot.esm.js');
    expect(uplot.status).toBe(200);
    expect(uplot.headers['content-type']).toContain('text/javascript');
    const svg = await call('GET', '/dashboard/assets/worker.svg');
    expect(svg.text).toContain('<title>worker.running</title>');
    expect((await call('GET', '/dashboard/assets/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await call('GET', '/dashboard/assets/package.json')).status).toBe(404);
  });

  it('streams a snapshot of the fleet without the token', async () => {
    const { cookie } = await login();
    const stream = await call('GET', '/dashboard/api/stream', { Cookie: cookie }, undefined, {
      untilText: 'event: tick',
    });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    expect(stream.text).toContain('event: snapshot');
    expect(stream.text).toContain('"name":"python_worker_0"');
    expect(stream.text).toContain('"statePath":');
    expect(stream.text).not.toContain(daemon.token);
  });

  it('refuses actions without the CSRF token, from another origin, or not as JSON', async () => {
    const { cookie, csrf } = await login();
    const json = { Cookie: cookie, 'Content-Type': 'application/json' };
    const path = '/dashboard/api/scale';
    const body = JSON.stringify({ type: 'python', n: 1 });
    expect((await call('POST', path, json, body)).status).toBe(403);
    expect((await call('POST', path, { ...json, 'X-CSRF-Token': 'forged' }, body)).status).toBe(403);
    expect(
      (await call('POST', path, { ...json, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' }, body)).status,
    ).toBe(403);
    expect(
      (await call('POST', path, { ...json, 'X-CSRF-Token': csrf, 'Sec-Fetch-Site': 'cross-site' }, body)).status,
    ).toBe(403);
    expect(
      (await call('POST', path, { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'text/plain' }, body)).status,
    ).toBe(415);
  });

  it('runs an action with the session, the CSRF token and a same-origin request; bad input is a clear 400 or 404', async () => {
    const { cookie, csrf } = await login();
    const headers = {
      Cookie: cookie,
      'Content-Type': 'application/json',
      'X-CSRF-Token': csrf,
      Origin: `http://127.0.0.1:${daemon.port}`,
    };
    const ok = await call('POST', '/dashboard/api/scale', headers, JSON.stringify({ type: 'python', n: 1 }));
    expect(ok.status).toBe(200);
    const bad = await call('POST', '/dashboard/api/scale', headers, JSON.stringify({ type: 'python', n: -1 }));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Expected `n` to be a non-negative integer, got -1');
    const unknown = await call('POST', '/dashboard/api/restart/nobody_worker_0', headers, '{}');
    expect(unknown.status).toBe(404);
  });

  it('does not let the session cookie stand in for the bearer token on the API', async () => {
    const { cookie } = await login();
    expect((await call('GET', '/status', { Cookie: cookie })).status).toBe(401);
  });
});
