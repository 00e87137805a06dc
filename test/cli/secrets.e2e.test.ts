/**
 * Secrets (issue 8 items 8 and 9): a Redis with an ACL user and a password works, and neither that password,
 * nor an env value marked secret, nor the admin token ever shows in the daemon's logs, `status`, `/metrics`,
 * `validate --print` or an error, all asserted over captured output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { CLI, cleanEnv, type DaemonUnderTest, runCli, startDaemon } from './daemon-process.js';

const REDIS_PASSWORD = 'acl-password-7f3e9c1d';
const API_KEY = 'api-key-b81d4c22e6';
const SECRETS = [REDIS_PASSWORD, encodeURIComponent(REDIS_PASSWORD), API_KEY];

let redis: ChildProcess;
let redisPort: number;
let daemon: DaemonUnderTest;
const captured: string[] = [];

function expectNoSecret(text: string, secrets: readonly string[] = [...SECRETS, daemon.token]): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  redisPort = await findFreePort();
  // A private Redis that only lets the ACL user `hero` in, with a password.
  redis = spawn(
    'redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--user',
      'default',
      'off',
      '--user',
      'hero',
      'on',
      `>${REDIS_PASSWORD}`,
      '~*',
      '&*',
      '+@all',
    ],
    { stdio: 'ignore' },
  );
  const { Socket } = await import('node:net');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = new Socket();
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
        socket.connect(redisPort, '127.0.0.1');
      }),
    { description: 'the private redis-server' },
  );
  daemon = await startDaemon(
    {
      redisUrl: '',
      redisYaml: `redis: { url: "redis://127.0.0.1:${redisPort}", username: hero, passwordEnv: REDIS_PASSWORD, keyPrefix: secrets }`,
      python: `{ binary: hero-worker, min: 1, max: 2, env: { API_KEY: { fromEnv: WORKER_API_KEY, secret: true }, PLAIN: visible-value } }`,
    },
    { REDIS_PASSWORD, WORKER_API_KEY: API_KEY },
  );
});

afterAll(async () => {
  await daemon?.stop();
  redis?.kill('SIGKILL');
});

describe('a Redis with an ACL user and a password', () => {
  it('is used by the supervisor and its workers', async () => {
    const result = await runCli(['status', '--json', '-c', daemon.configPath], {
      REDIS_PASSWORD,
      WORKER_API_KEY: API_KEY,
    });
    captured.push(result.stdout, result.stderr);

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { workers: { state: string }[]; scriptTypes: { queue: unknown }[] };
    expect(report.workers.map((worker) => worker.state)).toEqual(['running']);
    expect(report.scriptTypes[0]?.queue).toEqual({ waiting: 0, prioritized: 0, delayed: 0, active: 0 });
  });
});

describe('secrets', () => {
  it('never appear in status, /metrics, errors or validate --print', async () => {
    const env = { REDIS_PASSWORD, WORKER_API_KEY: API_KEY };
    const outputs = await Promise.all([
      runCli(['status', '-c', daemon.configPath], env),
      runCli(['status', '--json', '-c', daemon.configPath], env),
      runCli(['restart', 'no_such_worker', '-c', daemon.configPath], env),
      runCli(['validate', '--print', '-c', daemon.configPath], env),
      runCli(['logs', 'python_worker_0', '-c', daemon.configPath], env),
    ]);
    const metrics = await fetch(`${daemon.endpoint}/metrics`, { headers: { Authorization: `Bearer ${daemon.token}` } });
    const text = [...outputs.flatMap((output) => [output.stdout, output.stderr]), await metrics.text()].join('\n');

    expect(outputs.map((output) => output.code)).toEqual([0, 0, 5, 0, 0]);
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('visible-value');
    expectNoSecret(text);
  });

  it("never appear in the dashboard's page, event stream or worker details (issue 15)", async () => {
    const login = await fetch(`${daemon.endpoint}/dashboard/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: daemon.token }),
    });
    expect(login.status).toBe(204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await fetch(`${daemon.endpoint}/dashboard`, { headers: { Cookie: cookie } })).text();
    const worker = await (
      await fetch(`${daemon.endpoint}/dashboard/api/workers/python_worker_0`, { headers: { Cookie: cookie } })
    ).text();
    // The stream never ends: read until its first tick.
    const stream = await fetch(`${daemon.endpoint}/dashboard/api/stream`, { headers: { Cookie: cookie } });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let events = '';
    while (!events.includes('event: tick')) {
      const { value, done } = await reader.read();
      if (done) break;
      events += decoder.decode(value, { stream: true });
    }
    await reader.cancel();

    expect(page).toContain('id="fleet"');
    expect(worker).toContain('"logs":[');
    expect(events).toContain('"name":"python_worker_0"');
    expectNoSecret([page, worker, events].join('\n'));
  });

  it("never appear in the daemon's own logs", async () => {
    await runCli(['restart', 'python_worker_0', '-c', daemon.configPath], { REDIS_PASSWORD, WORKER_API_KEY: API_KEY });

    expect(daemon.stderr()).toContain('"msg":"supervisor running"');
    expectNoSecret(daemon.stderr() + daemon.stdout());
  });

  it('never appear in the error of a wrong password, which is retried with a clear message', async () => {
    const wrong = 'wrong-password-4471';
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'hero-secrets-'));
    const port = await findFreePort();
    await writeFile(
      join(dir, 'wrong.yaml'),
      `redis: { url: "redis://hero:${wrong}@127.0.0.1:${redisPort}" }\nprocessManager: { type: embedded, stateFile: "${join(dir, 'c.json')}" }\n` +
        `scriptTypes: { python: { binary: hero-worker } }\nadmin: { port: ${port}, token: 0123456789abcdef0123 }\n`,
    );
    const child = spawn(process.execPath, [CLI, 'run', '-c', join(dir, 'wrong.yaml')], {
      env: cleanEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await waitFor(() => stderr.includes('redis still unreachable; retrying'), {
      description: 'a retry after the first failure',
    });
    child.kill('SIGTERM');

    expect(await exited).toBe(0);
    await rm(dir, { recursive: true, force: true });
    expect(stderr).toContain(`cannot reach Redis at redis://hero:***@127.0.0.1:${redisPort}`);
    expect(stderr).toContain('WRONGPASS');
    expectNoSecret(stderr, [wrong, REDIS_PASSWORD]);
  });
});
