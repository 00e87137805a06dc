/**
 * The admin endpoint of a real daemon (issue 6; issue 8 item 9): the token is required on every route but
 * /healthz, it binds to loopback by default, /metrics is valid Prometheus text with the promised families.
 */
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DaemonUnderTest, startDaemon } from '../cli/daemon-process.js';
import { parsePrometheusText } from './prometheus-text.js';

let daemon: DaemonUnderTest;

function call(
  method: string,
  path: string,
  { token, body, host = '127.0.0.1' }: { token?: string; body?: unknown; host?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host,
        port: daemon.port,
        method,
        path,
        headers: {
          ...(token !== undefined && { Authorization: `Bearer ${token}` }),
          ...(payload !== undefined && { 'Content-Type': 'application/json' }),
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  daemon = await startDaemon({ redisUrl: inject('redisUrl'), python: '{ binary: hero-worker, min: 1, max: 2 }' });
});

afterAll(async () => {
  await daemon?.stop();
});

describe('admin endpoint authentication', () => {
  it.each([
    ['GET', '/status'],
    ['GET', '/metrics'],
    ['POST', '/scale'],
    ['POST', '/restart/python_worker_0'],
    ['POST', '/stop/python_worker_0'],
    ['GET', '/logs/python_worker_0'],
    ['GET', '/no-such-route'],
  ])('refuses %s %s without a token (401)', async (method, path) => {
    const response = await call(method, path, { body: method === 'POST' ? { type: 'python', n: 2 } : undefined });

    expect(response.status).toBe(401);
    expect(JSON.parse(response.text)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Missing or wrong bearer token: send `Authorization: Bearer <token>`.' },
    });
  });

  it('refuses a wrong token, even one sharing the right prefix', async () => {
    const response = await call('GET', '/status', { token: `${daemon.token.slice(0, -1)}x` });

    expect(response.status).toBe(401);
  });

  it('answers with the token', async () => {
    const response = await call('GET', '/status', { token: daemon.token });

    expect(response.status).toBe(200);
    expect((JSON.parse(response.text) as { workers: unknown[] }).workers).toHaveLength(1);
  });

  it('answers /healthz without a token, and says nothing more than ok', async () => {
    const response = await call('GET', '/healthz');

    expect(response).toEqual({ status: 200, text: '{"ok":true}' });
  });

  it('refuses a worker name with path separators or dots (400)', async () => {
    const response = await call('POST', `/restart/${encodeURIComponent('../etc/passwd')}`, { token: daemon.token });

    expect(response.status).toBe(400);
  });

  it('refuses a scale body that is not an object with a count (400)', async () => {
    const response = await call('POST', '/scale', { token: daemon.token, body: { type: 'python', n: -1 } });

    expect(response.status).toBe(400);
    expect(response.text).toContain('Expected `n` to be a non-negative integer, got -1.');
  });
});

describe('admin endpoint methods (issue 11 item 6)', () => {
  it.each([
    ['PUT', '/status', 'GET'],
    ['DELETE', '/status', 'GET'],
    ['PUT', '/scale', 'POST'],
    ['DELETE', '/restart/python_worker_0', 'POST'],
    ['PUT', '/stop/python_worker_0', 'POST'],
    ['DELETE', '/logs/python_worker_0', 'GET'],
    ['PUT', '/metrics', 'GET'],
    ['DELETE', '/fleet', 'GET'],
  ])('%s %s on a known route: 405 with `Allow: %s`, nothing done', async (method, path, allowed) => {
    const response = await fetch(`${daemon.endpoint}${path}`, {
      method,
      headers: { Authorization: `Bearer ${daemon.token}` },
    });
    const body = (await response.json()) as { error: { code: string; message: string } };

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allowed);
    expect(body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(body.error.message).toBe(`${method} is not allowed on /${path.split('/')[1]}; use ${allowed}.`);
  });

  it('still answers 404 for an unknown route and 401 without a token', async () => {
    expect((await call('PUT', '/nowhere', { token: daemon.token })).status).toBe(404);
    expect((await call('PUT', '/status')).status).toBe(401);
  });
});

describe('admin endpoint under fuzzed worker names (issue 8 item 7)', () => {
  it('answers 400 or 404 for any name (separators, dots, spaces, unicode, 1 KB), never an error or a crash', async () => {
    const names = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('..', '.', 'a/b', 'a\\b', ' x ', 'x'.repeat(1024), '%2e%2e', 'python_worker_0/../x', '\u0000'),
    );
    await fc.assert(
      fc.asyncProperty(names, fc.constantFrom('restart', 'stop', 'logs'), async (name, action) => {
        fc.pre(!['python_worker_0', 'python_worker_1'].includes(name) && name !== '');
        const response = await call(action === 'logs' ? 'GET' : 'POST', `/${action}/${encodeURIComponent(name)}`, {
          token: daemon.token,
        });
        expect([400, 404]).toContain(response.status);
      }),
      { numRuns: 60 },
    );

    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});

describe('admin endpoint binding', () => {
  it('listens on 127.0.0.1 by default and cannot be reached on the machine’s other addresses', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)
      .map((entry) => entry?.address as string);

    const results = await Promise.all(
      others.map((host) =>
        call('GET', '/healthz', { host }).then(
          () => 'answered',
          (error: NodeJS.ErrnoException) => error.code,
        ),
      ),
    );

    expect(daemon.stderr()).toContain(`"admin":"http://127.0.0.1:${daemon.port}"`);
    expect(results.filter((result) => result === 'answered')).toEqual([]);
  });

  it('listens on a non-loopback address only when the config says admin.allowRemote, and then warns (issue 11)', async () => {
    const remote = await startDaemon({
      redisUrl: inject('redisUrl'),
      python: '{ binary: hero-worker, min: 0, max: 1 }',
      adminYaml: '{ host: 0.0.0.0, allowRemote: true, port: {port}, token: "{token}" }',
    });
    try {
      const warning = remote
        .stderr()
        .split('\n')
        .find((line) => line.includes('the admin endpoint listens on a non-loopback address'));

      expect(warning).toBeDefined();
      expect(JSON.parse(warning as string)).toMatchObject({ level: 'warn', host: '0.0.0.0' });
    } finally {
      await remote.stop();
    }
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text with workers by state, restarts, give-ups, ping latency, queue depth, jobs, CPU and memory', async () => {
    const response = await call('GET', '/metrics', { token: daemon.token });

    expect(response.status).toBe(200);
    const families = parsePrometheusText(response.text);
    for (const name of [
      'hero_workers',
      'hero_worker_restarts_total',
      'hero_worker_give_ups_total',
      'hero_ping_latency_seconds',
      'hero_queue_depth',
      'hero_jobs_total',
      'hero_worker_cpu_seconds',
      'hero_worker_resident_memory_bytes',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(families.get('hero_workers')?.samples).toEqual([
      { name: 'hero_workers', labels: { script_type: 'python', state: 'running' }, value: 1 },
    ]);
    expect(families.get('hero_queue_depth')?.samples.find((sample) => sample.labels.state === 'waiting')?.value).toBe(
      0,
    );
    expect(families.get('hero_worker_resident_memory_bytes')?.samples[0]?.value).toBeGreaterThan(1024 * 1024);
  });
});
