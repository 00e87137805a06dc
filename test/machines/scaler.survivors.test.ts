// The scaler over longer event sequences than the oracle's one-step cases (issue 13, mutation testing): ids freed by
// a scale-down are reused, adopted workers are adopted once, the counters that stand in for scans of the slots stay
// in step with them, every command a worker gets carries the right `at`, and a manual scale.to starts the cooldown.
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, createMachine, fromCallback } from 'xstate';
import {
  releasableWorkerId,
  type ScaleDecision,
  type ScalerContext,
  type ScalerEvent,
  type ScalerInput,
  scalerMachine,
} from '../../machines/scaler.machine.js';
import { storeValues } from '../../machines/slot-store.js';
import type { WorkerStateName } from '../../machines/worker.machine.js';
import { leafOfValue } from './oracle/flatten.js';

const w = (index: number) => `python_worker_${index}`;

/** A scaler whose workers record every event they are sent; the test reports their states by hand. */
function startScaler(input: Partial<ScalerInput> = {}) {
  const commands: { worker: string; event: Record<string, unknown> }[] = [];
  const decisions: ScaleDecision[] = [];
  const worker = fromCallback<{ type: string }, { name: string }>(({ input: { name }, receive }) => {
    receive((event) => commands.push({ worker: name, event: { ...event } }));
  });
  const machine = scalerMachine.provide({
    // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the worker machine
    actors: { worker: worker as any },
    actions: { reportScaled: ({ context }) => decisions.push(context.lastDecision) },
  });
  const actor = createActor(machine, { input: { scriptType: 'python', ...input } });
  actor.start();
  const context = (): ScalerContext => actor.getSnapshot().context;
  const workers = () => Object.keys(actor.getSnapshot().children as Record<string, AnyActorRef>).sort();
  const report = (workerId: string, state: WorkerStateName, busy = false, at = 0) =>
    actor.send({ type: 'worker.stateChanged', workerId, state, busy, at });
  const send = (event: ScalerEvent) => actor.send(event);
  /** Commands sent since the previous call, as `<worker> <type>@<at>` (and the pid of an ADOPT). */
  let seen = 0;
  const newCommands = () => {
    const fresh = commands.slice(seen);
    seen = commands.length;
    return fresh.map(({ worker: id, event }) =>
      `${id} ${event.type}@${event.at}${event.pid === undefined ? '' : ` pid ${event.pid}`}`.trim(),
    );
  };
  const leaf = () => leafOfValue(actor.getSnapshot().value);
  return { actor, context, workers, report, send, newCommands, decisions, leaf };
}

type Scaler = ReturnType<typeof startScaler>;

/** The counters the guards read, checked against a scan of the slots. */
function expectCountersInStep(scaler: Scaler) {
  const context = scaler.context();
  const slots = [...storeValues(context.workers)];
  expect(context.slotCount).toBe(slots.length);
  expect(scaler.workers()).toHaveLength(slots.length);
  expect(context.members).toBe(slots.filter((slot) => !slot.removing).length);
  expect(context.releasable).toBe(slots.filter((slot) => slot.removing && slot.state === 'stopped').length);
}

describe('scaler: ids', () => {
  it('reuses the lowest generated ids a scale-down freed, once their workers are released', () => {
    const scaler = startScaler({ max: 10, initial: 4 });
    try {
      expect(scaler.workers()).toEqual([w(0), w(1), w(2), w(3)]);
      expect(scaler.context().nextFreeIndex).toBe(4);
      for (let i = 0; i < 4; i += 1) scaler.report(w(i), 'idle');
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 10 });
      // The newest go first: 3, 2, 1.
      expect(scaler.newCommands()).toEqual([
        `${w(0)} START@0`,
        `${w(1)} START@0`,
        `${w(2)} START@0`,
        `${w(3)} START@0`,
        `${w(3)} STOP@10`,
        `${w(2)} STOP@10`,
        `${w(1)} STOP@10`,
      ]);
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 4, releasable: 0 });
      scaler.report(w(2), 'stopped');
      expect(scaler.workers()).toEqual([w(0), w(1), w(3)]);
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 3, releasable: 0, nextFreeIndex: 2 });
      scaler.report(w(1), 'stopped');
      expect(scaler.context()).toMatchObject({ slotCount: 2, nextFreeIndex: 1 });
      scaler.report(w(3), 'stopped');
      expect(scaler.workers()).toEqual([w(0)]);
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 1, releasable: 0, nextFreeIndex: 1 });

      scaler.send({ type: 'scale.to', count: 3, reason: 'manual', at: 20 });
      expect(scaler.workers()).toEqual([w(0), w(1), w(2)]);
      expect(scaler.newCommands()).toEqual([`${w(1)} START@20`, `${w(2)} START@20`]);
      expect(scaler.context()).toMatchObject({ members: 3, slotCount: 3, nextFreeIndex: 3 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('skips generated ids still held by a worker on its way out, and fills the gap once it is released', () => {
    const scaler = startScaler({ max: 10, initial: 3 });
    try {
      for (let i = 0; i < 3; i += 1) scaler.report(w(i), 'idle');
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 10 });
      // python_worker_2 stopped and released; python_worker_1 still stopping.
      scaler.report(w(2), 'stopped');
      expect(scaler.context()).toMatchObject({ nextFreeIndex: 2, slotCount: 2, members: 1 });
      scaler.newCommands();
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 20 });
      expect(scaler.newCommands()).toEqual([`${w(2)} START@20`]);
      expect(scaler.context()).toMatchObject({ nextFreeIndex: 3, slotCount: 3, members: 2 });
      scaler.report(w(1), 'stopped');
      expect(scaler.context()).toMatchObject({ nextFreeIndex: 1, slotCount: 2, members: 2 });
      scaler.send({ type: 'scale.to', count: 4, reason: 'manual', at: 30 });
      expect(scaler.newCommands()).toEqual([`${w(1)} START@30`, `${w(3)} START@30`]);
      expect(scaler.context()).toMatchObject({ nextFreeIndex: 4, slotCount: 4, members: 4 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('leaves the generated ids alone when a named worker is released', () => {
    const scaler = startScaler({ max: 10, initial: 2 });
    try {
      scaler.send({ type: 'worker.add', workerId: 'api', at: 5 });
      expect(scaler.workers()).toEqual(['api', w(0), w(1)]);
      expect(scaler.context()).toMatchObject({ desired: 3, members: 3, slotCount: 3, nextFreeIndex: 2 });
      expect(scaler.context().preferredIds).toEqual(['api']);
      scaler.report('api', 'idle');
      scaler.report(w(0), 'running', true);
      scaler.report(w(1), 'running', true);
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 10 });
      expect(scaler.newCommands()).toEqual([`${w(0)} START@0`, `${w(1)} START@0`, 'api START@5', 'api STOP@10']);
      scaler.report('api', 'stopped');
      expect(scaler.workers()).toEqual([w(0), w(1)]);
      expect(scaler.context()).toMatchObject({ nextFreeIndex: 2, slotCount: 2, members: 2, releasable: 0 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('puts a worker added by name first among the preferred ids, once', () => {
    const scaler = startScaler({ max: 10, initial: 1, workerIds: ['db', 'api'] });
    try {
      expect(scaler.workers()).toEqual(['db']);
      scaler.send({ type: 'worker.add', workerId: 'api', at: 5 });
      expect(scaler.context().preferredIds).toEqual(['api', 'db']);
      expect(scaler.workers()).toEqual(['api', 'db']);
      expect(scaler.decisions.at(-1)).toEqual({
        from: 1,
        to: 2,
        reason: 'worker-added',
        detail: 'worker api added',
        at: 5,
      });
    } finally {
      scaler.actor.stop();
    }
  });

  it('adds a worker by name only while it has fewer members than max', () => {
    const scaler = startScaler({ max: 2, initial: 1 });
    try {
      scaler.send({ type: 'worker.add', workerId: 'api', at: 5 });
      expect(scaler.context()).toMatchObject({ desired: 2, members: 2 });
      scaler.send({ type: 'worker.add', workerId: 'db', at: 6 });
      expect(scaler.workers()).toEqual(['api', w(0)]);
      expect(scaler.context().desired).toBe(2);
      expect(scaler.decisions).toHaveLength(2);
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: adoption', () => {
  it('adopts a running worker once, with its pid and the start time, and starts it afresh after a scale-down', () => {
    const scaler = startScaler({ max: 5, adopted: { python_worker_0: 42, api: 43 }, startedAt: 700 });
    try {
      // Two adopted: desired is raised to 2 even though initial (min) is 0.
      expect(scaler.context().desired).toBe(2);
      expect(scaler.newCommands()).toEqual(['python_worker_0 ADOPT@700 pid 42', 'api ADOPT@700 pid 43']);
      expect(scaler.context().adopted).toEqual({});
      expect(scaler.context().newWorkerIds).toEqual([]);
      scaler.report(w(0), 'idle');
      scaler.report('api', 'idle');
      scaler.send({ type: 'scale.to', count: 0, reason: 'manual', at: 800 });
      scaler.report(w(0), 'stopped');
      scaler.report('api', 'stopped');
      expect(scaler.workers()).toEqual([]);
      scaler.newCommands();
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 900 });
      expect(scaler.newCommands()).toEqual([`${w(0)} START@900`, `${w(1)} START@900`]);
    } finally {
      scaler.actor.stop();
    }
  });

  it('forgets only the adoptions it used: one beyond max is kept for later', () => {
    const scaler = startScaler({ max: 1, adopted: { api: 43, db: 44 }, startedAt: 700 });
    try {
      expect(scaler.newCommands()).toEqual(['api ADOPT@700 pid 43']);
      expect(scaler.context().adopted).toEqual({ db: 44 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('keeps a START when nothing was adopted, and never adopts an id that only looks like an own key', () => {
    const scaler = startScaler({ max: 2, initial: 1, workerIds: ['toString'], startedAt: 300 });
    try {
      expect(scaler.newCommands()).toEqual(['toString START@300']);
      expect(scaler.context().adopted).toEqual({});
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: its context between steps', () => {
  it('starts with empty step lists and counters, whatever it is about to start', () => {
    const scaler = startScaler({ max: 4, initial: 0, startedAt: 100 });
    try {
      expect(scaler.context()).toMatchObject({
        desired: 0,
        members: 0,
        slotCount: 0,
        releasable: 0,
        nextFreeIndex: 0,
        releasableIds: null,
        victimIds: [],
        newWorkerIds: [],
        adopted: {},
        preferredIds: [],
        workerInput: {},
        notifyParentWhenDrained: false,
        startedAt: 100,
      });
      expect(releasableWorkerId(scaler.context())).toBeUndefined();
    } finally {
      scaler.actor.stop();
    }
  });

  it('clears the workers it just started and the ones it just stopped once they were sent their command', () => {
    const scaler = startScaler({ max: 4, initial: 1 });
    try {
      scaler.send({ type: 'scale.to', count: 3, reason: 'manual', at: 10 });
      expect(scaler.context()).toMatchObject({ newWorkerIds: [], victimIds: [] });
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 20 });
      expect(scaler.newCommands().filter((c) => c.includes('STOP'))).toEqual([`${w(2)} STOP@20`, `${w(1)} STOP@20`]);
      expect(scaler.context()).toMatchObject({ newWorkerIds: [], victimIds: [] });
    } finally {
      scaler.actor.stop();
    }
  });

  it('ignores a report from a worker it does not have, and keeps running', () => {
    const scaler = startScaler({ max: 4, initial: 1 });
    try {
      const before = scaler.context();
      scaler.report('python_worker_7', 'stopped');
      expect(scaler.actor.getSnapshot().status).toBe('active');
      expect(scaler.context()).toEqual(before);
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 10 });
      expect(scaler.workers()).toEqual([w(0), w(1)]);
    } finally {
      scaler.actor.stop();
    }
  });

  it('counts a worker that has not reported yet as starting: a quick scale-down takes an idle one first', () => {
    const scaler = startScaler({ max: 4, initial: 2 });
    try {
      scaler.report(w(0), 'idle');
      scaler.report(w(1), 'idle');
      scaler.send({ type: 'scale.to', count: 3, reason: 'manual', at: 10 });
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 11 });
      expect(scaler.newCommands().filter((c) => c.includes('STOP'))).toEqual([`${w(1)} STOP@11`]);
      // The new worker is kept as a member, its slot counted toward max.
      expect(scaler.context()).toMatchObject({ members: 2, slotCount: 3 });
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 12 });
      expect(scaler.newCommands()).toEqual([`${w(0)} STOP@12`]);
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: counters', () => {
  it('counts a removed worker that reports stopped as releasable only until it is released', () => {
    const scaler = startScaler({ max: 3, initial: 2 });
    try {
      scaler.report(w(0), 'idle');
      scaler.report(w(1), 'idle');
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 10 });
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 2, releasable: 0, releasableIds: null });
      scaler.report(w(1), 'stopping');
      expect(scaler.context()).toMatchObject({ releasable: 0, releasableIds: null });
      scaler.report(w(1), 'stopped');
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 1, releasable: 0, releasableIds: null });
      expect(scaler.workers()).toEqual([w(0)]);
      // The remaining member was not touched.
      scaler.report(w(0), 'stopped');
      expect(scaler.workers()).toEqual([w(0)]);
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 1, releasable: 0 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('releases at once a worker that had already stopped when the scale-down picked it', () => {
    const scaler = startScaler({ max: 3, initial: 2 });
    try {
      scaler.report(w(0), 'running', true);
      scaler.report(w(1), 'stopped');
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 10 });
      expect(scaler.workers()).toEqual([w(0)]);
      expect(scaler.context()).toMatchObject({ members: 1, slotCount: 1, releasable: 0, releasableIds: null });
      // Scaling back up reuses its id.
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 20 });
      expect(scaler.workers()).toEqual([w(0), w(1)]);
    } finally {
      scaler.actor.stop();
    }
  });

  it('keeps a report that changes only whether the worker is busy', () => {
    const scaler = startScaler({ max: 3, initial: 2 });
    try {
      scaler.report(w(0), 'running');
      scaler.report(w(1), 'running');
      scaler.report(w(1), 'running', true);
      // The busy one is kept on a scale-down, whatever its index.
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 10 });
      expect(scaler.newCommands().filter((c) => c.includes('STOP'))).toEqual([`${w(0)} STOP@10`]);
    } finally {
      scaler.actor.stop();
    }
  });

  it('counts toward max the workers still on their way out, and adds the missing ones once they are released', () => {
    const scaler = startScaler({ max: 3, initial: 3 });
    try {
      for (let i = 0; i < 3; i += 1) scaler.report(w(i), 'idle');
      scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at: 10 });
      scaler.send({ type: 'scale.to', count: 3, reason: 'manual', at: 20 });
      // w2 and w1 are still stopping: no room under max 3.
      expect(scaler.workers()).toEqual([w(0), w(1), w(2)]);
      expect(scaler.context()).toMatchObject({ desired: 3, members: 1, slotCount: 3 });
      scaler.newCommands();
      scaler.report(w(2), 'stopped');
      expect(scaler.newCommands()).toEqual([`${w(2)} START@0`]);
      expect(scaler.context()).toMatchObject({ members: 2, slotCount: 3 });
      scaler.report(w(1), 'stopped', false, 30);
      expect(scaler.newCommands()).toEqual([`${w(1)} START@30`]);
      expect(scaler.context()).toMatchObject({ members: 3, slotCount: 3, releasable: 0 });
      expectCountersInStep(scaler);
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: the time on commands and decisions', () => {
  it('stamps START with the start time at first, then with the time of the event that scaled', () => {
    const scaler = startScaler({ max: 5, initial: 1, startedAt: 100 });
    try {
      expect(scaler.decisions).toEqual([
        { from: 0, to: 1, reason: 'initial', detail: 'start with 1 worker(s)', at: 100 },
      ]);
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 250 });
      expect(scaler.newCommands()).toEqual([`${w(0)} START@100`, `${w(1)} START@250`]);
      expect(scaler.decisions.at(-1)).toEqual({ from: 1, to: 2, reason: 'manual', detail: 'scale to 2', at: 250 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('drains: STOP at the drain time to every worker not stopped yet, and reports the shutdown', () => {
    const scaler = startScaler({ max: 5, initial: 3, startedAt: 100 });
    try {
      scaler.report(w(0), 'running', true);
      scaler.report(w(1), 'failed');
      scaler.report(w(2), 'idle');
      scaler.newCommands();
      scaler.send({ type: 'scale.to', count: 2, reason: 'manual', at: 200 });
      // w1 (failed) goes first, it is stopping.
      expect(scaler.newCommands()).toEqual([`${w(1)} STOP@200`]);
      scaler.send({ type: 'scaler.drain', at: 300 });
      expect(scaler.leaf()).toBe('draining');
      // Every slot, the one already being removed included (in the store's order).
      expect(scaler.newCommands().sort()).toEqual([`${w(0)} STOP@300`, `${w(1)} STOP@300`, `${w(2)} STOP@300`]);
      expect(scaler.decisions.at(-1)).toEqual({
        from: 2,
        to: 0,
        reason: 'shutdown',
        detail: 'draining for shutdown',
        at: 300,
      });
      expect(scaler.context()).toMatchObject({ desired: 0, members: 0, slotCount: 3, releasable: 0 });
      scaler.report(w(2), 'stopped');
      scaler.report(w(1), 'stopped');
      expect(scaler.leaf()).toBe('draining');
      expect(scaler.workers()).toEqual([w(0)]);
      scaler.report(w(0), 'stopped');
      expect(scaler.leaf()).toBe('drained');
      expect(scaler.workers()).toEqual([]);
    } finally {
      scaler.actor.stop();
    }
  });

  it('drains without sending STOP to a worker that already stopped, and releases it at once', () => {
    const scaler = startScaler({ max: 5, initial: 2, startedAt: 100 });
    try {
      scaler.report(w(0), 'stopped');
      scaler.report(w(1), 'idle');
      scaler.newCommands();
      scaler.send({ type: 'scaler.drain', at: 300 });
      expect(scaler.newCommands()).toEqual([`${w(1)} STOP@300`]);
      expect(scaler.workers()).toEqual([w(1)]);
      expect(scaler.context()).toMatchObject({ slotCount: 1, releasable: 0, releasableIds: null });
      scaler.report(w(1), 'stopped');
      expect(scaler.leaf()).toBe('drained');
    } finally {
      scaler.actor.stop();
    }
  });

  it('drains at once when every worker had stopped', () => {
    const scaler = startScaler({ max: 5, initial: 2 });
    try {
      scaler.report(w(0), 'stopped');
      scaler.report(w(1), 'stopped');
      scaler.send({ type: 'scaler.drain', at: 300 });
      expect(scaler.leaf()).toBe('drained');
      expect(scaler.workers()).toEqual([]);
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: autoscale memory', () => {
  const autoscale = { enabled: true, targetJobsPerWorker: 1, stabilizationWindowMs: 10, cooldownMs: 1_000 };

  it('waits out the cooldown after a manual scale.to before scaling down', () => {
    const scaler = startScaler({ max: 5, initial: 2, autoscale });
    try {
      scaler.send({ type: 'scale.to', count: 3, reason: 'manual', at: 1_000 });
      expect(scaler.context().memory.lastScaledAt).toBe(1_000);
      scaler.send({ type: 'queue.depthObserved', depth: 0, at: 1_100 });
      scaler.send({ type: 'queue.depthObserved', depth: 0, at: 1_200 });
      expect(scaler.context().desired).toBe(3);
      scaler.send({ type: 'queue.depthObserved', depth: 0, at: 2_000 });
      expect(scaler.context().desired).toBe(0);
      expect(scaler.decisions.at(-1)).toMatchObject({ from: 3, to: 0, reason: 'autoscale-down', at: 2_000 });
    } finally {
      scaler.actor.stop();
    }
  });

  it('remembers observations that hold, and counts active jobs', () => {
    const scaler = startScaler({ max: 5, initial: 2, autoscale });
    try {
      scaler.send({ type: 'queue.depthObserved', depth: 0, at: 1_000 });
      expect(scaler.context().memory).toEqual({
        recommendations: [{ at: 1_000, count: 0 }],
        belowSince: 1_000,
        lastScaledAt: null,
      });
      scaler.send({ type: 'queue.depthObserved', depth: 1, active: 3, at: 1_005 });
      expect(scaler.context().desired).toBe(4);
      expect(scaler.decisions.at(-1)).toEqual({
        from: 2,
        to: 4,
        reason: 'autoscale-up',
        detail: 'queue depth 1 + 3 active wants 4 worker(s) at 1 job(s) per worker',
        at: 1_005,
      });
      scaler.send({ type: 'queue.depthObserved', depth: 4, at: 1_006 });
      expect(scaler.context().desired).toBe(4);
      expect(scaler.decisions).toHaveLength(2);
    } finally {
      scaler.actor.stop();
    }
  });

  it('ignores the queue while autoscale is off, memory included', () => {
    const scaler = startScaler({ max: 5, initial: 2 });
    try {
      scaler.send({ type: 'queue.depthObserved', depth: 0, at: 1_000 });
      // 50 jobs would want 5 workers at the default 10 a worker.
      scaler.send({ type: 'queue.depthObserved', depth: 50, at: 1_001 });
      expect(scaler.context().desired).toBe(2);
      expect(scaler.context().memory).toEqual({ recommendations: [], belowSince: null, lastScaledAt: null });
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: its workers', () => {
  it('spawns real worker machines by default, each with its name, its script type and the worker input', () => {
    const machine = scalerMachine.provide({ actions: { reportScaled: () => {} } });
    const actor = createActor(machine, {
      input: {
        scriptType: 'python',
        max: 2,
        adopted: { python_worker_0: 42 },
        startedAt: 500,
        workerInput: { settings: { pingIntervalMs: 12_345 } },
      },
    });
    actor.start();
    try {
      const child = actor.getSnapshot().children[w(0)] as AnyActorRef;
      const snapshot = child.getSnapshot();
      expect(snapshot.context).toMatchObject({ name: w(0), scriptType: 'python', pid: 42 });
      expect(snapshot.context.settings.pingIntervalMs).toBe(12_345);
      expect(leafOfValue(snapshot.value)).toBe('running');
    } finally {
      actor.stop();
    }
  });

  it('is done once drained, and stays so', () => {
    const scaler = startScaler({ initial: 1 });
    try {
      scaler.send({ type: 'scaler.drain', at: 1 });
      expect(scaler.actor.getSnapshot().status).toBe('active');
      scaler.report(w(0), 'stopped');
      expect(scaler.actor.getSnapshot().status).toBe('done');
      expect(scaler.leaf()).toBe('drained');
    } finally {
      scaler.actor.stop();
    }
  });
});

describe('scaler: telling its parent it drained', () => {
  const parentOf = (notifyParentWhenDrained: boolean) => {
    const received: unknown[] = [];
    const worker = fromCallback(() => {});
    const child = scalerMachine.provide({
      // biome-ignore lint/suspicious/noExplicitAny: a silent stand-in for the worker machine
      actors: { worker: worker as any },
      actions: { reportScaled: () => {} },
    });
    const parent = createMachine({
      invoke: { id: 'scaler', src: child, input: { scriptType: 'python', initial: 1, notifyParentWhenDrained } },
      on: { '*': { actions: ({ event }) => received.push(event) } },
    });
    const actor = createActor(parent);
    actor.start();
    return { actor, received };
  };

  it('sends scaler.drained with its script type when asked to', () => {
    const { actor, received } = parentOf(true);
    try {
      const scaler = actor.getSnapshot().children.scaler as AnyActorRef;
      scaler.send({ type: 'scaler.drain', at: 1 });
      scaler.send({ type: 'worker.stateChanged', workerId: w(0), state: 'stopped', busy: false, at: 2 });
      expect(received.filter((e) => (e as { type: string }).type === 'scaler.drained')).toEqual([
        { type: 'scaler.drained', scriptType: 'python' },
      ]);
    } finally {
      actor.stop();
    }
  });

  it('tells no one when run without that request', () => {
    const { actor, received } = parentOf(false);
    try {
      const scaler = actor.getSnapshot().children.scaler as AnyActorRef;
      scaler.send({ type: 'scaler.drain', at: 1 });
      scaler.send({ type: 'worker.stateChanged', workerId: w(0), state: 'stopped', busy: false, at: 2 });
      expect(received.filter((e) => (e as { type: string }).type === 'scaler.drained')).toEqual([]);
    } finally {
      actor.stop();
    }
  });
});

describe('scaler: its name', () => {
  it('is `scaler`, the name the inspector shows for every scaler actor', () => {
    expect(scalerMachine.id).toBe('scaler');
    const scaler = startScaler();
    try {
      expect(scaler.actor.getSnapshot().machine.id).toBe('scaler');
    } finally {
      scaler.actor.stop();
    }
  });
});
