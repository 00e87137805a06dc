// Issue 5: autoscaling from queue depth (waiting + prioritized jobs, through BullMQ's getters): up at once under a
// burst of jobs, and back down to zero once the queue stayed empty for the stabilization window.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ScalerScaledEvent } from '../../src/lifecycle/lifecycle-events.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager autoscaling', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('scales up under a burst of jobs and back down after the window', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withTimings({ autoscalePollIntervalMs: 100 }).withScriptType('python', {
          template: heroWorkerConfig('python', prefix),
          min: 0,
          max: 3,
          autoscale: { enabled: true, targetJobsPerWorker: 2, stabilizationWindowMs: 1_000, cooldownMs: 500 },
        }),
    });
    const { manager } = harness;
    const decisions: ScalerScaledEvent[] = [];
    manager.on('scaler:scaled', (event) => decisions.push(event));
    await manager.startAllWorkers();
    expect(manager.getRunningWorkerCount('python')).toBe(0);

    const jobs = await Promise.all(Array.from({ length: 6 }, () => harness?.addJob('import time\ntime.sleep(0.5)')));

    const up = await waitFor(() => decisions.find((decision) => decision.reason === 'autoscale-up'), {
      description: 'an autoscale-up decision',
    });
    expect(up).toMatchObject({ scriptType: 'python', from: 0, to: 3 });
    expect(up.detail).toMatch(/^queue depth 6 wants 3 worker\(s\)/);
    await waitFor(() => manager.getRunningWorkerCount('python') >= 1, { description: 'a worker up' });
    await waitFor(
      async () =>
        (await Promise.all(jobs.map((id) => harness?.jobState(id as string)))).every((s) => s === 'completed'),
      { description: 'every job completed', timeoutMs: 30_000 },
    );
    // Down in steps, each to the highest need seen during the window, until the empty queue held for the window.
    await waitFor(() => decisions.some((decision) => decision.reason === 'autoscale-down' && decision.to === 0), {
      description: 'an autoscale-down decision to 0',
    });
    const afterUp = decisions.slice(decisions.indexOf(up) + 1);
    expect(afterUp.every((decision) => decision.reason === 'autoscale-down' && decision.to < decision.from)).toBe(true);
    await waitFor(() => manager.listWorkers().length === 0, { description: 'every worker removed' });
  });
});
