// The scaler's pure rules one by one (machines/scaler-policy.ts), each edge pinned: counting, ids, who goes first on
// a scale-down, and the autoscale decision with its memory and the words it reports (issue 13, mutation testing).
import { describe, expect, it } from 'vitest';
import {
  type AutoscaleMemory,
  clampCount,
  DEFAULT_AUTOSCALE,
  decideAutoscale,
  EMPTY_AUTOSCALE_MEMORY,
  generatedIndexOf,
  isUpState,
  memberCount,
  nextWorkerId,
  ownEntry,
  pickVictims,
  releasableWorkerId,
  upCount,
  type WorkerSlot,
  workerIdFor,
} from '../../machines/scaler-policy.js';
import type { WorkerStateName } from '../../machines/worker.machine.js';

const slot = (id: string, state: WorkerStateName, busy = false, removing = false): WorkerSlot => ({
  id,
  state,
  busy,
  removing,
});
const slots = (...list: WorkerSlot[]) => Object.fromEntries(list.map((s) => [s.id, s]));

describe('counting', () => {
  it('rounds and clamps a count into [min, max]', () => {
    expect([clampCount(2.4, 0, 9), clampCount(2.5, 0, 9), clampCount(-3, 1, 9), clampCount(12, 1, 9)]).toEqual([
      2, 3, 1, 9,
    ]);
  });

  it('counts members (not leaving) and up workers (running, idle or pinging, not leaving)', () => {
    const workers = slots(
      slot('a', 'running'),
      slot('b', 'idle'),
      slot('c', 'pinging'),
      slot('d', 'starting'),
      slot('e', 'running', false, true),
      slot('f', 'failed'),
    );
    expect(memberCount(workers)).toBe(5);
    expect(upCount(workers)).toBe(3);
    expect(
      (['running', 'idle', 'pinging', 'starting', 'restarting', 'failed', 'stopped'] as const).map((state) =>
        isUpState(state),
      ),
    ).toEqual([true, true, true, false, false, false, false]);
  });

  it('reads only own entries', () => {
    const record: Record<string, number> = { a: 1 };
    expect(ownEntry(record, 'a')).toBe(1);
    expect(ownEntry(record, 'toString')).toBeUndefined();
  });
});

describe('ids', () => {
  it('names generated workers <type>_worker_<n> and reads the n back only from exactly such ids', () => {
    expect(workerIdFor('python', 3)).toBe('python_worker_3');
    expect(generatedIndexOf('python', 'python_worker_12')).toBe(12);
    expect(generatedIndexOf('python', 'python_worker_0')).toBe(0);
    for (const id of [
      'python_worker_',
      'python_worker_01',
      'python_worker_-1',
      'python_worker_1.5',
      'rhai_worker_1',
      'api',
    ])
      expect(generatedIndexOf('python', id)).toBeUndefined();
  });

  it('takes the first free preferred id, else the lowest free generated one from fromIndex (never below 0)', () => {
    const taken = slots(slot('api', 'running'), slot('python_worker_0', 'running'));
    expect(nextWorkerId('python', taken, ['api', 'db'])).toBe('db');
    expect(nextWorkerId('python', taken, ['api'])).toBe('python_worker_1');
    expect(nextWorkerId('python', taken, [], -5)).toBe('python_worker_1');
    expect(nextWorkerId('python', {}, [], 4)).toBe('python_worker_4');
  });

  it('asks a set of taken ids (the scaler passes one) instead of reading it as a record', () => {
    const taken = new Set(['api', 'python_worker_0']);
    expect(nextWorkerId('python', taken, ['api', 'db'])).toBe('db');
    expect(nextWorkerId('python', taken, ['api'])).toBe('python_worker_1');
    expect(nextWorkerId('python', { has: (id: string) => id !== 'python_worker_2' }, [], 0)).toBe('python_worker_2');
  });

  it('releases only a worker that was asked to go and has stopped', () => {
    expect(releasableWorkerId(slots(slot('a', 'stopped'), slot('b', 'stopping', false, true)))).toBeUndefined();
    expect(releasableWorkerId(slots(slot('a', 'stopped'), slot('b', 'stopped', false, true)))).toBe('b');
  });
});

describe('pickVictims', () => {
  it('takes useless workers first, then idle or pinging, then starting, then running, a busy one last', () => {
    const workers = slots(
      slot('w_1', 'running', true),
      slot('w_2', 'running'),
      slot('w_3', 'starting'),
      slot('w_4', 'pinging'),
      slot('w_5', 'idle'),
      slot('w_6', 'restarting'),
      slot('w_7', 'stopped'),
      slot('w_8', 'failed', false, true),
    );
    expect(pickVictims(workers, 10).map((s) => s.id)).toEqual(['w_7', 'w_6', 'w_5', 'w_4', 'w_3', 'w_2', 'w_1']);
    expect(pickVictims(workers, 2).map((s) => s.id)).toEqual(['w_7', 'w_6']);
    expect(pickVictims(workers, 0)).toEqual([]);
    expect(pickVictims(workers, -1)).toEqual([]);
  });

  it('ranks by state even against the index order, and among busy workers by index alone', () => {
    // Indices rise with the rank, so that a rank lost would let the higher index go first.
    const workers = slots(
      slot('w_1', 'stopped'),
      slot('w_2', 'idle'),
      slot('w_3', 'starting'),
      slot('w_4', 'running'),
      slot('w_5', 'pinging', true),
      slot('w_6', 'running', true),
    );
    expect(pickVictims(workers, 6).map((s) => s.id)).toEqual(['w_1', 'w_2', 'w_3', 'w_4', 'w_6', 'w_5']);
    expect(pickVictims(slots(slot('w_1', 'failed'), slot('w_2', 'pinging')), 1).map((s) => s.id)).toEqual(['w_1']);
  });

  it('keeps a busy worker over any idle one, configured or not, and a configured one over a generated one', () => {
    const configured = new Set(['api']);
    const busyGenerated = slots(slot('api', 'idle'), slot('w_1', 'running', true));
    expect(pickVictims(busyGenerated, 2, configured).map((s) => s.id)).toEqual(['api', 'w_1']);
    const idleConfigured = slots(slot('api', 'idle'), slot('w_1', 'running'));
    expect(pickVictims(idleConfigured, 2, configured).map((s) => s.id)).toEqual(['w_1', 'api']);
    const bothConfigured = slots(slot('api', 'running'), slot('db', 'idle'), slot('w_1', 'running'));
    expect(pickVictims(bothConfigured, 3, new Set(['api', 'db'])).map((s) => s.id)).toEqual(['w_1', 'db', 'api']);
  });

  it('reads the index at the end of an id only, and puts ids without one after every indexed id', () => {
    const digitsInside = slots(slot('py3_worker_10', 'idle'), slot('py3_worker_2', 'idle'));
    expect(pickVictims(digitsInside, 2).map((s) => s.id)).toEqual(['py3_worker_10', 'py3_worker_2']);
    expect(pickVictims(slots(slot('api', 'idle'), slot('w_0', 'idle')), 2).map((s) => s.id)).toEqual(['w_0', 'api']);
  });

  it('orders ids without an index by reverse name, whatever order they come in', () => {
    expect(pickVictims(slots(slot('api', 'idle'), slot('db', 'idle')), 2).map((s) => s.id)).toEqual(['db', 'api']);
    expect(pickVictims(slots(slot('db', 'idle'), slot('api', 'idle')), 2).map((s) => s.id)).toEqual(['db', 'api']);
  });

  it('among equals takes the highest index first, then ids without one, in reverse order of name', () => {
    const workers = slots(slot('api', 'idle'), slot('w_2', 'idle'), slot('db', 'idle'), slot('w_10', 'idle'));
    expect(pickVictims(workers, 4).map((s) => s.id)).toEqual(['w_10', 'w_2', 'db', 'api']);
  });
});

describe('decideAutoscale', () => {
  const settings = { ...DEFAULT_AUTOSCALE, enabled: true, targetJobsPerWorker: 2 };
  const base = { min: 0, max: 10, settings, memory: EMPTY_AUTOSCALE_MEMORY };

  it('scales up at once to ceil(depth / target), within max, and remembers when', () => {
    expect(decideAutoscale({ ...base, now: 5, depth: 7, desired: 1 })).toEqual({
      type: 'scale',
      desired: 4,
      reason: 'autoscale-up',
      detail: 'queue depth 7 wants 4 worker(s) at 2 job(s) per worker',
      memory: { recommendations: [{ at: 5, count: 4 }], belowSince: null, lastScaledAt: 5 },
    });
    expect(decideAutoscale({ ...base, now: 5, depth: 99, desired: 1, max: 3 })).toMatchObject({ desired: 3 });
  });

  it('holds when the queue wants what runs, forgetting a pending scale-down', () => {
    const memory: AutoscaleMemory = { recommendations: [], belowSince: 1, lastScaledAt: 0 };
    expect(decideAutoscale({ ...base, memory, now: 5, depth: 4, desired: 2 })).toEqual({
      type: 'hold',
      detail: 'queue depth 4 wants 2 worker(s) at 2 job(s) per worker',
      memory: { recommendations: [{ at: 5, count: 2 }], belowSince: null, lastScaledAt: 0 },
    });
    expect(decideAutoscale({ ...base, now: 5, depth: -4, desired: 0 })).toMatchObject({ type: 'hold' });
  });

  it('waits the whole stabilization window (not one ms less) before scaling down', () => {
    const first = decideAutoscale({ ...base, now: 1_000, depth: 0, desired: 3 });
    expect(first).toEqual({
      type: 'hold',
      detail: 'queue depth 0 wants 0 worker(s) at 2 job(s) per worker; waiting for the 60000 ms window',
      memory: { recommendations: [{ at: 1_000, count: 0 }], belowSince: 1_000, lastScaledAt: null },
    });
    const early = decideAutoscale({ ...base, memory: first.memory, now: 60_999, depth: 0, desired: 3 });
    expect(early.type).toBe('hold');
    expect(early.memory.belowSince).toBe(1_000);
    expect(decideAutoscale({ ...base, memory: first.memory, now: 61_000, depth: 0, desired: 3 })).toEqual({
      type: 'scale',
      desired: 0,
      reason: 'autoscale-down',
      detail: 'queue depth 0 wants 0 worker(s) at 2 job(s) per worker for 60000 ms',
      memory: { recommendations: [{ at: 61_000, count: 0 }], belowSince: null, lastScaledAt: 61_000 },
    });
  });

  it('scales down only to the highest need of the window; a recommendation exactly a window old is forgotten', () => {
    const memory: AutoscaleMemory = {
      recommendations: [
        { at: 0, count: 3 },
        { at: 1, count: 2 },
      ],
      belowSince: 0,
      lastScaledAt: null,
    };
    expect(decideAutoscale({ ...base, memory, now: 60_000, depth: 0, desired: 4 })).toMatchObject({
      type: 'scale',
      desired: 2,
    });
    expect(decideAutoscale({ ...base, memory, now: 60_000, depth: 0, desired: 2 })).toMatchObject({
      type: 'hold',
      detail: 'queue depth 0 wants 0 worker(s) at 2 job(s) per worker',
    });
  });

  it('waits the whole cooldown (not one ms less) after the last scaling', () => {
    const memory: AutoscaleMemory = { recommendations: [], belowSince: 0, lastScaledAt: 40_000 };
    const at = (now: number) => decideAutoscale({ ...base, memory, now, depth: 0, desired: 2 });
    expect(at(69_999)).toMatchObject({
      type: 'hold',
      detail: 'queue depth 0 wants 0 worker(s) at 2 job(s) per worker; in the 30000 ms cooldown',
      memory: { belowSince: 0, lastScaledAt: 40_000 },
    });
    expect(at(70_000)).toMatchObject({ type: 'scale', desired: 0 });
  });

  it('has no cooldown before its first scaling, even early on the clock', () => {
    const memory: AutoscaleMemory = { recommendations: [], belowSince: 0, lastScaledAt: null };
    const settings = { ...base.settings, stabilizationWindowMs: 10 };
    expect(decideAutoscale({ ...base, settings, memory, now: 200, depth: 0, desired: 2 })).toMatchObject({
      type: 'scale',
      desired: 0,
      detail: 'queue depth 0 wants 0 worker(s) at 2 job(s) per worker for 200 ms',
    });
  });

  it('counts active jobs in the need, and keeps every busy worker while jobs wait', () => {
    const decide = (depth: number, active: number, desired: number, target = 2) =>
      decideAutoscale({
        ...base,
        settings: { ...base.settings, targetJobsPerWorker: target },
        now: 5,
        depth,
        active,
        desired,
      });
    // 5 waiting + 3 active at 1 a worker: 8.
    expect(decide(5, 3, 1, 1)).toMatchObject({
      type: 'scale',
      desired: 8,
      detail: 'queue depth 5 + 3 active wants 8 worker(s) at 1 job(s) per worker',
    });
    // 2 waiting + 3 active at 10 a worker would be 1; the three busy workers stay.
    expect(decide(2, 3, 1, 10)).toMatchObject({ type: 'scale', desired: 3 });
    // Nothing waits: the busy ones need only ceil(3 / 10) = 1.
    expect(decide(0, 3, 1, 10)).toEqual({
      type: 'hold',
      detail: 'queue depth 0 + 3 active wants 1 worker(s) at 10 job(s) per worker',
      memory: { recommendations: [{ at: 5, count: 1 }], belowSince: null, lastScaledAt: null },
    });
    // A negative active count (a glitch of the queue's counters) counts as none.
    expect(decide(4, -3, 1)).toMatchObject({
      desired: 2,
      detail: 'queue depth 4 wants 2 worker(s) at 2 job(s) per worker',
    });
  });

  it('never scales down below min', () => {
    const memory: AutoscaleMemory = { recommendations: [], belowSince: 0, lastScaledAt: null };
    expect(decideAutoscale({ ...base, min: 2, memory, now: 60_000, depth: 0, desired: 5 })).toMatchObject({
      type: 'scale',
      desired: 2,
    });
  });
});
