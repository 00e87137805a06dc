/**
 * Secrets (issue 8 items 8 and 9): a Redis with an ACL user and a password works, and neither that password,
 * nor an env value marked secret, nor the admin token ever shows in the daemon's logs, `status`, `/metrics`,
 * `validate --print` or an error, all asserted over captured output. Issue 11 item 1: a job that prints its whole
 * environment, on the embedded backend and on Zinit (the JSON-RPC double), as root and as nobody, sees none of the
 * daemon's secrets nor its worker's, and sees its own env.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type ScriptType, SupervisorBuilder } from '../../src/index.js';
import { BASE_ENV_NAMES } from '../../src/process/base-environment.js';
import { ZinitJsonRpcDouble } from '../doubles/zinit-jsonrpc-double.js';
import { findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { CLI, cleanEnv, type DaemonUnderTest, runCli, startDaemon } from './daemon-process.js';

const REDIS_PASSWORD = 'acl-password-7f3e9c1d';
const API_KEY = 'api-key-b81d4c22e6';
/** In the daemon's environment only (its config has its own admin token): no worker may get it. */
const ENV_ADMIN_TOKEN = 'env-admin-token-5c0ffee5c0ffee';
const DAEMON_ONLY = 'daemon-only-secret-91aa7e';
const SECRETS = [REDIS_PASSWORD, encodeURIComponent(REDIS_PASSWORD), API_KEY, ENV_ADMIN_TOKEN, DAEMON_ONLY];
/** The daemon's environment: its secrets, and one variable the config passes on by name. */
const DAEMON_ENV = {
  REDIS_PASSWORD,
  WORKER_API_KEY: API_KEY,
  HERO_ADMIN_TOKEN: ENV_ADMIN_TOKEN,
  SOME_CLOUD_SECRET: DAEMON_ONLY,
  PASSED_ON: 'passed-by-name',
};
const AS_ROOT = process.getuid?.() === 0;
/** The worker types: python as the daemon's user and, as root, `v` (running python3) as nobody. */
function scriptTypesYaml(extra = ''): string {
  const env = `env: { API_KEY: { fromEnv: WORKER_API_KEY, secret: true }, PLAIN: visible-value }`;
  const python = `{ binary: hero-worker, min: 1, max: 2, passEnv: [PASSED_ON], ${env} }`;
  const v = `{ binary: hero-worker, min: 1, args: [--interpreter, python3], user: 65534, group: 65534, passEnv: [PASSED_ON], ${env} }`;
  return AS_ROOT ? `${python}\n  v: ${v}${extra}` : `${python}${extra}`;
}
const WORKER_TYPES: ScriptType[] = AS_ROOT ? ['python', 'v'] : ['python'];

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
      python: scriptTypesYaml(),
    },
    DAEMON_ENV,
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
    expect(report.workers.map((worker) => worker.state)).toEqual(WORKER_TYPES.map(() => 'running'));
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
    expect(text).toContain('PASSED_ON');
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

/** Runs a job on each worker type that prints its whole environment; the parsed environments, by type. */
async function printedEnvironments(prefix: string): Promise<Record<string, Record<string, string>>> {
  const supervisor = new SupervisorBuilder()
    .redisUrl(`redis://127.0.0.1:${redisPort}`)
    .username('hero')
    .password(REDIS_PASSWORD)
    .prefix(prefix)
    .callerId('env-printer')
    .build();
  try {
    const printed: Record<string, Record<string, string>> = {};
    for (const type of WORKER_TYPES) {
      const job = supervisor
        .newJob()
        .scriptType(type)
        .scriptContent('import json, os\nprint(json.dumps(dict(os.environ)))')
        .env({ JOB_VAR: 'from-the-job' })
        .timeout(20_000)
        .build();
      printed[type] = JSON.parse(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 40_000 }));
    }
    return printed;
  } finally {
    await supervisor.close();
  }
}

/** A process's environment, from /proc. */
async function environOf(pid: number): Promise<Record<string, string>> {
  const text = await readFile(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    text
      .split('\0')
      .filter((entry) => entry !== '')
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

function expectScriptsSeeNoSecret(printed: Record<string, Record<string, string>>): void {
  expect(Object.keys(printed).sort()).toEqual([...WORKER_TYPES].sort());
  for (const env of Object.values(printed)) {
    expectNoSecret(JSON.stringify(env), [...SECRETS, daemon.token]);
    for (const key of [
      'REDIS_URL',
      'API_KEY',
      'HERO_SECRET_ENV',
      ...Object.keys(DAEMON_ENV).filter((k) => k !== 'PASSED_ON'),
    ]) {
      expect(env).not.toHaveProperty(key);
    }
    expect(env).toMatchObject({ JOB_VAR: 'from-the-job', PLAIN: 'visible-value', PASSED_ON: 'passed-by-name' });
  }
}

describe('the environment of workers and their scripts', () => {
  /** What a worker may hold: the base, the Redis URL, its env, what passEnv names, the names of its secrets. */
  const allowedInWorker = new Set([...BASE_ENV_NAMES, 'REDIS_URL', 'API_KEY', 'PLAIN', 'PASSED_ON', 'HERO_SECRET_ENV']);

  it('embedded backend: workers get only what the config names; a job printing its environment sees no secret', async () => {
    const status = await runCli(['status', '--json', '-c', daemon.configPath], {
      REDIS_PASSWORD,
      WORKER_API_KEY: API_KEY,
    });
    const workers = (JSON.parse(status.stdout) as { workers: { name: string; pid: number }[] }).workers;
    expect(workers).toHaveLength(WORKER_TYPES.length);
    for (const worker of workers) {
      const env = await environOf(worker.pid);
      expect(Object.keys(env).filter((key) => !allowedInWorker.has(key))).toEqual([]);
      expect(env).not.toHaveProperty('HERO_ADMIN_TOKEN');
      expect(env.PASSED_ON).toBe('passed-by-name');
    }

    expectScriptsSeeNoSecret(await printedEnvironments('secrets'));
  });

  it('Zinit backend: the service env holds only what is named; a job printing its environment sees no secret', async () => {
    const zinit = await ZinitJsonRpcDouble.start({ restartDelayMs: 200 });
    const zinitDaemon = await startDaemon(
      {
        redisUrl: '',
        // Its own prefix: the jobs of this test go to the Zinit daemon's workers, not to the embedded one's.
        redisYaml: `redis: { url: "redis://127.0.0.1:${redisPort}", username: hero, passwordEnv: REDIS_PASSWORD, keyPrefix: secretz }`,
        python: scriptTypesYaml(),
        processManagerYaml: `{ type: zinit, socketPath: "${zinit.socketPath}", configDir: "${zinit.configDir}", pollIntervalMs: 100 }`,
      },
      DAEMON_ENV,
    );
    try {
      const names = Object.keys(zinit.engine.list()).sort();
      expect(names).toEqual(WORKER_TYPES.map((type) => `${type}_worker_0`).sort());
      for (const name of names) {
        const service = parseYaml(await readFile(join(zinit.configDir, `${name}.yaml`), 'utf8')) as {
          env: Record<string, string>;
        };
        expect(Object.keys(service.env).sort()).toEqual([
          'API_KEY',
          'HERO_SECRET_ENV',
          'PASSED_ON',
          'PLAIN',
          'REDIS_URL',
        ]);
        expectNoSecret(JSON.stringify(service.env), [ENV_ADMIN_TOKEN, DAEMON_ONLY, daemon.token, zinitDaemon.token]);
        const processEnv = await environOf(zinit.engine.pidOf(name));
        expectNoSecret(JSON.stringify(processEnv), [ENV_ADMIN_TOKEN, DAEMON_ONLY, zinitDaemon.token]);
      }

      expectScriptsSeeNoSecret(await printedEnvironments('secretz'));
    } finally {
      await zinitDaemon.stop();
      await zinit.close();
    }
  });
});
