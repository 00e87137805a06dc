// Bugs that survived the first test suite when planted by hand (issue 13), each pinned by a test that fails with the
// bug in: backoff above its cap, jitter removed, the restart-intensity window off by one, and job activity that does
// not re-arm the idle timer. (`min` honoured by scale.to and autoscale-down: test/machines/oracle/scaler.oracle.ts.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, type StateValue } from 'xstate';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { workerMachine, workerStateOf } from '../../machines/worker.machine.js';
import { leafOfValue } from './oracle/flatten.js';
import { bringUp, createWorkerHarness, type WorkerHarness } from './worker-harness.js';

const leafOf = (harness: WorkerHarness) => leafOfValue(harness.actor.getSnapshot().value);

/** Crashes the running worker `crashes` times, letting each restart come up; returns each restart's delay. */
async function crashLoop(harness: WorkerHarness, crashes: number): Promise<number[]> {
  const delays: number[] = [];
  for (let pid = 100; pid < 100 + crashes; pid++) {
    await harness.send({ type: 'process.exited', pid: harness.context().pid, code: 1, signal: null });
    delays.push(harness.context().restartDelayMs);
    if (leafOf(harness) === 'backingOff') await harness.advance(harness.context().restartDelayMs);
    expect(leafOf(harness)).toBe('restarting');
    await harness.resolve('restartProcess');
    await harness.send({ type: 'process.running', pid });
  }
  return delays;
}

function startWorker(name: string, settings: Partial<WorkerSettings>): WorkerHarness {
  return createWorkerHarness({ name, settings: { maxRestarts: 10_000, ...settings } });
}

describe('restart backoff', () => {
  it('never waits longer than backoffMaxMs, for any number of restarts in a row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 5_000 }),
        async (crashes, backoffBaseMs, backoffMaxMs) => {
          const harness = startWorker('python_worker_1', { backoffBaseMs, backoffMaxMs });
          try {
            await bringUp(harness, 1);
            const delays = await crashLoop(harness, crashes);
            expect(delays[0]).toBe(0);
            for (const [index, delay] of delays.slice(1).entries()) {
              const exponential = Math.min(backoffMaxMs, backoffBaseMs * 2 ** index);
              expect(delay).toBeLessThanOrEqual(backoffMaxMs);
              expect(delay).toBeGreaterThanOrEqual(Math.floor(exponential / 2));
            }
          } finally {
            harness.stop();
          }
        },
      ),
      { numRuns: 25, examples: [[30, 100, 1_000]] },
    );
  });

  it('jitters: capped delays differ from restart to restart, and from worker to worker', async () => {
    const delaysOf = async (name: string) => {
      const harness = startWorker(name, { backoffBaseMs: 1_000, backoffMaxMs: 1_000 });
      try {
        await bringUp(harness, 1);
        return (await crashLoop(harness, 11)).slice(1);
      } finally {
        harness.stop();
      }
    };

    const first = await delaysOf('python_worker_1');
    const second = await delaysOf('python_worker_2');

    for (const delay of [...first, ...second]) {
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
    // Seeded by the worker's name: deterministic, so these counts cannot fail by chance.
    expect(new Set(first).size).toBeGreaterThanOrEqual(8);
    expect(first).not.toEqual(second);
  });
});

describe('restart intensity', () => {
  const settings = { maxRestarts: 1, restartWindowMs: 60_000 };

  it('forgets a restart exactly restartWindowMs old: the next crash restarts', async () => {
    const harness = createWorkerHarness({ settings });
    await bringUp(harness, 1);
    await crashLoop(harness, 1);

    await harness.advance(60_000);
    await harness.send({ type: 'process.exited', pid: 100, code: 1, signal: null });

    expect(leafOf(harness)).toBe('restarting');
    expect(harness.context().restartHistory).toEqual([60_000]);
    harness.stop();
  });

  it('still counts a restart one ms younger: the next crash gives up', async () => {
    const harness = createWorkerHarness({ settings });
    await bringUp(harness, 1);
    await crashLoop(harness, 1);

    await harness.advance(59_999);
    await harness.send({ type: 'process.exited', pid: 100, code: 1, signal: null });

    expect(leafOf(harness)).toBe('gaveUp');
    expect(harness.context().reason).toBe('restart-intensity');
    harness.stop();
  });
});

describe('idle timer', () => {
  it('is re-armed by each job activity: running right before every activity, idle only idleTimeout after the last', async () => {
    const idleTimeoutMs = 60_000;
    const harness = createWorkerHarness({ settings: { idleTimeoutMs } });
    await bringUp(harness, 1);

    for (let i = 0; i < 5; i++) {
      await harness.advance(idleTimeoutMs - 1);
      expect(leafOf(harness), `before activity ${i}`).toBe('running');
      expect(harness.pending('pingWorker')).toEqual([]);
      await harness.send({ type: 'job.activity', jobId: `job-${i}` });
    }
    await harness.advance(idleTimeoutMs - 1);
    expect(leafOf(harness)).toBe('running');
    await harness.advance(1);

    expect(leafOf(harness)).toBe('pinging');
    expect(harness.calls.filter((call) => call.actor === 'pingWorker')).toHaveLength(1);
    harness.stop();
  });
});

describe('backendRestartGraceMs', () => {
  const settings = { backendRestartGraceMs: 2_000, pingFailureThreshold: 1 };

  it('after an exit, waits the grace for the backend to respawn before restarting', async () => {
    const harness = createWorkerHarness({ settings });
    await bringUp(harness, 1);

    await harness.send({ type: 'process.exited', pid: 1, code: 1, signal: null });

    expect(leafOf(harness)).toBe('backingOff');
    expect(harness.context().restartDelayMs).toBe(2_000);
    await harness.advance(1_999);
    expect(leafOf(harness)).toBe('backingOff');
    await harness.advance(1);
    expect(leafOf(harness)).toBe('restarting');
    harness.stop();
  });

  it('restarts a hung process (still there, so no backend respawns it) at once', async () => {
    const harness = createWorkerHarness({ settings });
    await bringUp(harness, 1);
    await harness.advance(harness.context().settings.idleTimeoutMs);

    await harness.resolve('pingWorker', { type: 'timeout', timeoutMs: 5_000 });

    expect(leafOf(harness)).toBe('restarting');
    expect(harness.context().restartDelayMs).toBe(0);
    harness.stop();
  });
});

describe('workerStateOf', () => {
  // The state names a scaler and the lifecycle manager see: the substate inside `up`, `failed` for any of its own.
  const snapshotAt = (value: StateValue) => {
    const worker = createActor(workerMachine, { input: { name: 'w', scriptType: 'python' } });
    return workerMachine.resolveState({ value, context: worker.getSnapshot().context });
  };

  it.each([
    ['stopped', 'stopped'],
    ['starting', 'starting'],
    ['restarting', 'restarting'],
    ['stopping', 'stopping'],
    [{ up: 'running' }, 'running'],
    [{ up: 'idle' }, 'idle'],
    [{ up: 'pinging' }, 'pinging'],
    [{ failed: 'deciding' }, 'failed'],
    [{ failed: 'backingOff' }, 'failed'],
    [{ failed: 'gaveUp' }, 'failed'],
  ] as const)('names %j %s', (value, name) => {
    expect(workerStateOf(snapshotAt(value))).toBe(name);
  });
});
