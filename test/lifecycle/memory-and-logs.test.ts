// Issue 6's memory limit (a worker whose RSS stays above maxMemoryMb is restarted, reason `memory-limit`) and
// issue 5's logging: a pino child per worker with its name and type, state changes at info, decisions with reasons.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { MemoryLimitTracker } from '../../src/lifecycle/memory-limit.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

/** pino's numeric levels. */
const DEBUG = 20;
const INFO = 30;
const WARN = 40;

describe('WorkerLifecycleManager memory limit and logs', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('restarts a worker whose memory stays above maxMemoryMb, with the reason in its events and logs', async () => {
    // Holds ~120 MiB resident (filled, so the pages are real) and idles.
    const hog = new WorkerConfig('hog_worker_0', process.execPath, 'hog').withArgs([
      '-e',
      'globalThis.hold = Buffer.alloc(120 * 1024 * 1024, 1); setInterval(() => {}, 1000);',
    ]);
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder) =>
        builder
          .withTimings({ memoryCheckIntervalMs: 100, memoryLimitReadings: 2 })
          .addWorker(hog)
          .withScriptType('hog', { maxMemoryMb: 64 }),
    });
    const { manager, lines } = harness;
    const reasons: (string | null)[] = [];
    manager.on('worker:restarted', (event) => reasons.push(event.reason));
    await manager.startAllWorkers();

    await waitFor(() => reasons.length > 0, { description: 'a restart' });

    expect(reasons[0]).toBe('memory-limit');
    const warning = lines.find((line) => line.msg === 'restarting worker over its memory limit');
    expect(warning).toMatchObject({
      level: WARN,
      worker: 'hog_worker_0',
      scriptType: 'hog',
      limitMb: 64,
      reason: 'memory-limit',
    });
    expect(warning?.rssMb).toBeGreaterThan(64);
  });

  it('logs state changes at info through a child logger per worker, and scale decisions with their reason', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withScriptType('python', { template: heroWorkerConfig('python', prefix), initial: 1 }),
    });
    const { manager, lines } = harness;

    await manager.startAllWorkers();
    await manager.scaleWorkers('python', 2);

    const running = lines.filter((line) => line.msg === 'worker state changed' && line.state === 'running');
    expect(running.map((line) => [line.level, line.worker, line.scriptType])).toEqual([
      [INFO, 'python_worker_0', 'python'],
      [INFO, 'python_worker_1', 'python'],
    ]);
    const decision = lines.find((line) => line.msg === 'scaler decision' && line.reason === 'manual');
    expect(decision).toMatchObject({ level: INFO, scriptType: 'python', from: 1, to: 2, detail: 'scale to 2' });
  });

  it('logs job activity on a running worker at debug, not as a state change (Finding F11 in test/faults/README.md)', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    const { manager, lines } = harness;
    await manager.startAllWorkers();
    const changesBefore = lines.filter((line) => line.msg === 'worker state changed').length;

    for (let job = 0; job < 3; job += 1) manager.updateWorkerJobTime('python_worker_0');

    expect(lines.filter((line) => line.msg === 'worker state changed')).toHaveLength(changesBefore);
    const reentries = lines.filter((line) => line.msg === 'worker state re-entered');
    expect(reentries.map((line) => [line.level, line.state])).toEqual(Array(3).fill([DEBUG, 'running']));
  });
});

describe('MemoryLimitTracker', () => {
  it('asks for a restart only after the given readings in a row above the limit', () => {
    const tracker = new MemoryLimitTracker(3);

    const verdicts = [90, 90, 50, 90, 90, 90, 90].map((rssMb) => tracker.record('w', rssMb, 64));

    expect(verdicts).toEqual([false, false, false, false, false, true, false]);
  });
});
