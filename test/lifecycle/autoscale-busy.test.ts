// Issue 12: autoscaling that sees busy workers. The need counts jobs in flight, so a busy pool with a queue is
// never scaled down; a job's arrival wakes the autoscaler at once; a scale-down takes generated instances before
// configured, named workers, and a removed worker's status is its last known state, never a contradiction.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { WorkerNotFoundError } from '../../src/errors.js';
import type { ScalerScaledEvent } from '../../src/lifecycle/lifecycle-events.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager autoscaling with busy workers', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('never scales a busy pool down while jobs wait', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withTimings({ autoscalePollIntervalMs: 100 }).withScriptType('python', {
          template: heroWorkerConfig('python', prefix),
          min: 0,
          max: 2,
          autoscale: { enabled: true, targetJobsPerWorker: 2, stabilizationWindowMs: 300, cooldownMs: 100 },
        }),
    });
    const { manager } = harness;
    const decisions: ScalerScaledEvent[] = [];
    manager.on('scaler:scaled', (event) => decisions.push(event));
    await manager.startAllWorkers();

    // Four slow jobs: two run, two wait. By queue depth alone (2 waiting at 2 per worker) one worker would do.
    const jobs = await Promise.all(Array.from({ length: 4 }, () => harness?.addJob('import time\ntime.sleep(1.5)')));
    await waitFor(() => decisions.find((decision) => decision.reason === 'autoscale-up' && decision.to === 2), {
      description: 'an autoscale-up to 2 workers',
    });
    await waitFor(
      async () =>
        (await Promise.all(jobs.map((id) => harness?.jobState(id as string)))).every((s) => s === 'completed'),
      { description: 'every job completed', timeoutMs: 30_000 },
    );

    // The queue was empty only once the last job was taken: no scale-down before that.
    const queue = new Redis(inject('redisUrl'));
    try {
      const taken = await Promise.all(
        jobs.map(async (id) => Number(await queue.hget(`${harness?.prefix}:jobs.python:${id}`, 'processedOn'))),
      );
      const lastTakenAt = Math.max(...taken);
      expect(lastTakenAt).toBeGreaterThan(0);
      const early = decisions.filter((decision) => decision.reason === 'autoscale-down' && decision.at < lastTakenAt);
      expect(early).toEqual([]);
    } finally {
      queue.disconnect();
    }
  });

  /** An autoscaled pool (min 0) polled once a minute: only a job's arrival can scale it up within a test. */
  const pollOnceAMinute = () =>
    createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withTimings({ autoscalePollIntervalMs: 60_000 }).withScriptType('python', {
          template: heroWorkerConfig('python', prefix),
          min: 0,
          max: 2,
          autoscale: { enabled: true, targetJobsPerWorker: 1 },
        }),
    });

  it('wakes up when a job arrives instead of waiting for its next poll', async () => {
    harness = pollOnceAMinute();
    const { manager } = harness;
    const decisions: ScalerScaledEvent[] = [];
    manager.on('scaler:scaled', (event) => decisions.push(event));
    await manager.startAllWorkers();
    // The arrivals subscription (BullMQ QueueEvents, which names its connection `<prefix>:<base64 queue>:qe`) is
    // blocked reading events: a job added now is seen.
    const redis = new Redis(inject('redisUrl'));
    const name = `${harness.prefix}:${Buffer.from('jobs.python').toString('base64')}:qe`;
    try {
      await waitFor(
        async () =>
          String(await redis.client('LIST'))
            .split('\n')
            .some((line) => line.includes(`name=${name} `) && line.includes('cmd=xread')),
        { description: 'the arrivals subscription listening' },
      );
    } finally {
      redis.disconnect();
    }

    const job = await harness.addJob('print(1)');

    const up = await waitFor(() => decisions.find((decision) => decision.reason === 'autoscale-up'), {
      description: 'an autoscale-up on the job arrival',
    });
    expect(up).toMatchObject({ from: 0, to: 1 });
    await waitFor(async () => (await harness?.jobState(job)) === 'completed', { description: 'the job completed' });
  });

  it('wakes up for a job sent the moment startAllWorkers resolves (the arrival listener is reading by then)', async () => {
    harness = pollOnceAMinute();
    const { manager } = harness;
    const decisions: ScalerScaledEvent[] = [];
    manager.on('scaler:scaled', (event) => decisions.push(event));
    await manager.startAllWorkers();
    const job = await harness.addJob('print(1)');

    const up = await waitFor(() => decisions.find((decision) => decision.reason === 'autoscale-up'), {
      description: 'an autoscale-up on a job sent right after start',
    });
    expect(up).toMatchObject({ from: 0, to: 1 });
    await waitFor(async () => (await harness?.jobState(job)) === 'completed', { description: 'the job completed' });
  });

  it('removes generated workers before configured ones, and reports a removed worker as removed', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      settings: { idleTimeoutMs: 500 },
      configure: (builder, prefix) =>
        builder
          .addWorker(heroWorkerConfig('python_api', prefix))
          .withScriptType('python', { template: heroWorkerConfig('python', prefix), min: 0, max: 4 }),
    });
    const { manager } = harness;
    await manager.startAllWorkers();
    await manager.scaleWorkers('python', 3);
    expect(manager.listWorkers().map((worker) => worker.name)).toEqual([
      'python_api',
      'python_worker_0',
      'python_worker_1',
    ]);
    // The configured worker is idle, the generated ones just had a job: by state alone it would go first.
    await waitFor(() => ['idle', 'pinging'].includes(manager.getWorkerStatus('python_api').state), {
      description: 'python_api idle',
    });
    manager.updateWorkerJobTime('python_worker_0');
    manager.updateWorkerJobTime('python_worker_1');

    await manager.scaleWorkers('python', 1);

    expect(manager.listWorkers().map((worker) => worker.name)).toEqual(['python_api']);
    expect(manager.getWorkerStatus('python_worker_1')).toMatchObject({
      name: 'python_worker_1',
      state: 'stopped',
      removed: true,
      pid: null,
    });
    expect(manager.getWorkerStatus('python_api').removed).toBeUndefined();
    expect(() => manager.getWorkerStatus('python_worker_7')).toThrow(WorkerNotFoundError);
    expect(() => manager.getWorkerStatus('python_worker_7')).toThrow(
      'Unknown worker "python_worker_7" (known workers: python_api). Add it with addWorker() or startWorker(config).',
    );
  });
});
