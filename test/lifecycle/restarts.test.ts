// Issue 5: a crash-looping binary backs off, gives up under the restart intensity limit and recovers after the
// cooldown, without disturbing the other workers.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager restarts', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('gives a crash-looping worker up after maxRestarts and retries it after the cooldown, leaving others alone', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      settings: {
        maxRestarts: 3,
        restartWindowMs: 60_000,
        giveUpCooldownMs: 1_000,
        backoffBaseMs: 20,
        backoffMaxMs: 100,
      },
      configure: (builder, prefix) =>
        builder
          .addWorker(heroWorkerConfig('python_worker_0', prefix))
          .addWorker(
            new WorkerConfig('crashy_worker_0', process.execPath, 'crashy').withArgs(['-e', 'process.exit(3)']),
          ),
    });
    const { manager } = harness;
    const timeline: string[] = [];
    manager.on('worker:restarted', (event) => timeline.push(`${event.worker} restarted: ${event.reason}`));
    manager.on('worker:gaveUp', (event) => timeline.push(`${event.worker} gave up: ${event.reason}`));
    // The crashing worker may fail before it was ever up: startAllWorkers then says which one.
    await manager.startAllWorkers().catch((error: Error) => expect(error.message).toMatch(/crashy_worker_0/));
    const python = manager.getWorkerStatus('python_worker_0');

    await waitFor(() => timeline.includes('crashy_worker_0 gave up: restart-intensity'), { description: 'give-up' });
    expect(timeline.filter((entry) => entry.startsWith('crashy_worker_0 restarted'))).toEqual([
      'crashy_worker_0 restarted: exited with code 3',
      'crashy_worker_0 restarted: exited with code 3',
      'crashy_worker_0 restarted: exited with code 3',
    ]);
    expect(manager.getWorkerStatus('crashy_worker_0')).toMatchObject({
      state: 'failed',
      gaveUp: true,
      reason: 'restart-intensity',
    });

    // After the cooldown it tries again by itself: never a dead end.
    const gaveUpAt = timeline.indexOf('crashy_worker_0 gave up: restart-intensity');
    await waitFor(() => timeline.slice(gaveUpAt + 1).some((entry) => entry.startsWith('crashy_worker_0 restarted')), {
      description: 'a restart after the cooldown',
    });

    const after = manager.getWorkerStatus('python_worker_0');
    expect(after).toMatchObject({ state: python.state, pid: python.pid, restarts: 0 });
  });
});
