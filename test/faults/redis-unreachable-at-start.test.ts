/**
 * Issue 8, scenario 3: Redis unreachable at start. A clear error, retries with backoff, and the supervisor starts
 * when Redis appears. Checked on the real daemon (`hero-supervisor run`, spawned) and on the library pieces a
 * program embeds (Supervisor and hero-worker started before Redis: nothing exits, a job sent meanwhile completes).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { type DaemonUnderTest, runCli, startDaemon } from '../cli/daemon-process.js';
import { findFreePort, RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { alivePids, type HeroWorkerProcess, reportCounts, spawnHeroWorker } from './fault-helpers.js';

/** JSON log lines of a pino stderr. */
function logLines(stderr: string): { msg?: string; retryInMs?: number; attempt?: number; level?: number | string }[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as { msg?: string };
      } catch {
        return {};
      }
    });
}

describe('scenario 3: Redis unreachable at start', () => {
  let daemon: DaemonUnderTest | undefined;
  let redis: RedisServerProcess | undefined;
  let supervisor: Supervisor | undefined;
  let worker: HeroWorkerProcess | undefined;

  afterEach(async () => {
    await daemon?.stop();
    await supervisor?.close();
    await worker?.kill();
    await redis?.stop();
    daemon = undefined;
    supervisor = undefined;
    worker = undefined;
    redis = undefined;
  });

  it('the daemon reports it once clearly, retries with doubling delays, and starts when Redis appears', async () => {
    const port = await findFreePort();
    daemon = await startDaemon({
      redisUrl: `redis://127.0.0.1:${port}`,
      python: '{ binary: hero-worker, min: 1, max: 1 }',
      waitUntilRunning: false,
    });
    const running = daemon;
    const retries = () => logLines(running.stderr()).filter((line) => line.msg === 'redis still unreachable; retrying');

    await waitFor(() => retries().length >= 3, { timeoutMs: 30_000, description: 'three retries' });
    const spawnedWhileWaiting = running.stderr().includes('"msg":"service spawned"');
    redis = await RedisServerProcess.start(port);
    await waitFor(() => running.stderr().includes('"msg":"supervisor running"'), {
      timeoutMs: 30_000,
      description: 'the daemon to start once Redis is up',
    });
    const lines = logLines(running.stderr());
    const first = lines.find((line) => line.msg?.startsWith('cannot reach Redis'));
    const delays = lines.filter((line) => line.retryInMs !== undefined).map((line) => line.retryInMs as number);
    const status = await runCli(['status', '--json', '-c', running.configPath]);
    const workers = (JSON.parse(status.stdout) as { workers: { state: string; pid: number | null }[] }).workers;
    const exitCode = await running.stop();
    daemon = undefined;
    reportCounts('3 redis unreachable at start (daemon)', {
      attemptsBeforeRedis: delays.length,
      delaysMs: delays.join('/'),
      spawnedWhileWaiting,
      workersRunningAfter: workers.filter((entry) => entry.state === 'running').length,
      exitCode: exitCode ?? -1,
    });

    expect(first?.msg).toContain(`cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED)`);
    expect([50, 'error']).toContain(first?.level);
    expect(delays.slice(0, 4)).toEqual([250, 500, 1_000, 2_000].slice(0, Math.min(4, delays.length)));
    expect(spawnedWhileWaiting).toBe(false);
    expect(workers.map((entry) => entry.state)).toEqual(['running']);
    expect(exitCode).toBe(0);
    expect(alivePids(workers.map((entry) => entry.pid ?? 0))).toEqual([]);
  });

  it('a Supervisor and a hero-worker started before Redis keep waiting; a job sent meanwhile completes', async () => {
    const port = await findFreePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    const prefix = `fault3-${randomUUID().slice(0, 8)}`;
    worker = spawnHeroWorker({ workerId: `early_worker_${randomUUID().slice(0, 6)}`, redisUrl, prefix });
    supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault3').build();

    const pingWhileDown = await supervisor.pingWorker(worker.workerId, { timeoutMs: 1_000 });
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(6*7)').timeout(10_000).build();
    const result = supervisor.runJobAndAwaitResult(job, { timeoutMs: 60_000 }).catch((error: Error) => error);
    const workerAliveWhileDown = worker.child.exitCode === null;
    redis = await RedisServerProcess.start(port);
    const output = await result;
    reportCounts('3 redis unreachable at start (library)', {
      pingWhileDown: pingWhileDown.type,
      workerExitedWhileWaiting: !workerAliveWhileDown,
      jobCompleted: output === '42\n' || output === '42',
    });

    expect(pingWhileDown.type).toBe('transport-down');
    expect(workerAliveWhileDown).toBe(true);
    expect(typeof output === 'string' ? output.trim() : output).toBe('42');
    expect(worker.child.exitCode).toBeNull();
  });

  it('the daemon names a refused password as such, with what to check, and never prints it', async () => {
    const password = `right-${randomUUID().slice(0, 8)}`;
    const wrong = `wrong-${randomUUID().slice(0, 8)}`;
    const port = await findFreePort();
    redis = await RedisServerProcess.start(port);
    const setPassword = await runRedisCli(port, ['CONFIG', 'SET', 'requirepass', password]);
    daemon = await startDaemon(
      {
        redisUrl: '',
        redisYaml: `redis: { url: "redis://127.0.0.1:${port}", passwordEnv: FAULT3_PASSWORD, keyPrefix: fault3 }`,
        python: '{ binary: hero-worker, min: 1, max: 1 }',
        waitUntilRunning: false,
      },
      { FAULT3_PASSWORD: wrong },
    );
    const running = daemon;
    await waitFor(() => logLines(running.stderr()).some((line) => line.msg?.startsWith('cannot reach Redis')), {
      timeoutMs: 20_000,
      description: 'the daemon to report the refusal',
    });
    const first = logLines(running.stderr()).find((line) => line.msg?.startsWith('cannot reach Redis'));
    reportCounts('3 wrong password at start (daemon)', {
      reported: first !== undefined,
      passwordPrinted: running.stderr().includes(wrong) || running.stderr().includes(password),
    });

    expect(setPassword).toBe('OK');
    expect(first?.msg).toMatch(/WRONGPASS|NOAUTH|AUTH/);
    expect(first?.msg).toContain('Check redis.username and the password');
    expect(running.stderr()).not.toContain(wrong);
    expect(running.stderr()).not.toContain(password);
  });
});

/** `redis-cli -p <port> <args>` → its trimmed output. */
function runRedisCli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(port), ...args], (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.trim());
    });
  });
}
