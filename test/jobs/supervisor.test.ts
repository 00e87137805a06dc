/** Supervisor job API end to end: real Redis, real hero-worker processes (issue #4). */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { InvalidJobError, JobFailedError, JobTimeoutError, RedisUnavailableError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { JobActivity } from '../../src/transport/wire-protocol.js';
import { RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { HeroWorkerProcess } from '../worker/hero-worker-process.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function setup(): { supervisor: Supervisor; prefix: string; redisUrl: string } {
  const redisUrl = inject('redisUrl');
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const supervisor = new SupervisorBuilder()
    .redisUrl(redisUrl)
    .prefix(prefix)
    .callerId('test-caller')
    .contextId('ctx-1')
    .build();
  cleanups.push(() => supervisor.close());
  return { supervisor, prefix, redisUrl };
}

async function startWorker(
  redisUrl: string,
  prefix: string,
  options: { workerId?: string; interpreter?: string } = {},
): Promise<HeroWorkerProcess> {
  const worker = new HeroWorkerProcess({
    workerId: options.workerId ?? `python_${randomUUID().slice(0, 6)}`,
    redisUrl,
    prefix,
    interpreter: options.interpreter,
  });
  cleanups.push(() => worker.kill());
  await worker.ready();
  return worker;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Supervisor with a live hero-worker', () => {
  it('runs a Python job and returns its stdout', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    await startWorker(redisUrl, prefix);
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(6*7)').timeout(10_000).build();

    const output = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 });

    expect(output).toBe('42\n');
    expect(await supervisor.getJobStatus(job.id)).toBe('completed');
    expect(await supervisor.getJobOutput(job.id)).toBe('42\n');
  });

  it('passes env and returns the whole result', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    const worker = await startWorker(redisUrl, prefix, { workerId: 'python_env' });
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.Python)
      .scriptContent("import os, sys\nprint(os.environ['GREETING'] + ' $HOME;')\nsys.stderr.write('note')")
      .env({ GREETING: 'hello' })
      .build();

    const result = await supervisor.runJobAndAwaitJobResult(job, { timeoutMs: 20_000 });

    expect(result).toMatchObject({ stdout: 'hello $HOME;\n', stderr: 'note', exitCode: 0, workerId: 'python_env' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(worker.log).not.toContain('hello');
  });

  it('throws JobFailedError with the exit code and stderr of a failing script', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    await startWorker(redisUrl, prefix);
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.Python)
      .scriptContent("import sys\nsys.stderr.write('boom: bad input\\n')\nsys.exit(3)")
      .build();

    const error = await rejection(supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 }));

    expect(error).toBeInstanceOf(JobFailedError);
    const failed = error as JobFailedError;
    expect(failed.workerError).toBe('Script exited with code 3 (python3).');
    expect(failed.stderr).toBe('boom: bad input\n');
    expect(failed.message).toBe(`Job ${job.id} failed: Script exited with code 3 (python3).\nboom: bad input`);
    expect(await supervisor.getJobStatus(job.id)).toBe('failed');
    expect(await supervisor.getJobOutput(job.id)).toBeUndefined();
  });

  it('kills a script at its timeout and reports JobTimeoutError and status timed-out', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    const worker = await startWorker(redisUrl, prefix, { workerId: 'python_slow' });
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.Python)
      .scriptContent('import time\ntime.sleep(60)')
      .timeout(500)
      .build();

    const error = await rejection(supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 }));

    expect(error).toBeInstanceOf(JobTimeoutError);
    expect((error as JobTimeoutError).message).toBe(
      `Job ${job.id}: Job timed out after 500 ms on worker python_slow; its process group was killed.`,
    );
    expect(await supervisor.getJobStatus(job.id)).toBe('timed-out');
    // The worker is free again: the next job runs.
    const next = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print("next")').build();
    expect(await supervisor.runJobAndAwaitResult(next, { timeoutMs: 20_000 })).toBe('next\n');
    expect(worker.child.exitCode).toBeNull();
  });

  it('removes a job no worker took when the caller stops waiting', async () => {
    const { supervisor } = setup();
    const job = supervisor.newJob().scriptType(ScriptType.SAL).scriptContent('noop').build();

    const error = await rejection(supervisor.runJobAndAwaitResult(job, { timeoutMs: 300 }));

    expect(error).toBeInstanceOf(JobTimeoutError);
    expect((error as JobTimeoutError).message).toBe(
      `Job ${job.id} (sal) did not finish within 300 ms: no sal worker took it (are any running?), so it was removed from queue jobs.sal.`,
    );
    expect(await supervisor.getJobStatus(job.id)).toBe('timed-out');
  });

  it('fails the job with a message naming a missing interpreter', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    await startWorker(redisUrl, prefix, { interpreter: 'no-such-interpreter-xyz --flag' });
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').retries(3).build();

    const error = await rejection(supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 }));

    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).workerError).toBe(
      "Interpreter `no-such-interpreter-xyz` not found (ENOENT): install it or pass --interpreter '<argv>'.",
    );
    expect(await supervisor.getJobStatus(job.id)).toBe('failed');
  });

  it('publishes job activity: started and finished, with the worker id', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    await startWorker(redisUrl, prefix, { workerId: 'python_busy' });
    const seen: JobActivity[] = [];
    supervisor.onJobActivity((activity) => seen.push(activity));
    await supervisor.jobActivityReady();
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build();

    await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 });
    await waitFor(() => seen.some((event) => event.phase === 'finished'), { description: 'a finished event' });

    expect(seen.map(({ workerId, jobId, phase }) => ({ workerId, jobId, phase }))).toEqual([
      { workerId: 'python_busy', jobId: job.id, phase: 'started' },
      { workerId: 'python_busy', jobId: job.id, phase: 'finished' },
    ]);
    expect(seen[1]?.outcome).toBe('completed');
  });

  it('stores a job with createJob and runs it with startJob', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print("later")').build();

    await supervisor.createJob(job);
    expect(await supervisor.getJobStatus(job.id)).toBe('created');
    await supervisor.startJob(job.id);
    expect(await supervisor.getJobStatus(job.id)).toBe('waiting');
    await startWorker(redisUrl, prefix);

    await waitFor(async () => (await supervisor.getJobStatus(job.id)) === 'completed', {
      timeoutMs: 20_000,
      description: 'the started job to complete',
    });
    expect(await supervisor.getJobOutput(job.id)).toBe('later\n');
  });

  it('says unknown for a job id it never saw', async () => {
    const { supervisor } = setup();

    expect(await supervisor.getJobStatus(randomUUID())).toBe('unknown');
  });

  it('refuses to start an id that was never created', async () => {
    const { supervisor } = setup();

    const error = await rejection(supervisor.startJob('never-created'));

    expect(error).toBeInstanceOf(InvalidJobError);
    expect((error as InvalidJobError).message).toBe(
      'No created job never-created: create it with createJob() first (kept one day).',
    );
  });

  it('pings a worker through the supervisor', async () => {
    const { supervisor, prefix, redisUrl } = setup();
    const worker = await startWorker(redisUrl, prefix, { workerId: 'python_pinged' });

    const outcome = await supervisor.pingWorker('python_pinged', { timeoutMs: 5_000 });

    expect(outcome).toMatchObject({ type: 'ok', reply: { workerId: 'python_pinged', pid: worker.pid } });
  });

  it('accepts a job while Redis is down and runs it once Redis is back', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = new SupervisorBuilder().redisUrl(redis.url).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    const worker = await startWorker(redis.url, prefix, { workerId: 'python_patient' });
    const warmUp = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build();
    expect(await supervisor.runJobAndAwaitResult(warmUp, { timeoutMs: 20_000 })).toBe('1\n');

    await redis.stop();
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print("after outage")').build();
    const result = supervisor.runJobAndAwaitResult(job, { timeoutMs: 30_000 });
    await redis.start();

    expect(await result).toBe('after outage\n');
    expect(worker.child.exitCode).toBeNull();
  });

  describe('while Redis stays down (fault finding F12)', () => {
    async function downRedis(): Promise<{ supervisor: Supervisor; redis: RedisServerProcess; prefix: string }> {
      const redis = await RedisServerProcess.start();
      cleanups.push(() => redis.stop());
      const prefix = `t-${randomUUID().slice(0, 8)}`;
      const supervisor = new SupervisorBuilder().redisUrl(redis.url).password('hunter2').prefix(prefix).build();
      cleanups.push(() => supervisor.close());
      await redis.stop();
      return { supervisor, redis, prefix };
    }

    it('answers runJobAndAwaitResult within its timeout: the job was not enqueued, and never runs', async () => {
      const { supervisor, redis, prefix } = await downRedis();
      const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print("never")').build();

      const error = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 500 }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(error).toMatchObject({ code: 'REDIS_UNAVAILABLE', jobId: job.id, enqueued: 'no' });
      expect((error as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable/);
      expect((error as Error).message).toContain(`job ${job.id} (python) was NOT enqueued`);
      expect((error as Error).message).not.toContain('hunter2');
      // Nothing was left in a queue to be sent later: once Redis is back, the job is unknown.
      await redis.start();
      const back = new SupervisorBuilder().redisUrl(redis.url).password('hunter2').prefix(prefix).build();
      cleanups.push(() => back.close());
      expect(await back.getJobStatus(job.id, { timeoutMs: 10_000 })).toBe('unknown');
    });

    it('says a job may be enqueued when Redis took the command but did not answer (frozen), and loses none', async () => {
      const redis = await RedisServerProcess.start();
      cleanups.push(() => redis.stop());
      const prefix = `t-${randomUUID().slice(0, 8)}`;
      const supervisor = new SupervisorBuilder().redisUrl(redis.url).prefix(prefix).build();
      cleanups.push(() => supervisor.close());
      const warmUp = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(0)').build();
      await supervisor.startJob(warmUp, { timeoutMs: 10_000 });
      const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build();
      process.kill(redis.pid as number, 'SIGSTOP');
      cleanups.push(async () => process.kill(redis.pid as number, 'SIGCONT'));

      const error = await supervisor.startJob(job, { timeoutMs: 300 }).catch((caught: unknown) => caught);
      process.kill(redis.pid as number, 'SIGCONT');

      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(error).toMatchObject({ jobId: job.id, enqueued: 'maybe' });
      expect((error as Error).message).toContain(`Check getJobStatus('${job.id}')`);
      // It was enqueued after all, once Redis woke up: no worker runs here, so it waits.
      await waitFor(async () => (await supervisor.getJobStatus(job.id)) === 'waiting', {
        description: 'the job sent to a frozen Redis to be waiting',
      });
    });

    it('fails startJob, createJob, getJobStatus and getJobOutput with RedisUnavailableError at their timeouts', async () => {
      const { supervisor } = await downRedis();
      const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build();

      const errors = await Promise.all([
        supervisor.startJob(job, { timeoutMs: 300 }).catch((caught: unknown) => caught),
        supervisor.createJob(job, { timeoutMs: 300 }).catch((caught: unknown) => caught),
        supervisor.getJobStatus(job.id, { timeoutMs: 300 }).catch((caught: unknown) => caught),
        supervisor.getJobOutput(job.id).catch((caught: unknown) => caught),
      ]);

      for (const error of errors) expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(errors.map((error) => (error as RedisUnavailableError).enqueued)).toEqual([
        'no',
        'no',
        undefined,
        undefined,
      ]);
      expect((errors[2] as Error).message).toContain(`cannot read the status of job ${job.id}`);
    });
  });

  it('gives workers what they need to reach a password-protected Redis through redisConnectionInfo()', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const admin = new Redis(redis.url);
    await admin.config('SET', 'requirepass', 'pa:ss@word');
    admin.disconnect();
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = new SupervisorBuilder().redisUrl(redis.url).password('pa:ss@word').prefix(prefix).build();
    cleanups.push(() => supervisor.close());

    const info = supervisor.redisConnectionInfo();
    await startWorker(info.url, info.prefix, { workerId: 'python_from_info' });
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print("via info")').build();

    expect(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 })).toBe('via info\n');
    expect(info).toMatchObject({ password: 'pa:ss@word', prefix, tls: false });
    expect(supervisor.redisDisplay).not.toContain('pa:ss@word');
  });
});
