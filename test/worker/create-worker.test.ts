/** The worker runtime as a library: createWorker in-process, real Redis (issue #4). */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ScriptError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { controlQueueName } from '../../src/transport/queue-names.js';
import { PING_JOB_NAME, type PingJobData } from '../../src/transport/wire-protocol.js';
import { createWorker, type HeroWorker } from '../../src/worker/create-worker.js';
import type { Execute } from '../../src/worker/execute.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function setup(execute: Execute, workerId = 'osis_lib') {
  const redisUrl = inject('redisUrl');
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const worker: HeroWorker = createWorker({
    scriptType: 'osis',
    workerId,
    redis: redisUrl,
    prefix,
    execute,
    handleSignals: false,
  });
  cleanups.push(() => worker.close());
  const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
  cleanups.push(() => supervisor.close());
  return { worker, supervisor, prefix, redisUrl };
}

describe('createWorker', () => {
  it('runs jobs through execute and counts them in its ping reply', async () => {
    const { worker, supervisor } = setup(async (job) => ({ stdout: job.script.toUpperCase() }));
    await worker.ready;
    const job = supervisor.newJob().scriptType(ScriptType.OSIS).scriptContent('hello').build();

    expect(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 10_000 })).toBe('HELLO');
    const outcome = await supervisor.pingWorker('osis_lib', { timeoutMs: 5_000 });

    expect(outcome).toMatchObject({
      type: 'ok',
      reply: { workerId: 'osis_lib', pid: process.pid, jobsProcessed: 1, activeJobs: 0 },
    });
  });

  it('retries a failed attempt when the job has retries left', async () => {
    let attempts = 0;
    const { worker, supervisor } = setup(async () => {
      attempts++;
      if (attempts === 1) throw new ScriptError('Script exited with code 1 (flaky).', { stderr: 'first try' });
      return { stdout: `attempt ${attempts}` };
    });
    await worker.ready;
    const job = supervisor.newJob().scriptType(ScriptType.OSIS).scriptContent('x').retries(1).build();

    expect(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 })).toBe('attempt 2');
  });

  it('ignores a ping older than its timeout, leaving it unanswered', async () => {
    const { worker, prefix, redisUrl } = setup(async () => ({ stdout: '' }), 'osis_stale');
    await worker.ready;
    const queue = new Queue(controlQueueName('osis_stale'), { connection: { url: redisUrl }, prefix });
    cleanups.push(() => queue.close());
    const stale: PingJobData = { type: 'ping', sentAt: Date.now() - 10_000, timeoutMs: 1_000 };

    const job = await queue.add(PING_JOB_NAME, stale);
    const state = await waitFor(
      async () => {
        const current = await job.getState();
        return current === 'failed' || current === 'completed' ? current : undefined;
      },
      { description: 'the stale ping to be handled' },
    );

    expect(state).toBe('failed');
    const failed = await queue.getJob(job.id as string);
    expect(failed?.failedReason).toMatch(/^stale ping ignored: sent \d+ ms ago, its timeout was 1000 ms$/);
    expect(failed?.returnvalue ?? null).toBeNull();
  });

  it('fails a job whose data is not a script job, without retrying', async () => {
    const { worker, prefix, redisUrl } = setup(async () => ({ stdout: 'should not run' }), 'osis_strict');
    await worker.ready;
    const queue = new Queue('jobs.osis', { connection: { url: redisUrl }, prefix });
    cleanups.push(() => queue.close());

    const job = await queue.add('script', { id: 'x', script: 42 }, { attempts: 3 });
    await waitFor(async () => (await job.getState()) === 'failed', { description: 'the bad job to fail' });

    const failed = await queue.getJob(job.id as string);
    expect(failed?.failedReason).toBe('Invalid job: job data field `scriptType` is missing (expected a string).');
    expect(failed?.attemptsMade).toBe(1);
  });

  it('refuses a worker id BullMQ cannot use in a queue name', () => {
    expect(() =>
      createWorker({
        scriptType: 'osis',
        workerId: 'bad:id',
        redis: inject('redisUrl'),
        execute: async () => ({ stdout: '' }),
        handleSignals: false,
      }),
    ).toThrow('Expected `workerId` to be 1-128 letters, digits, `_`, `.` or `-`, got `bad:id` (string).');
  });
});
