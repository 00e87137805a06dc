// The worker lifecycle statechart (issue 2): model-based paths over every state and transition, then the
// behaviours of the issue one by one. Time runs on a SimulatedClock; effects are recorded, never real.
import { createActor } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultWorkerSettings } from '../../machines/worker.defaults.js';
import type { PingOutcome } from '../../machines/worker.events.js';
import { type WorkerSnapshot, workerMachine, workerStateOf } from '../../machines/worker.machine.js';
import {
  createCoverageTracker,
  expectFullCoverage,
  formatCoverage,
  getTransitionCoveringPaths,
  toTestModelMachine,
} from './model-coverage.js';
import { bringUp, createWorkerHarness, type WorkerActorName, type WorkerHarness } from './worker-harness.js';

const ok: PingOutcome = {
  type: 'ok',
  latencyMs: 3,
  reply: { workerId: 'python_worker_1', pid: 8, uptimeMs: 1000, jobsProcessed: 0, activeJobs: 0, version: '0.1.0' },
};

describe('workerMachine model', () => {
  // Small limits keep the model's state space small; the behaviour does not depend on the numbers.
  const settings = { maxRestarts: 2, pingFailureThreshold: 2 };
  const input = { name: 'python_worker_1', scriptType: 'python', settings };
  const at = 0;
  const model = createTestModel(toTestModelMachine(workerMachine), {
    input,
    // The model state: the state value plus the context that steers guards; timestamps, counters and the
    // jitter seed would make it infinite.
    serializeState: (state) => {
      const { context } = state as WorkerSnapshot;
      return JSON.stringify({
        value: state.value,
        failures: context.consecutivePingFailures,
        pingDue: context.pingDue,
        restarts: context.restartHistory,
        attempt: Math.min(context.backoffAttempt, 2),
        up: context.startedAt !== null,
      });
    },
    events: [
      { type: 'START', at },
      { type: 'STOP', at },
      { type: 'RESTART', reason: 'requested by operator', at },
      { type: 'ADOPT', pid: 7, at },
      { type: 'process.spawned', pid: 8, at },
      { type: 'process.running', pid: 8, at },
      // pid null: the replaced process (expected during a restart); pid 99: a process nobody knew.
      { type: 'process.exited', pid: null, code: 3, signal: null, at },
      { type: 'process.exited', pid: 99, code: null, signal: 'SIGKILL', at },
      { type: 'process.spawnFailed', reason: 'ENOENT', at },
      { type: 'process.healthFailed', reason: 'check exited with code 1', at },
      { type: 'process.blocked', waitingFor: ['redis'], at },
      { type: 'process.stopped', at },
      { type: 'job.activity', jobId: 'job-1', at },
      ...[
        ok,
        { type: 'timeout', timeoutMs: 5000 },
        { type: 'failed', reason: 'no reply' },
        { type: 'transport-down', reason: 'ECONNREFUSED' },
      ].map((output) => ({ type: 'xstate.done.actor.pingWorker', output })),
      { type: 'xstate.error.actor.pingWorker', error: new Error('ping crashed') },
      { type: 'xstate.error.actor.startProcess', error: new Error('ENOENT') },
      { type: 'xstate.error.actor.restartProcess', error: new Error('zinit refused') },
      { type: 'xstate.done.actor.stopProcess' },
      { type: 'xstate.error.actor.stopProcess', error: new Error('EPERM') },
      // Early in the first minute, and ten minutes later (window over, backoff reset).
      { type: 'xstate.done.actor.readClock', output: 1_000 },
      { type: 'xstate.done.actor.readClock', output: 600_000 },
      // biome-ignore lint/suspicious/noExplicitAny: internal events are not part of WorkerEvent
    ] as any[],
  });
  const paths = getTransitionCoveringPaths(model);
  const coverage = createCoverageTracker(workerMachine);

  afterAll(() => {
    const report = coverage.report();
    console.log(formatCoverage('worker', report));
    expectFullCoverage(report);
  });

  /** The actor each state keeps in flight: the effect the machine must have requested there. */
  const expectedInFlight = (snapshot: WorkerSnapshot): WorkerActorName[] => {
    if (snapshot.matches({ failed: 'deciding' })) return ['readClock'];
    const inFlight: Partial<Record<string, WorkerActorName>> = {
      starting: 'startProcess',
      pinging: 'pingWorker',
      restarting: 'restartProcess',
      stopping: 'stopProcess',
    };
    const actor = inFlight[workerStateOf(snapshot)];
    return actor ? [actor] : [];
  };

  it(`generates a path for every transition (${paths.length} paths)`, () => {
    expect(paths.length).toBeGreaterThan(50);
  });

  it.each(paths.map((path, index) => [index, path] as const))('path %i', async (_, path) => {
    let sut: WorkerHarness = createWorkerHarness({ name: input.name, settings, autoClock: false });
    const execute = async (step: { event: { type: string; output?: unknown; error?: unknown } }) => {
      const { event } = step;
      const [prefix, kind, name] = event.type.split('.');
      if (event.type === 'xstate.init') {
        sut.stop();
        sut = createWorkerHarness({ name: input.name, settings, autoClock: false, inspect: coverage.inspect });
      } else if (prefix === 'xstate' && kind === 'after') {
        const delay = workerMachine.implementations.delays[name as string];
        const ms = typeof delay === 'function' ? delay({ context: sut.context() } as never, undefined) : delay;
        await sut.advance(ms as number);
      } else if (prefix === 'xstate' && event.type.startsWith('xstate.done.actor.')) {
        await sut.resolve(event.type.slice('xstate.done.actor.'.length) as WorkerActorName, event.output);
      } else if (prefix === 'xstate' && event.type.startsWith('xstate.error.actor.')) {
        await sut.reject(event.type.slice('xstate.error.actor.'.length) as WorkerActorName, event.error);
      } else {
        await sut.sendRaw(event);
      }
    };
    const events = new Proxy({}, { get: () => execute });
    await model.testPath(path, {
      events,
      states: {
        '*': (expected) => {
          const actual = sut.actor.getSnapshot();
          expect(actual.value).toEqual(expected.value);
          expect(actual.context).toEqual(expected.context);
          // The effects requested: exactly the actor this state invokes is in flight, with its input.
          expect(sut.pending().map((call) => call.actor)).toEqual(expectedInFlight(expected as WorkerSnapshot));
          for (const call of sut.pending()) {
            const expectedInput =
              call.actor === 'pingWorker'
                ? { name: input.name, timeoutMs: defaultWorkerSettings.pingTimeoutMs }
                : call.actor === 'readClock'
                  ? undefined
                  : { name: input.name };
            expect(call.input).toEqual(expectedInput);
          }
          // The owner was told about the state just entered.
          const last = sut.reports.at(-1);
          expect(last?.state).toBe(workerStateOf(actual));
          expect(last?.gaveUp ?? false).toBe(actual.matches({ failed: 'gaveUp' }));
        },
      },
    });
    sut.stop();
  });
});
