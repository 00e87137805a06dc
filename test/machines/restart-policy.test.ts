// The pure restart accounting of the worker (machines/restart-policy.ts): restart intensity at the edges of its
// window, the exponential backoff and its cap for any attempt, the jitter source, and the reasons of an exit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  describeExit,
  nextRandom,
  planRestart,
  recordRestart,
  seedFromString,
} from '../../machines/restart-policy.js';

describe('recordRestart', () => {
  it('counts a restart exactly windowMs ago as outside the window, one ms later as inside', () => {
    expect(recordRestart([0], 60_000, 60_000, 1)).toEqual({ history: [60_000], exceeded: false });
    expect(recordRestart([1], 60_000, 60_000, 1)).toEqual({ history: [60_000, 1], exceeded: true });
  });

  it('gives up only past maxRestarts: maxRestarts restarts in the window are allowed', () => {
    expect(recordRestart([3, 2], 4, 60_000, 3).exceeded).toBe(false);
    expect(recordRestart([3, 2, 1], 4, 60_000, 3).exceeded).toBe(true);
  });

  it('keeps only the restarts inside the window, newest first', () => {
    expect(recordRestart([90_000, 50_000, 10_000], 100_000, 60_000, 5).history).toEqual([100_000, 90_000, 50_000]);
  });
});

describe('backoffDelay', () => {
  const options = { baseMs: 100, maxMs: 30_000 };

  it('costs nothing for attempt 0 (and below)', () => {
    expect(backoffDelay(0, 0.5, options)).toBe(0);
    expect(backoffDelay(-1, 0.5, options)).toBe(0);
  });

  it('doubles from baseMs: between half and all of baseMs × 2^(attempt-1)', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 0, options))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 0.999_999, options))).toEqual([100, 200, 400, 800]);
  });

  it('is never above its cap nor below half of it once capped, for any attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (attempt, random, baseMs, maxMs) => {
          const delay = backoffDelay(attempt, random, { baseMs, maxMs });
          const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
          expect(delay).toBeLessThanOrEqual(maxMs);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(exponential / 2));
          expect(Number.isFinite(delay)).toBe(true);
        },
      ),
      {
        examples: [
          [1024, 0.999_999, 100, 30_000],
          [100_000, 0.5, 10_000, 1_000_000],
        ],
      },
    );
  });

  it('varies with the random value: the jitter is not constant', () => {
    expect(backoffDelay(20, 0, options)).toBe(15_000);
    expect(backoffDelay(20, 0.5, options)).toBe(22_500);
    expect(backoffDelay(20, 0.999_999, options)).toBe(30_000);
  });
});

describe('nextRandom', () => {
  it("is mulberry32: the seed advances by 0x6d2b79f5 and seed 1 yields the generator's known sequence", () => {
    const first = nextRandom(1);
    const second = nextRandom(first.seed);
    expect(first).toEqual({ value: 0.6270739405881613, seed: 1_831_565_814 });
    expect(second).toEqual({ value: 0.002735721180215478, seed: 3_663_131_627 });
    expect(nextRandom(second.seed).value).toBe(0.5274470399599522);
  });

  it('stays in [0, 1) and spreads its values (a fixed seed: cannot fail by chance)', () => {
    let seed = seedFromString('python_worker_1');
    const values: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const next = nextRandom(seed);
      values.push(next.value);
      seed = next.seed;
    }
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(values).size).toBe(1_000);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('seedFromString', () => {
  it('is 32-bit FNV-1a (its published test vectors)', () => {
    expect(seedFromString('')).toBe(0x811c9dc5);
    expect(seedFromString('a')).toBe(0xe40c292c);
    expect(seedFromString('foobar')).toBe(0xbf9cf968);
  });
});

describe('planRestart', () => {
  const settings = {
    maxRestarts: 5,
    restartWindowMs: 60_000,
    resetBackoffAfterMs: 30_000,
    backoffBaseMs: 100,
    backoffMaxMs: 30_000,
  };
  const state = { restartHistory: [], backoffAttempt: 3, upSince: 1_000, jitterSeed: 1 };

  it('resets the backoff after exactly resetBackoffAfterMs up, not one ms sooner', () => {
    expect(planRestart(state, 31_000, settings)).toMatchObject({ attempt: 0, delayMs: 0 });
    expect(planRestart(state, 30_999, settings)).toMatchObject({ attempt: 3 });
    expect(planRestart(state, 30_999, settings).delayMs).toBeGreaterThan(0);
  });

  it('never resets the backoff of a process that did not come up', () => {
    expect(planRestart({ ...state, upSince: null }, 10_000_000, settings).attempt).toBe(3);
  });

  it('advances the jitter seed and uses its value', () => {
    const plan = planRestart(state, 2_000, settings);
    expect(plan.jitterSeed).toBe(nextRandom(1).seed);
    expect(plan.delayMs).toBe(backoffDelay(3, nextRandom(1).value, { baseMs: 100, maxMs: 30_000 }));
  });
});

describe('describeExit', () => {
  it('names the signal, else the code (0 included), else just exited', () => {
    expect(describeExit(null, 'SIGKILL')).toBe('killed by SIGKILL');
    expect(describeExit(3, 'SIGTERM')).toBe('killed by SIGTERM');
    expect(describeExit(0, null)).toBe('exited with code 0');
    expect(describeExit(3, null)).toBe('exited with code 3');
    expect(describeExit(null, null)).toBe('exited');
  });
});
