/**
 * Issue 8, scenario 9: access. The admin endpoint refuses every request without the token (and every trick to get
 * round it) and binds to loopback by default; Redis with an ACL user and password, and Redis over TLS (`rediss://`),
 * work end to end (Supervisor and hero-worker); the Zinit socket path is validated.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { BackendUnavailableError, ConfigError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { ZinitProcessManager } from '../../src/process/zinit/zinit-process-manager.js';
import { type DaemonUnderTest, runCli, startDaemon } from '../cli/daemon-process.js';
import { findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { DurableRedisServer } from './durable-redis.js';
import { reportCounts, spawnHeroWorker } from './fault-helpers.js';

/** One HTTP request to the admin endpoint; resolves with the status and body. */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('scenario 9: the admin endpoint', () => {
  let daemon: DaemonUnderTest;

  beforeAll(async () => {
    daemon = await startDaemon({ redisUrl: inject('redisUrl'), python: '{ binary: hero-worker, min: 1, max: 2 }' });
  });

  afterAll(async () => {
    await daemon?.stop();
  });

  it('refuses every route without the right token, however it is offered, and nothing happens', async () => {
    const token = daemon.token;
    const routes: [string, string, string?][] = [
      ['GET', '/status'],
      ['GET', '/metrics'],
      ['POST', '/scale', JSON.stringify({ type: 'python', n: 2 })],
      ['POST', '/restart/python_worker_0'],
      ['POST', '/stop/python_worker_0'],
      ['GET', '/logs/python_worker_0'],
      ['GET', `/status?token=${token}`],
      ['GET', '/healthz/../status'],
      ['GET', '//status'],
      ['GET', '/%73tatus'],
      ['GET', '/STATUS'],
      ['DELETE', '/status'],
    ];
    const headers: Record<string, string>[] = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${token}x` },
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` },
      { authorization: token },
      { 'x-token': token, cookie: `token=${token}` },
    ];
    const statuses = new Map<number, number>();
    let accepted = 0;
    for (const [method, path, body] of routes) {
      for (const header of headers) {
        const response = await call(daemon.port, method, path, { 'content-type': 'application/json', ...header }, body);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status < 400) accepted += 1;
      }
    }
    const after = JSON.parse((await runCli(['status', '--json', '-c', daemon.configPath])).stdout) as {
      workers: { name: string; state: string; restarts: number }[];
    };
    reportCounts('9 admin without token', {
      requests: routes.length * headers.length,
      accepted,
      byStatus: [...statuses].map(([status, n]) => `${status}:${n}`).join(','),
    });

    expect(accepted).toBe(0);
    expect(after.workers.map((worker) => [worker.state, worker.restarts])).toEqual([['running', 0]]);
  });

  it('answers 404 for worker names that are properties of every JS object, never a 500', async () => {
    const auth = { authorization: `Bearer ${daemon.token}` };
    const answers: number[] = [];
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      for (const [method, path] of [
        ['POST', `/restart/${name}`],
        ['POST', `/stop/${name}`],
        ['GET', `/logs/${name}`],
      ] as const) {
        answers.push((await call(daemon.port, method, path, auth)).status);
      }
    }
    const health = await call(daemon.port, 'GET', '/healthz');
    reportCounts('9 admin prototype names', {
      requests: answers.length,
      byStatus: [...new Set(answers)]
        .map((status) => `${status}:${answers.filter((a) => a === status).length}`)
        .join(','),
    });

    expect(answers.every((status) => status === 404 || status === 400)).toBe(true);
    expect(health.status).toBe(200);
  });

  it('answers /healthz without a token and says nothing about the fleet', async () => {
    const response = await call(daemon.port, 'GET', '/healthz');

    expect(response.status).toBe(200);
    expect(response.body).not.toMatch(/python_worker|pid|redis/i);
  });

  it('binds to loopback by default: the port is closed on every other address of the machine', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      .map((address) => (address as { address: string }).address);
    const reachable: string[] = [];
    for (const host of others) {
      const connected = await new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: daemon.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (connected) reachable.push(host);
    }
    reportCounts('9 admin bind', { otherAddresses: others.length, reachableOn: reachable.length });

    expect(reachable).toEqual([]);
  });
});

describe('scenario 9: Redis ACL user and password, and TLS', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hero-fault9-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A job through a Supervisor and a real hero-worker on `redisUrl`; resolves with the output. */
  async function roundTrip(
    redisUrl: string,
    options: { tlsCa?: Buffer; env?: NodeJS.ProcessEnv } = {},
  ): Promise<string> {
    const prefix = `fault9-${randomUUID().slice(0, 8)}`;
    const worker = spawnHeroWorker({
      workerId: `access_worker_${randomUUID().slice(0, 6)}`,
      redisUrl,
      prefix,
      env: { ...process.env, ...options.env },
    });
    let builder = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault9');
    if (options.tlsCa !== undefined) builder = builder.tls({ ca: options.tlsCa });
    const supervisor = builder.build();
    try {
      await waitFor(() => worker.isReady(), { timeoutMs: 20_000, description: `hero-worker on ${prefix} to consume` });
      const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(6*7)').timeout(10_000).build();
      return (await supervisor.runJobAndAwaitResult(job, { timeoutMs: 30_000 })).trim();
    } finally {
      await supervisor.close();
      await worker.kill();
    }
  }

  it('runs a job with an ACL user and password, and refuses the default user', async () => {
    const password = `acl-${randomUUID().slice(0, 8)}`;
    const redis = await DurableRedisServer.start({
      extraArgs: ['--user', 'default', 'off', '--user', 'hero', 'on', `>${password}`, '~*', '&*', '+@all'],
    });
    try {
      const output = await roundTrip(`redis://hero:${password}@127.0.0.1:${redis.port}`);
      const anonymous = new SupervisorBuilder().redisUrl(redis.url).callerId('fault9').build();
      const refused = await anonymous.pingWorker('nobody', { timeoutMs: 2_000 });
      await anonymous.close();
      reportCounts('9 redis ACL', { jobOutput: output, anonymousPing: refused.type });

      expect(output).toBe('42');
      expect(refused.type).toBe('transport-down');
    } finally {
      await redis.destroy();
    }
  });

  it('runs a job over TLS (rediss://) with a private CA', async () => {
    // A CA and a server certificate for 127.0.0.1, made for this test.
    const file = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=hero-test-ca',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
    );
    writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      file('san.ext'),
      '-out',
      file('server.pem'),
    );
    const port = await findFreePort();
    const redis = await DurableRedisServer.start({
      port,
      extraArgs: [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        file('server.pem'),
        '--tls-key-file',
        file('server.key'),
        '--tls-ca-cert-file',
        file('ca.pem'),
        '--tls-auth-clients',
        'no',
      ],
    });
    try {
      const output = await roundTrip(`rediss://127.0.0.1:${port}`, {
        tlsCa: readFileSync(file('ca.pem')),
        env: { NODE_EXTRA_CA_CERTS: file('ca.pem') },
      });
      const plain = new SupervisorBuilder().redisUrl(`redis://127.0.0.1:${port}`).callerId('fault9').build();
      const plainPing = await plain.pingWorker('nobody', { timeoutMs: 2_000 });
      await plain.close();
      reportCounts('9 redis TLS', { jobOutput: output, plainTextPing: plainPing.type });

      expect(output).toBe('42');
      expect(plainPing.type).not.toBe('ok');
    } finally {
      await redis.destroy();
    }
  });
});

describe('scenario 9: the Zinit socket path is validated', () => {
  it.each([
    ['a relative path', 'zinit.sock'],
    ['an empty path', ''],
    ['a path with NUL', '/run/zi\0nit.sock'],
  ])('refuses %s with a ConfigError, before connecting', (_label, socketPath) => {
    expect(() => new ZinitProcessManager({ socketPath, configDir: '/etc/zinit' })).toThrow(ConfigError);
  });

  it('reports a path that is a file or a directory, not a socket, as Zinit not running there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hero-fault9-zinit-'));
    try {
      writeFileSync(join(dir, 'regular-file'), 'not a socket');
      mkdirSync(join(dir, 'a-directory'));
      for (const target of ['regular-file', 'a-directory']) {
        const socketPath = join(dir, target);
        const manager = new ZinitProcessManager({ socketPath, configDir: dir });
        const error = await manager.list().catch((caught: unknown) => caught);
        await manager.close();

        expect(error).toBeInstanceOf(BackendUnavailableError);
        expect((error as Error).message).toContain(socketPath);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a relative Zinit socket path in the config file, naming the field', () => {
    const load = () =>
      parseConfig(
        {
          processManager: { type: 'zinit', socketPath: 'run/zinit.sock' },
          scriptTypes: { python: { binary: 'hero-worker' } },
        },
        { env: {} },
      );

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/processManager\.socketPath/);
  });
});
