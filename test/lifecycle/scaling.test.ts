// Issue 5: scaling python 0 → 3 → 1 with real hero-worker processes on the embedded backend; idle workers go first
// and a busy one finishes its job.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig, runningScriptOf } from './lifecycle-harness.js';

describe('WorkerLifecycleManager scaling', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('scales python 0 → 3 → 1, stopping idle workers first while a busy one finishes its job', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withScriptType('python', { template: heroWorkerConfig('python', prefix), min: 0, max: 5 }),
    });
    const { manager } = harness;
    const scaled: string[] = [];
    manager.on('scaler:scaled', (event) => scaled.push(`${event.from}→${event.to} ${event.reason}`));
    await manager.startAllWorkers();
    expect(manager.getRunningWorkerCount('python')).toBe(0);

    await manager.scaleWorkers('python', 3);
    expect(manager.getRunningWorkerCount('python')).toBe(3);
    expect(manager.listWorkers().map((worker) => worker.name)).toEqual([
      'python_worker_0',
      'python_worker_1',
      'python_worker_2',
    ]);
    // Make one worker busy: a job that takes a while.
    const jobId = await harness.addJob('import time\ntime.sleep(2)\nprint("done")');
    const busy = await waitFor(() => manager.listWorkers().find((worker) => worker.busy), {
      description: 'a worker busy with the slow job',
    });
    const busyPid = busy.pid as number;

    await manager.scaleWorkers('python', 1);

    expect(manager.listWorkers().map((worker) => worker.name)).toEqual([busy.name]);
    expect(isProcessAlive(busyPid)).toBe(true);
    await waitFor(async () => (await harness?.jobState(jobId)) === 'completed', {
      description: 'the slow job completed',
    });
    expect(scaled).toEqual(['0→0 initial', '0→3 manual', '3→1 manual']);
  });

  it('lets a busy worker finish its job when a scale-down has to take it', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withScriptType('python', { template: heroWorkerConfig('python', prefix), initial: 1 }),
    });
    const { manager } = harness;
    await manager.startAllWorkers();
    const jobId = await harness.addJob('import time\ntime.sleep(1)\nprint("finished")');
    await waitFor(() => manager.getWorkerStatus('python_worker_0').busy, { description: 'the worker busy' });
    // The job is busy from its `started` event; wait until its interpreter runs in its own process group, so that the
    // stop signal to the worker's group cannot catch the interpreter between fork and setsid.
    const workerPid = manager.getWorkerStatus('python_worker_0').pid as number;
    await waitFor(() => runningScriptOf(workerPid), { description: 'the interpreter running' });

    await manager.scaleWorkers('python', 0);

    expect(manager.listWorkers()).toEqual([]);
    expect({ state: await harness.jobState(jobId), reason: await harness.failedReason(jobId) }).toEqual({
      state: 'completed',
      reason: undefined,
    });
  });
});
