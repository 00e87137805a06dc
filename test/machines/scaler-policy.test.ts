// The scaler's pure helpers (issue 5): who goes first on a scale-down, and the autoscale decision. Properties with
// fast-check, then the rules one by one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AutoscaleMemory,
  DEFAULT_AUTOSCALE,
  decideAutoscale,
  EMPTY_AUTOSCALE_MEMORY,
  nextWorkerId,
  pickVictims,
  type WorkerSlot,
} from '../../machines/scaler-policy.js';
import type { WorkerStateName } from '../../machines/worker.machine.js';

const slotArbitrary = fc.record({
  state: fc.constantFrom('starting', 'running', 'idle', 'pinging', 'failed', 'restarting', 'stopping', 'stopped'),
  busy: fc.boolean(),
  removing: fc.boolean(),
});
const slotsArbitrary = fc
  .array(slotArbitrary, { maxLength: 8 })
  .map((slots) =>
    Object.fromEntries(
      slots.map((slot, index) => [`python_worker_${index}`, { ...slot, id: `python_worker_${index}` }]),
    ),
  );

describe('pickVictims', () => {
  it('never picks a busy worker while a non-busy one is left, nor one already leaving', () => {
    fc.assert(
      fc.property(slotsArbitrary, fc.nat(8), (workers, count) => {
        const victims = pickVictims(workers, count);
        const chosen = new Set(victims.map((slot) => slot.id));
        const spared = Object.values(workers).filter((slot) => !slot.removing && !chosen.has(slot.id));
        expect(victims.every((slot) => !slot.removing)).toBe(true);
        if (victims.some((slot) => slot.busy)) expect(spared.every((slot) => slot.busy)).toBe(true);
        expect(victims.length).toBe(Math.min(count, Object.values(workers).filter((slot) => !slot.removing).length));
      }),
    );
  });

  it('takes a failed worker, then an idle one, then a starting one, then a running one', () => {
    const slot = (id: string, state: WorkerStateName, busy = false): WorkerSlot => ({
      id,
      state,
      busy,
      removing: false,
    });
    const workers = {
      a: slot('a', 'running'),
      b: slot('b', 'running', true),
      c: slot('c', 'idle'),
      d: slot('d', 'failed'),
      e: slot('e', 'starting'),
    };

    expect(pickVictims(workers, 5).map((victim) => victim.id)).toEqual(['d', 'c', 'e', 'a', 'b']);
  });
});

describe('nextWorkerId', () => {
  it('reuses the lowest free index after preferred ids', () => {
    const taken: Record<string, WorkerSlot> = {
      python_worker_0: { id: 'python_worker_0', state: 'running', busy: false, removing: false },
    };

    expect(nextWorkerId('python', taken)).toBe('python_worker_1');
    expect(nextWorkerId('python', taken, ['api'])).toBe('api');
  });

  it('starts its search at fromIndex, below which every generated id is taken', () => {
    const slot = (id: string): WorkerSlot => ({ id, state: 'running', busy: false, removing: false });
    const taken = Object.fromEntries(
      ['python_worker_0', 'python_worker_1', 'python_worker_3'].map((id) => [id, slot(id)]),
    );

    expect(nextWorkerId('python', taken, [], 2)).toBe('python_worker_2');
    expect(nextWorkerId('python', taken, [], 3)).toBe('python_worker_4');
    expect(nextWorkerId('python', taken, ['api'], 3)).toBe('api');
  });

  it('takes a preferred id that is a property of every JS object, as any other free id (F10)', () => {
    const prototypeNames = ['toString', 'constructor', 'valueOf', '__proto__', 'hasOwnProperty'];
    const name = fc.oneof(fc.constantFrom(...prototypeNames, 'api', 'python_worker_0', 'python_worker_1'));
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 6 }),
        fc.uniqueArray(name, { maxLength: 6 }),
        (taken, preferred) => {
          // Built the way the scaler builds its context (computed keys: own properties, `__proto__` included).
          const workers = Object.fromEntries(
            taken.map((id) => [id, { id, state: 'running', busy: false, removing: false } satisfies WorkerSlot]),
          );

          const id = nextWorkerId('python', workers, preferred);

          expect(taken).not.toContain(id);
          const firstFree = preferred.find((candidate) => !taken.includes(candidate));
          if (firstFree !== undefined) expect(id).toBe(firstFree);
          else expect(id).toMatch(/^python_worker_\d+$/);
        },
      ),
      {
        examples: [
          [[], ['toString']],
          [[], ['constructor']],
          [['toString'], ['toString', 'valueOf']],
        ],
      },
    );
  });
});

describe('decideAutoscale', () => {
  const settings = { ...DEFAULT_AUTOSCALE, enabled: true, targetJobsPerWorker: 5 };

  it('always stays within [min, max] and never scales down at once', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.nat(5), fc.integer({ min: 5, max: 10 }), fc.nat(10), (depth, min, max, desired) => {
        const start = Math.min(max, Math.max(min, desired));
        const decision = decideAutoscale({
          now: 0,
          depth,
          desired: start,
          min,
          max,
          settings,
          memory: EMPTY_AUTOSCALE_MEMORY,
        });
        if (decision.type === 'scale') {
          expect(decision.desired).toBeGreaterThanOrEqual(min);
          expect(decision.desired).toBeLessThanOrEqual(max);
          expect(decision.desired).toBeGreaterThan(start);
        }
      }),
    );
  });

  it('scales down only after the window, to the highest need seen in it', () => {
    let memory: AutoscaleMemory = EMPTY_AUTOSCALE_MEMORY;
    const observe = (now: number, depth: number, desired: number) => {
      const decision = decideAutoscale({ now, depth, desired, min: 0, max: 10, settings, memory });
      memory = decision.memory;
      return decision;
    };

    expect(observe(0, 20, 8).type).toBe('hold');
    expect(observe(30_000, 6, 8).type).toBe('hold');
    expect(observe(59_999, 0, 8).type).toBe('hold');
    expect(observe(60_000, 0, 8)).toMatchObject({ type: 'scale', desired: 2, reason: 'autoscale-down' });
  });

  it('waits for the cooldown after a scale-up', () => {
    const memory: AutoscaleMemory = { recommendations: [], belowSince: 0, lastScaledAt: 50_000 };

    const decision = decideAutoscale({ now: 70_000, depth: 0, desired: 4, min: 0, max: 10, settings, memory });

    expect(decision).toMatchObject({
      type: 'hold',
      detail: 'queue depth 0 wants 0 worker(s) at 5 job(s) per worker; in the 30000 ms cooldown',
    });
  });
});
