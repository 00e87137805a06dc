// The scaler statechart (issue 5): model-based paths over every state and transition, each checked against a
// real scaler actor whose worker children are recording stand-ins; then the behaviours one by one.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromCallback, type InspectionEvent } from 'xstate';
import { createTestModel } from 'xstate/graph';
import {
  type ScaleDecision,
  type ScalerEvent,
  type ScalerInput,
  scalerMachine,
} from '../../machines/scaler.machine.js';
import type { WorkerSlot } from '../../machines/scaler-policy.js';
import { type SlotStore, storeGet, storeValues } from '../../machines/slot-store.js';
import type { WorkerStateName } from '../../machines/worker.machine.js';

/** The scaler's slots (its store is an immutable hash trie, machines/slot-store.ts). */
const slotsOf = (workers: SlotStore<WorkerSlot>): WorkerSlot[] => [...storeValues(workers)];
const idsOf = (workers: SlotStore<WorkerSlot>): string[] => slotsOf(workers).map((slot) => slot.id);

import { getContextCoveringPaths } from './context-covering-paths.js';
import { createCoverageTracker, expectFullCoverage, formatCoverage, toTestModelMachine } from './model-coverage.js';

type ScalerSnapshot = ReturnType<ReturnType<typeof createScalerHarness>['actor']['getSnapshot']>;

/** A worker stand-in recording the events it receives. */
function recordingWorker(received: { worker: string; type: string }[], stoppedActors: string[] = []) {
  return fromCallback<{ type: string }, { name: string }>(({ input: { name }, receive }) => {
    receive((event) => received.push({ worker: name, type: event.type }));
    return () => stoppedActors.push(name);
  });
}

/** A real scaler whose workers are callback actors recording the events they receive; no processes. */
function createScalerHarness(input: ScalerInput, inspect?: (event: InspectionEvent) => void) {
  const received: { worker: string; type: string }[] = [];
  const decisions: ScaleDecision[] = [];
  const stoppedActors: string[] = [];
  const worker = recordingWorker(received, stoppedActors);
  const machine = scalerMachine.provide({
    // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the worker machine
    actors: { worker: worker as any },
    actions: { reportScaled: ({ context }) => decisions.push(context.lastDecision) },
  });
  const actor = createActor(machine, { input, inspect });
  actor.start();
  const children = () => Object.keys(actor.getSnapshot().children as Record<string, AnyActorRef>).sort();
  return { actor, received, decisions, stoppedActors, children };
}

const at = 1_000;
const report = (workerId: string, state: WorkerStateName, busy = false): ScalerEvent => ({
  type: 'worker.stateChanged',
  workerId,
  state,
  busy,
  at,
});

describe('scalerMachine model', () => {
  // Small bounds keep the model finite; the behaviour does not depend on the numbers.
  const input: ScalerInput = {
    scriptType: 'python',
    min: 0,
    max: 2,
    initial: 1,
    autoscale: { enabled: true, targetJobsPerWorker: 1, stabilizationWindowMs: 10, cooldownMs: 5 },
  };
  // The model state: the state value plus the context that steers guards (serialized the same way for the model
  // and for the real actor, which is compared on exactly these facts).
  const modelState = (state: ScalerSnapshot) => {
    const { context } = state;
    return {
      value: state.value,
      desired: context.desired,
      workers: slotsOf(context.workers)
        .map((slot) => [slot.id, slot.state, slot.busy, slot.removing])
        .sort(),
      below: context.memory.belowSince,
      scaledAt: context.memory.lastScaledAt,
      preferred: context.preferredIds,
    };
  };
  const model = createTestModel(toTestModelMachine(scalerMachine), {
    input,
    serializeState: (state) => JSON.stringify(modelState(state as ScalerSnapshot)),
    events: [
      { type: 'scale.to', count: 0, reason: 'manual', at },
      { type: 'scale.to', count: 2, reason: 'manual', at },
      // Autoscale: a burst (2 jobs → 2 workers), then an empty queue now and after the window and cooldown.
      { type: 'queue.depthObserved', depth: 2, at },
      { type: 'queue.depthObserved', depth: 0, at },
      { type: 'queue.depthObserved', depth: 0, at: at + 100 },
      report('python_worker_0', 'running'),
      report('python_worker_0', 'idle'),
      report('python_worker_0', 'running', true),
      report('python_worker_0', 'stopped'),
      report('python_worker_1', 'stopped'),
      { type: 'worker.add', workerId: 'api', at },
      { type: 'scaler.drain', at },
    ] satisfies ScalerEvent[],
  });
  const dryMachine = toTestModelMachine(scalerMachine).provide({
    // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the worker machine
    actors: { worker: recordingWorker([]) as any },
    actions: { reportScaled: () => {} },
  });
  const paths = getContextCoveringPaths(model, dryMachine, input);
  const coverage = createCoverageTracker(scalerMachine);

  afterAll(() => {
    const result = coverage.report();
    console.log(formatCoverage('scaler', result));
    expectFullCoverage(result);
  });

  it(`generates a path for every transition (${paths.length} paths)`, () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  it.each(paths.map((path, index) => [index, path] as const))('path %i', async (_, path) => {
    let sut = createScalerHarness(input, coverage.inspect);
    await model.testPath(path, {
      events: new Proxy(
        {},
        {
          get: () => (step: { event: ScalerEvent | { type: 'xstate.init' } }) => {
            if (step.event.type === 'xstate.init') {
              sut.actor.stop();
              sut = createScalerHarness(input, coverage.inspect);
            } else {
              sut.actor.send(step.event as ScalerEvent);
            }
          },
        },
      ),
      states: {
        '*': (expected) => {
          const actual = sut.actor.getSnapshot();
          const { context } = actual;
          expect(modelState(actual)).toEqual(modelState(expected as ScalerSnapshot));
          // One worker actor per slot, no more: a removed worker's actor is gone.
          expect(sut.children()).toEqual(idsOf(context.workers).sort());
          // Every worker on its way out was sent STOP; none that stays was.
          for (const slot of slotsOf(context.workers)) {
            const stopSent = sut.received.some((entry) => entry.worker === slot.id && entry.type === 'STOP');
            if (slot.removing && slot.state !== 'stopped') expect(stopSent).toBe(true);
            if (!slot.removing) expect(stopSent).toBe(false);
          }
          // Never below min, never above max.
          expect(context.desired).toBeGreaterThanOrEqual(context.min);
          expect(context.desired).toBeLessThanOrEqual(context.max);
          // The latest decision was reported.
          expect(sut.decisions.at(-1)).toEqual(context.lastDecision);
        },
      },
    });
    sut.actor.stop();
  });
});

describe('scalerMachine', () => {
  const base: ScalerInput = { scriptType: 'python', min: 0, max: 5 };

  it('spawns workers named <type>_worker_<n> and sends each START', () => {
    const { actor, children, received } = createScalerHarness(base);

    actor.send({ type: 'scale.to', count: 3, reason: 'manual', at });

    expect(children()).toEqual(['python_worker_0', 'python_worker_1', 'python_worker_2']);
    expect(received.filter((entry) => entry.type === 'START').map((entry) => entry.worker)).toEqual([
      'python_worker_0',
      'python_worker_1',
      'python_worker_2',
    ]);
  });

  it('stops idle workers first and never a busy one while another can go', () => {
    const { actor, received } = createScalerHarness({ ...base, initial: 3 });
    actor.send(report('python_worker_0', 'idle'));
    actor.send(report('python_worker_1', 'running', true));
    actor.send(report('python_worker_2', 'running'));

    actor.send({ type: 'scale.to', count: 1, reason: 'manual', at });

    const stopped = received.filter((entry) => entry.type === 'STOP').map((entry) => entry.worker);
    expect(stopped.sort()).toEqual(['python_worker_0', 'python_worker_2']);
  });

  it('keeps a removed worker actor until it reports stopped', () => {
    const { actor, children } = createScalerHarness({ ...base, initial: 2 });
    actor.send(report('python_worker_1', 'idle'));
    actor.send({ type: 'scale.to', count: 1, reason: 'manual', at });

    expect(children()).toEqual(['python_worker_0', 'python_worker_1']);
    actor.send(report('python_worker_1', 'stopping'));
    expect(children()).toEqual(['python_worker_0', 'python_worker_1']);
    actor.send(report('python_worker_1', 'stopped'));
    expect(children()).toEqual(['python_worker_0']);
  });

  it('clamps a request to [min, max] and says so in the decision', () => {
    const { actor, decisions } = createScalerHarness({ ...base, min: 1, max: 2 });

    actor.send({ type: 'scale.to', count: 9, reason: 'manual', at });

    expect(actor.getSnapshot().context.desired).toBe(2);
    expect(decisions.at(-1)).toEqual({
      from: 1,
      to: 2,
      reason: 'manual',
      detail: 'scale to 2 (asked 9, bounds [1, 2])',
      at,
    });
  });

  it('adopts running workers with ADOPT instead of START', () => {
    const { received } = createScalerHarness({ ...base, initial: 2, adopted: { python_worker_1: 4242 }, startedAt: 5 });

    expect(received).toEqual([
      { worker: 'python_worker_1', type: 'ADOPT' },
      { worker: 'python_worker_0', type: 'START' },
    ]);
  });

  it('runs workers named toString, constructor and valueOf under their own names (F10)', () => {
    // Names that a plain-object lookup finds on Object.prototype: `adopted.constructor` is the Object function.
    const { actor, children, received } = createScalerHarness({
      ...base,
      initial: 3,
      workerIds: ['toString', 'constructor', 'valueOf'],
      adopted: { valueOf: 4242 },
    });
    actor.send({ type: 'worker.add', workerId: 'hasOwnProperty', at });
    actor.send(report('toString', 'idle'));
    actor.send(report('isPrototypeOf', 'idle'));

    expect(children()).toEqual(['constructor', 'hasOwnProperty', 'toString', 'valueOf']);
    expect(received.map(({ worker, type }) => `${worker} ${type}`).sort()).toEqual([
      'constructor START',
      'hasOwnProperty START',
      'toString START',
      'valueOf ADOPT',
    ]);
    expect(idsOf(actor.getSnapshot().context.workers).sort()).toEqual([
      'constructor',
      'hasOwnProperty',
      'toString',
      'valueOf',
    ]);
    expect(storeGet(actor.getSnapshot().context.workers, 'toString')).toMatchObject({ state: 'idle' });
    expect(actor.getSnapshot().context.adopted).toEqual({});
  });

  it('scales up at once under a burst and down only after the window and the cooldown', () => {
    const autoscale = { enabled: true, targetJobsPerWorker: 2, stabilizationWindowMs: 60_000, cooldownMs: 30_000 };
    const { actor, decisions } = createScalerHarness({ ...base, autoscale });

    actor.send({ type: 'queue.depthObserved', depth: 7, at: 0 });
    expect(actor.getSnapshot().context.desired).toBe(4);
    expect(decisions.at(-1)?.reason).toBe('autoscale-up');

    actor.send({ type: 'queue.depthObserved', depth: 0, at: 1_000 });
    actor.send({ type: 'queue.depthObserved', depth: 0, at: 60_000 });
    expect(actor.getSnapshot().context.desired).toBe(4);

    actor.send({ type: 'queue.depthObserved', depth: 0, at: 61_000 });
    expect(actor.getSnapshot().context.desired).toBe(0);
    expect(decisions.at(-1)?.reason).toBe('autoscale-down');
  });

  it('ignores queue depth while autoscaling is off', () => {
    const { actor } = createScalerHarness(base);

    actor.send({ type: 'queue.depthObserved', depth: 100, at });

    expect(actor.getSnapshot().context.desired).toBe(0);
  });

  it('drains every worker and completes once all reported stopped', () => {
    const { actor, received } = createScalerHarness({ ...base, initial: 2 });

    actor.send({ type: 'scaler.drain', at });
    expect(received.filter((entry) => entry.type === 'STOP')).toHaveLength(2);
    actor.send(report('python_worker_0', 'stopped'));
    expect(actor.getSnapshot().value).toBe('draining');
    actor.send(report('python_worker_1', 'stopped'));

    expect(actor.getSnapshot().status).toBe('done');
  });

  it('never runs more worker actors than max, nor stops a busy worker while an idle one could go (any event order)', () => {
    const ids = ['python_worker_0', 'python_worker_1', 'python_worker_2', 'python_worker_3'];
    const eventArbitrary = fc.oneof(
      fc.nat(5).map((count): ScalerEvent => ({ type: 'scale.to', count, reason: 'manual', at })),
      fc
        .tuple(
          fc.constantFrom(...ids),
          fc.constantFrom('running', 'idle', 'stopping', 'stopped', 'failed'),
          fc.boolean(),
        )
        .map(([workerId, state, busy]) => report(workerId, state, busy)),
    );
    fc.assert(
      fc.property(fc.array(eventArbitrary, { maxLength: 30 }), (events) => {
        const { actor, children, received } = createScalerHarness({ ...base, max: 3, initial: 1 });
        for (const event of events) {
          const before = actor.getSnapshot().context.workers;
          actor.send(event);
          const { workers } = actor.getSnapshot().context;
          expect(children().length).toBeLessThanOrEqual(3);
          // A newly removed busy worker means no non-busy member was left to take instead.
          const newlyRemoved = slotsOf(workers).filter((slot) => slot.removing && !storeGet(before, slot.id)?.removing);
          if (newlyRemoved.some((slot) => slot.busy)) {
            expect(slotsOf(workers).filter((slot) => !slot.removing && !slot.busy)).toEqual([]);
          }
        }
        // A worker actor that was sent STOP is gone only if it reported stopped.
        const stopped = new Set(received.filter((entry) => entry.type === 'STOP').map((entry) => entry.worker));
        for (const id of stopped) {
          if (!children().includes(id)) {
            expect(
              events.some(
                (event) => event.type === 'worker.stateChanged' && event.workerId === id && event.state === 'stopped',
              ),
            ).toBe(true);
          }
        }
        actor.stop();
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its counts and its next free id in step with its slots (any event order, drain included)', () => {
    const ids = ['python_worker_0', 'python_worker_1', 'python_worker_2', 'python_worker_3', 'api'];
    const eventArbitrary = fc.oneof(
      fc.nat(5).map((count): ScalerEvent => ({ type: 'scale.to', count, reason: 'manual', at })),
      fc
        .tuple(
          fc.constantFrom(...ids),
          fc.constantFrom('running', 'idle', 'starting', 'stopped', 'failed'),
          fc.boolean(),
        )
        .map(([workerId, state, busy]) => report(workerId, state, busy)),
      fc.constant<ScalerEvent>({ type: 'worker.add', workerId: 'api', at }),
      fc.constant<ScalerEvent>({ type: 'scaler.drain', at }),
    );
    fc.assert(
      fc.property(fc.array(eventArbitrary, { maxLength: 30 }), (events) => {
        const { actor } = createScalerHarness({ ...base, max: 4, initial: 2 });
        for (const event of [...events, { type: 'scaler.drain', at } as const]) {
          actor.send(event);
          const { context } = actor.getSnapshot();
          const slots = slotsOf(context.workers);
          expect({
            members: context.members,
            slotCount: context.slotCount,
            releasable: context.releasable,
          }).toEqual({
            members: slots.filter((slot) => !slot.removing).length,
            slotCount: slots.length,
            releasable: slots.filter((slot) => slot.removing && slot.state === 'stopped').length,
          });
          // Every generated id below nextFreeIndex is taken, so the next one is the lowest free.
          for (let index = 0; index < context.nextFreeIndex; index += 1) {
            expect(storeGet(context.workers, `python_worker_${index}`)).toBeDefined();
          }
        }
        actor.stop();
      }),
      { numRuns: 200 },
    );
  });
});
