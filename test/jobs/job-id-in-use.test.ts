/**
 * A job id is never answered with another job's result (issue #11 item 4). Before, a second job sent with a used id
 * returned the first job's result in 45 ms and its own script never ran; two concurrent sends both got one result.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { JobIdInUseError, RedisUnavailableError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { jobQueueName } from '../../src/transport/queue-names.js';
import { SCRIPT_JOB_NAME } from '../../src/transport/wire-protocol.js';
import { RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { HeroWorkerProcess } from '../worker/hero-worker-process.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function supervisorOn(prefix: string): Supervisor {
  const supervisor = new SupervisorBuilder().redisUrl(inject('redisUrl')).prefix(prefix).build();
  cleanups.push(() => supervisor.close());
  return supervisor;
}

async function startWorker(prefix: string): Promise<void> {
  const worker = new HeroWorkerProcess({
    workerId: `python_${randomUUID().slice(0, 6)}`,
    redisUrl: inject('redisUrl'),
    prefix,
  });
  cleanups.push(() => worker.kill());
  await worker.ready();
}

function pythonJob(supervisor: Supervisor, id: string, script: string) {
  return supervisor.newJob().scriptType(ScriptType.Python).scriptContent(script).timeout(10_000).id(id).build();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('job ids in use', () => {
  it('refuses a second job with the id of a completed one, naming the id and its state', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = supervisorOn(prefix);
    await startWorker(prefix);
    const id = `collide-${randomUUID().slice(0, 6)}`;
    expect(await supervisor.runJobAndAwaitResult(pythonJob(supervisor, id, 'print("result-A")'))).toBe('result-A\n');

    const error = await rejection(supervisor.runJobAndAwaitResult(pythonJob(supervisor, id, 'print("result-B")')));

    expect(error).toBeInstanceOf(JobIdInUseError);
    expect(error).toMatchObject({ code: 'JOB_ID_IN_USE', jobId: id, state: 'completed' });
    expect((error as Error).message).toContain(`Job id \`${id}\` is in use by another job (completed)`);
    expect(await supervisor.getJobOutput(id)).toBe('result-A\n');
  });

  it('refuses an id held by an active job and by a failed one', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = supervisorOn(prefix);
    await startWorker(prefix);
    const failed = `failed-${randomUUID().slice(0, 6)}`;
    await rejection(supervisor.runJobAndAwaitResult(pythonJob(supervisor, failed, 'raise SystemExit(3)')));
    const active = `active-${randomUUID().slice(0, 6)}`;
    await supervisor.startJob(pythonJob(supervisor, active, 'import time\ntime.sleep(30)'));
    await waitFor(async () => (await supervisor.getJobStatus(active)) === 'active', {
      description: 'the long job to be active',
    });

    for (const [id, state] of [
      [failed, 'failed'],
      [active, 'active'],
    ] as const) {
      const error = await rejection(supervisor.startJob(pythonJob(supervisor, id, 'print(2)')));
      expect(error, id).toBeInstanceOf(JobIdInUseError);
      expect(error, id).toMatchObject({ jobId: id, state });
    }
  });

  it('of concurrent sends with one id from two supervisors, exactly one is accepted and gets its own result', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const [first, second] = [supervisorOn(prefix), supervisorOn(prefix)];
    await startWorker(prefix);
    const id = `race-${randomUUID().slice(0, 6)}`;
    const sends = Array.from({ length: 10 }, (_, index) => {
      const supervisor = index % 2 === 0 ? first : second;
      return supervisor.runJobAndAwaitResult(pythonJob(supervisor, id, `print("result-${index}")`));
    });

    const settled = await Promise.allSettled(sends);

    const accepted = settled.flatMap((result, index) => (result.status === 'fulfilled' ? [{ index, result }] : []));
    expect(accepted).toHaveLength(1);
    const [winner] = accepted;
    expect(winner?.result).toEqual({ status: 'fulfilled', value: `result-${winner?.index}\n` });
    for (const result of settled) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(JobIdInUseError);
        expect((result.reason as JobIdInUseError).jobId).toBe(id);
      }
    }
  });

  it('refuses an id held by a waiting job, by a created one, and by a job a plain BullMQ producer added', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = supervisorOn(prefix);
    const waiting = `wait-${randomUUID().slice(0, 6)}`;
    await supervisor.startJob(pythonJob(supervisor, waiting, 'print(1)'));
    const created = `created-${randomUUID().slice(0, 6)}`;
    await supervisor.createJob(pythonJob(supervisor, created, 'print(1)'));
    const foreign = `foreign-${randomUUID().slice(0, 6)}`;
    const queue = new Queue(jobQueueName('python'), { connection: { url: inject('redisUrl') }, prefix });
    cleanups.push(() => queue.close());
    await queue.add(SCRIPT_JOB_NAME, { id: foreign }, { jobId: foreign });

    for (const [id, state] of [
      [waiting, 'waiting'],
      [created, 'created'],
      [foreign, 'waiting'],
    ] as const) {
      const error = await rejection(supervisor.startJob(pythonJob(supervisor, id, 'print(2)')));
      expect(error, id).toBeInstanceOf(JobIdInUseError);
      expect(error, id).toMatchObject({ jobId: id, state });
    }
    // An id in use under another script type is refused too: ids name one job across the job queues.
    const error = await rejection(
      supervisor.startJob(supervisor.newJob().scriptType(ScriptType.OSIS).scriptContent('x').id(waiting).build()),
    );
    expect(error).toMatchObject({ jobId: waiting, state: 'waiting' });
  });

  it('sending the same Job again is safe (one job), and createJob then startJob(id) is the same job', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = supervisorOn(prefix);
    const job = pythonJob(supervisor, `same-${randomUUID().slice(0, 6)}`, 'print(1)');

    expect(await supervisor.startJob(job)).toBe(job.id);
    expect(await supervisor.startJob(job)).toBe(job.id);
    expect(await supervisor.getJobStatus(job.id)).toBe('waiting');

    const stored = pythonJob(supervisor, `stored-${randomUUID().slice(0, 6)}`, 'print(1)');
    await supervisor.createJob(stored);
    expect(await supervisor.startJob(stored.id)).toBe(stored.id);
    expect(await supervisor.getJobStatus(stored.id)).toBe('waiting');
    // A generated id (a uuid: no claim needed) works the same way.
    const generated = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build();
    await supervisor.createJob(generated);
    expect(await supervisor.startJob(generated.id)).toBe(generated.id);
    expect(await supervisor.getJobStatus(generated.id)).toBe('waiting');
    // A chosen id equal to a generated one in use is refused.
    expect(await rejection(supervisor.startJob(pythonJob(supervisor, generated.id, 'print(2)')))).toMatchObject({
      jobId: generated.id,
      state: 'waiting',
    });
  });

  it('a chosen id sent to a frozen Redis: not enqueued, and the same Job sent again runs once', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const supervisor = new SupervisorBuilder()
      .redisUrl(redis.url)
      .prefix(`t-${randomUUID().slice(0, 8)}`)
      .build();
    cleanups.push(() => supervisor.close());
    await supervisor.startJob(pythonJob(supervisor, `warm-${randomUUID().slice(0, 6)}`, 'print(0)'), {
      timeoutMs: 10_000,
    });
    const job = pythonJob(supervisor, `frozen-${randomUUID().slice(0, 6)}`, 'print(1)');
    process.kill(redis.pid as number, 'SIGSTOP');
    cleanups.push(async () => process.kill(redis.pid as number, 'SIGCONT'));

    const error = await rejection(supervisor.startJob(job, { timeoutMs: 300 }));
    process.kill(redis.pid as number, 'SIGCONT');

    // The first command of the send claims the id: it may have landed, the job itself was not enqueued.
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error).toMatchObject({ jobId: job.id, enqueued: 'no' });
    expect((error as Error).message).toContain('send the same Job again');
    expect(await supervisor.startJob(job, { timeoutMs: 10_000 })).toBe(job.id);
    expect(await supervisor.getJobStatus(job.id)).toBe('waiting');
    // Another job with that id is refused: the id is the first one's.
    expect(await rejection(supervisor.startJob(pythonJob(supervisor, job.id, 'print(2)')))).toBeInstanceOf(
      JobIdInUseError,
    );
  });

  it('frees the id of a job removed unrun because its caller stopped waiting', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const supervisor = supervisorOn(prefix);
    const id = `freed-${randomUUID().slice(0, 6)}`;
    await rejection(supervisor.runJobAndAwaitResult(pythonJob(supervisor, id, 'print("A")'), { timeoutMs: 300 }));

    await startWorker(prefix);
    expect(await supervisor.runJobAndAwaitResult(pythonJob(supervisor, id, 'print("B")'))).toBe('B\n');
  });
});
