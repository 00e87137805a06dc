// The supervisor statechart (issue 5): model-based paths over every state and transition, each checked against a
// real supervisor actor whose scalers are recording stand-ins and whose dependency actors the test settles.

import { afterAll, describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, type InspectionEvent } from 'xstate';
import { createTestModel } from 'xstate/graph';
import {
  type DependenciesInput,
  type SupervisorEvent,
  type SupervisorInput,
  supervisorMachine,
} from '../../machines/supervisor.machine.js';
import { getContextCoveringPaths } from './context-covering-paths.js';
import { createCoverageTracker, expectFullCoverage, formatCoverage, toTestModelMachine } from './model-coverage.js';
import { supervisorTransitions } from './oracle/supervisor.oracle.js';

type SupervisorSnapshot = ReturnType<ReturnType<typeof createSupervisorHarness>['actor']['getSnapshot']>;
type DependencyActor = 'startDependencies' | 'stopDependencies';

interface PendingCall {
  actor: DependencyActor;
  input: DependenciesInput;
  status: 'pending' | 'resolved' | 'rejected' | 'aborted';
  resolve: () => void;
  reject: (error: Error) => void;
}

function recordingScaler(received: { scaler: string; type: string }[]) {
  return fromCallback<{ type: string }, { scriptType: string }>(({ input, receive }) => {
    receive((event) => received.push({ scaler: input.scriptType, type: event.type }));
  });
}

/** A real supervisor: scalers record what they are sent, dependency actors wait for the test to settle them. */
function createSupervisorHarness(input: SupervisorInput, inspect?: (event: InspectionEvent) => void) {
  const received: { scaler: string; type: string }[] = [];
  const phases: string[] = [];
  const calls: PendingCall[] = [];
  const deferred = (actor: DependencyActor) =>
    fromPromise<void, DependenciesInput>(
      ({ input: actorInput, signal }) =>
        new Promise<void>((resolve, reject) => {
          const call: PendingCall = {
            actor,
            input: actorInput,
            status: 'pending',
            resolve: () => {
              call.status = 'resolved';
              resolve();
            },
            reject: (error) => {
              call.status = 'rejected';
              reject(error);
            },
          };
          signal.addEventListener('abort', () => {
            if (call.status === 'pending') call.status = 'aborted';
          });
          calls.push(call);
        }),
    );
  const machine = supervisorMachine.provide({
    actors: {
      // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the scaler machine
      scaler: recordingScaler(received) as any,
      startDependencies: deferred('startDependencies'),
      stopDependencies: deferred('stopDependencies'),
    },
    actions: { reportPhase: (_, { phase }) => phases.push(phase) },
  });
  const actor = createActor(machine, { input, inspect });
  actor.start();
  const pending = () => calls.filter((call) => call.status === 'pending');
  /** Lets the settled promise's done/error event reach the actor. */
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  const settle = async (name: DependencyActor, error?: Error) => {
    const call = pending().find((candidate) => candidate.actor === name);
    if (call === undefined) throw new Error(`no pending ${name}`);
    if (error) call.reject(error);
    else call.resolve();
    await flush();
  };
  return { actor, received, phases, calls, pending, settle };
}

const at = 1_000;

describe('supervisorMachine model', () => {
  const input: SupervisorInput = { scalers: [{ scriptType: 'python' }], dependencies: ['redis', 'postgres'] };
  const modelState = (state: SupervisorSnapshot) => ({
    value: state.value,
    status: state.status,
    draining: state.context.draining,
    spawned: state.context.spawned,
    failed: state.context.reason !== null,
  });
  const events: { type: string; [field: string]: unknown }[] = [
    { type: 'START', at },
    { type: 'SHUTDOWN', at },
    { type: 'scale.to', scriptType: 'python', count: 2, reason: 'manual', at },
    { type: 'scale.to', scriptType: 'rhai', count: 2, reason: 'manual', at },
    { type: 'queue.depthObserved', scriptType: 'python', depth: 5, at },
    { type: 'worker.add', scriptType: 'python', workerId: 'api', at },
    { type: 'scaler.drained', scriptType: 'python' },
    { type: 'xstate.done.actor.startDependencies' },
    { type: 'xstate.error.actor.startDependencies', error: new Error('redis exited with code 1') },
    { type: 'xstate.done.actor.stopDependencies' },
    { type: 'xstate.error.actor.stopDependencies', error: new Error('EPERM') },
  ];
  const model = createTestModel(toTestModelMachine(supervisorMachine), {
    input,
    serializeState: (state) => JSON.stringify(modelState(state as SupervisorSnapshot)),
    // biome-ignore lint/suspicious/noExplicitAny: internal done/error events are not part of SupervisorEvent
    events: events as any[],
  });
  const dryMachine = toTestModelMachine(supervisorMachine).provide({
    // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the scaler machine
    actors: { scaler: recordingScaler([]) as any },
    actions: { reportPhase: () => {} },
  });
  const paths = getContextCoveringPaths(model, dryMachine, input);
  const coverage = createCoverageTracker(supervisorMachine, supervisorTransitions);

  afterAll(() => {
    const result = coverage.report();
    console.log(formatCoverage('supervisor', result));
    expectFullCoverage(result);
  });

  it(`generates a path for every transition (${paths.length} paths)`, () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  /** The dependency actor each state keeps in flight, with its input. */
  const expectedInFlight = (snapshot: SupervisorSnapshot) => {
    if (snapshot.matches('startingDependencies')) return [{ actor: 'startDependencies', names: ['redis', 'postgres'] }];
    if (snapshot.matches({ shuttingDown: 'stoppingDependencies' })) {
      return [{ actor: 'stopDependencies', names: ['postgres', 'redis'] }];
    }
    return [];
  };

  it.each(paths.map((path, index) => [index, path] as const))('path %i', async (_, path) => {
    let sut = createSupervisorHarness(input, coverage.inspect);
    await model.testPath(path, {
      events: new Proxy(
        {},
        {
          get: () => async (step: { event: { type: string; error?: Error } }) => {
            const { event } = step;
            if (event.type === 'xstate.init') {
              sut.actor.stop();
              sut = createSupervisorHarness(input, coverage.inspect);
            } else if (event.type.startsWith('xstate.done.actor.')) {
              await sut.settle(event.type.slice('xstate.done.actor.'.length) as DependencyActor);
            } else if (event.type.startsWith('xstate.error.actor.')) {
              await sut.settle(event.type.slice('xstate.error.actor.'.length) as DependencyActor, event.error);
            } else {
              sut.actor.send(event as SupervisorEvent);
            }
          },
        },
      ),
      states: {
        '*': (expected) => {
          const actual = sut.actor.getSnapshot();
          expect(modelState(actual)).toEqual(modelState(expected as SupervisorSnapshot));
          // Exactly the dependency actor this state invokes is in flight, dependencies in order (reverse to stop).
          expect(sut.pending().map((call) => ({ actor: call.actor, names: call.input.names }))).toEqual(
            expectedInFlight(actual),
          );
          // Scalers exist once running, one per script type, and are asked to drain on shutdown.
          if (actual.context.spawned.length > 0) expect(Object.keys(actual.children)).toContain('scaler_python');
          if (actual.matches('shuttingDown') && actual.context.spawned.length > 0) {
            expect(sut.received).toContainEqual({ scaler: 'python', type: 'scaler.drain' });
          }
          // The latest phase was reported.
          const phase = typeof actual.value === 'string' ? actual.value : Object.keys(actual.value)[0];
          if (phase !== 'idle') expect(sut.phases.at(-1)).toBe(phase);
        },
      },
    });
    sut.actor.stop();
  });
});

describe('supervisorMachine', () => {
  const input: SupervisorInput = {
    scalers: [{ scriptType: 'python' }, { scriptType: 'osis' }],
    dependencies: ['redis'],
  };

  it('starts the scalers only after the dependencies run', async () => {
    const sut = createSupervisorHarness(input);

    sut.actor.send({ type: 'START', at });
    expect(Object.keys(sut.actor.getSnapshot().children)).not.toContain('scaler_python');
    await sut.settle('startDependencies');

    expect(Object.keys(sut.actor.getSnapshot().children).sort()).toEqual(['scaler_osis', 'scaler_python']);
  });

  it('forwards scaling requests to the scaler of their script type', async () => {
    const sut = createSupervisorHarness(input);
    sut.actor.send({ type: 'START', at });
    await sut.settle('startDependencies');

    sut.actor.send({ type: 'scale.to', scriptType: 'osis', count: 3, reason: 'manual', at });

    expect(sut.received).toEqual([{ scaler: 'osis', type: 'scale.to' }]);
  });

  it('stops the dependencies only after every scaler drained, and ignores scaling meanwhile', async () => {
    const sut = createSupervisorHarness(input);
    sut.actor.send({ type: 'START', at });
    await sut.settle('startDependencies');

    sut.actor.send({ type: 'SHUTDOWN', at });
    sut.actor.send({ type: 'scale.to', scriptType: 'python', count: 3, reason: 'manual', at });
    sut.actor.send({ type: 'scaler.drained', scriptType: 'python' });
    expect(sut.pending()).toEqual([]);
    sut.actor.send({ type: 'scaler.drained', scriptType: 'osis' });

    expect(sut.pending().map((call) => call.actor)).toEqual(['stopDependencies']);
    expect(sut.received.filter((entry) => entry.type === 'scale.to')).toEqual([]);
    await sut.settle('stopDependencies');
    expect(sut.actor.getSnapshot().status).toBe('done');
  });

  it('keeps the reason when a dependency fails to start, and START retries', async () => {
    const sut = createSupervisorHarness(input);
    sut.actor.send({ type: 'START', at });

    await sut.settle('startDependencies', new Error('redis exited with code 1'));
    expect(sut.actor.getSnapshot().context.reason).toBe('redis exited with code 1');
    sut.actor.send({ type: 'START', at });

    expect(sut.pending().map((call) => call.actor)).toEqual(['startDependencies']);
  });
});
