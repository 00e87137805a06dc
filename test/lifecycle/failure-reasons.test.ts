// From issue 11: a worker's `reason` says what is wrong now. A recovered worker's reason is cleared once it is up
// again; a worker that gave up says why in its own words, with the last lines of its stderr.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { WorkerStateChangedEvent } from '../../src/lifecycle/lifecycle-events.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager failure reasons', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('clears the reason of a worker that recovered', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    const { manager } = harness;
    const changes: WorkerStateChangedEvent[] = [];
    manager.on('worker:stateChanged', (event) => changes.push(event));
    await manager.startAllWorkers();
    const before = manager.getWorkerStatus('python_worker_0').pid as number;

    process.kill(before, 'SIGKILL');
    await waitFor(
      () => {
        const status = manager.getWorkerStatus('python_worker_0');
        return status.state === 'running' && status.pid !== before;
      },
      { description: 'python_worker_0 running again with a new pid' },
    );

    expect(changes.find((change) => change.to === 'failed')?.reason).toBe('killed by SIGKILL');
    expect(changes.at(-1)).toMatchObject({ to: 'running', reason: null });
    expect(manager.getWorkerStatus('python_worker_0')).toMatchObject({ state: 'running', reason: null, restarts: 1 });
  });

  it('gives a crash-looping worker up with the last lines of its stderr in its reason', async () => {
    const crash = "console.error('cannot find interpreter ruby'); console.error('exiting'); process.exit(2)";
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      settings: { maxRestarts: 1, backoffBaseMs: 20, backoffMaxMs: 50 },
      configure: (builder) =>
        builder.addWorker(new WorkerConfig('ruby_worker_0', process.execPath, 'ruby').withArgs(['-e', crash])),
    });
    const { manager } = harness;
    await manager.startAllWorkers().catch((error: Error) => expect(error.message).toMatch(/ruby_worker_0/));

    const status = await waitFor(
      () => {
        const current = manager.getWorkerStatus('ruby_worker_0');
        return current.gaveUp && current.reason?.includes('last stderr') ? current : undefined;
      },
      { description: 'ruby_worker_0 given up, with its stderr in its reason' },
    );

    expect(status.reason).toBe('restart-intensity; last stderr: cannot find interpreter ruby | exiting');
    expect(harness.lines.some((line) => line.msg === 'worker gave up: last lines of its stderr')).toBe(true);
  });
});
