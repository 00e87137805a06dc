// Issue 12: the lifecycle layer has one time source, the injected clock. Its background runner and its waits run on
// that clock's timers, so an xstate SimulatedClock drives them: no real time passes in this file.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ConditionWaits } from '../../src/lifecycle/condition-waits.js';
import { PeriodicRunner } from '../../src/lifecycle/periodic-runner.js';

/** Lets settled promises run their callbacks (not a sleep: nothing waits on time). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PeriodicRunner on an injected clock', () => {
  it('runs a task every interval of the clock, never two at once, and at once on runNow', async () => {
    const clock = new SimulatedClock();
    const runner = new PeriodicRunner(clock, () => {});
    let runs = 0;
    let release: () => void = () => {};
    const task = runner.every('probe', 1_000, () => {
      runs += 1;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });

    clock.increment(999);
    expect(runs).toBe(0);
    clock.increment(1);
    expect(runs).toBe(1);
    // The run is still in progress: another interval does not start a second one, runNow only queues one.
    clock.increment(5_000);
    task.runNow();
    expect(runs).toBe(1);
    release();
    await flush();
    expect(runs).toBe(2);
    release();
    await flush();
    clock.increment(1_000);
    expect(runs).toBe(3);

    task.stop();
    release();
    await flush();
    clock.increment(10_000);
    expect(runs).toBe(3);
  });

  it('reports a failing run and carries on', async () => {
    const clock = new SimulatedClock();
    const errors: string[] = [];
    const runner = new PeriodicRunner(clock, (name, error) => errors.push(`${name}: ${error.message}`));
    let runs = 0;
    runner.every('flaky', 100, async () => {
      runs += 1;
      if (runs === 1) throw new Error('boom');
    });

    clock.increment(100);
    await flush();
    clock.increment(100);
    await flush();

    expect(errors).toEqual(['flaky: boom']);
    expect(runs).toBe(2);
    runner.stopAll();
  });
});

describe('ConditionWaits on an injected clock', () => {
  it('resolves when woken with the condition true, and fails at its deadline on the clock', async () => {
    const clock = new SimulatedClock();
    const waits = new ConditionWaits(clock);
    let ready = false;
    const settled = waits.until(() => ready, 'ready', 10_000);
    ready = true;
    waits.wake();
    await expect(settled).resolves.toBeUndefined();

    const never = waits.until(() => false, 'something that never happens', 1_000);
    clock.increment(1_050);
    await expect(never).rejects.toThrow('Timed out after 1000 ms waiting for something that never happens.');
  });
});
