// The worker lifecycle statechart (issue 2): model-based paths over every state and transition, then the
// behaviours of the issue one by one. Time runs on a SimulatedClock; effects are recorded, never real.

import { afterAll, describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { defaultWorkerSettings, type WorkerSettings } from '../../machines/worker.defaults.js';
import type { PingOutcome } from '../../machines/worker.events.js';
import { type WorkerSnapshot, workerMachine, workerStateOf } from '../../machines/worker.machine.js';
import {
  createCoverageTracker,
  expectFullCoverage,
  formatCoverage,
  getTransitionCoveringPaths,
  toTestModelMachine,
} from './model-coverage.js';
import { workerTransitions } from './oracle/worker.oracle.js';
import { bringUp, createWorkerHarness, flush, type WorkerActorName, type WorkerHarness } from './worker-harness.js';

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
  const modelMachine = toTestModelMachine(workerMachine);
  const model = createTestModel(modelMachine, {
    input,
    // The model has about 500 states; a bug that lets a counter grow without bound must fail, not hang.
    limit: 5_000,
    // The model state: the state value plus the context that steers guards; timestamps, counters and the
    // jitter seed would make it infinite.
    serializeState: (state) => {
      const { context } = state as WorkerSnapshot;
      return JSON.stringify({
        value: state.value,
        failures: context.consecutivePingFailures,
        pingDue: context.pingDue,
        restarts: context.restartHistory.slice(0, settings.maxRestarts + 1),
        attempt: Math.min(context.backoffAttempt, 2),
        up: context.startedAt !== null,
        // Which exits count: the pids come from the model's events (7, 8) or are null, so they stay few.
        pid: context.pid,
        replacedPid: context.replacedPid,
      });
    },
    events: [
      { type: 'START', at },
      { type: 'STOP', at },
      { type: 'RESTART', reason: 'requested by operator', at },
      { type: 'ADOPT', pid: 7, at },
      { type: 'process.spawned', pid: 8, at },
      { type: 'process.running', pid: 8, at },
      // pid null: unnamed (the replaced process during a restart, else the current one); pid 8: the process
      // process.spawned/running named; pid 99: a stale exit of a process that is not the worker's (ignored).
      { type: 'process.exited', pid: null, code: 3, signal: null, at },
      { type: 'process.exited', pid: 8, code: 1, signal: null, at },
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
  const coverage = createCoverageTracker(workerMachine, workerTransitions);

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
    // The path's stored snapshots stand for a whole model state (see serializeState); the exact expectation
    // is the model machine replayed on the path's events.
    let expected = initialTransition(modelMachine, input)[0];
    let sut: WorkerHarness | undefined;
    const execute = async (step: { event: { type: string; output?: unknown; error?: unknown } }) => {
      const { event } = step;
      const [prefix, kind, name] = event.type.split('.');
      if (event.type === 'xstate.init') {
        sut = createWorkerHarness({ name: input.name, settings, autoClock: false, inspect: coverage.inspect });
        return;
      }
      if (!sut) throw new Error('The path must start with xstate.init');
      expected = transition(modelMachine, expected, event as never)[0];
      if (prefix === 'xstate' && kind === 'after') {
        const delay = workerMachine.implementations.delays[name as string];
        const ms = typeof delay === 'function' ? delay({ context: sut.context() } as never, undefined) : delay;
        await sut.advance(ms as number);
      } else if (prefix === 'xstate' && event.type.startsWith('xstate.done.actor.')) {
        await sut.resolve(event.type.slice('xstate.done.actor.'.length) as WorkerActorName, event.output);
      } else if (prefix === 'xstate' && event.type.startsWith('xstate.error.actor.')) {
        await sut.reject(event.type.slice('xstate.error.actor.'.length) as WorkerActorName, event.error);
      } else {
        await sut.sendRaw(event as never);
      }
    };
    const events = new Proxy({}, { get: () => execute });
    await model.testPath(path, {
      events,
      states: {
        '*': (modelState) => {
          if (!sut) throw new Error('The path must start with xstate.init');
          const actual = sut.actor.getSnapshot();
          expect(actual.value).toEqual(expected.value);
          expect(actual.value, 'the path took the branch the model planned').toEqual(modelState.value);
          expect(actual.context).toEqual(expected.context);
          // The effects requested: exactly the actor this state invokes is in flight, with its input.
          expect(sut.pending().map((call) => call.actor)).toEqual(expectedInFlight(expected as WorkerSnapshot));
          for (const call of sut.pending()) {
            const expectedInput =
              call.actor === 'pingWorker'
                ? {
                    name: input.name,
                    timeoutMs: defaultWorkerSettings.pingTimeoutMs,
                    upSince: expected.context.startedAt,
                  }
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
    sut?.stop();
  });
});

describe('workerMachine', () => {
  const harnesses: WorkerHarness[] = [];
  const startWorker = (settings: Partial<WorkerSettings> = {}) => {
    const harness = createWorkerHarness({ settings });
    harnesses.push(harness);
    return harness;
  };
  afterAll(() => {
    for (const harness of harnesses) harness.stop();
  });

  /** Crash the running worker and let the restart it decides on come up again. */
  const crashAndRecover = async (harness: WorkerHarness, pid: number) => {
    await harness.send({ type: 'process.exited', pid: harness.context().pid, code: 3, signal: null });
    if (harness.actor.getSnapshot().matches({ failed: 'backingOff' }))
      await harness.advance(harness.context().restartDelayMs);
    if (!harness.actor.getSnapshot().matches('restarting')) return;
    await harness.resolve('restartProcess');
    await harness.send({ type: 'process.running', pid });
  };

  describe('stopped', () => {
    it('starts the process on START and runs once process.running arrives', async () => {
      const harness = startWorker();

      await bringUp(harness, 4242);

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context()).toMatchObject({ pid: 4242, startedAt: 0, reason: null });
      expect(harness.calls.map((call) => [call.actor, call.input])).toEqual([
        ['startProcess', { name: 'python_worker_1' }],
      ]);
      expect(harness.reports.map((report) => report.state)).toEqual(['stopped', 'starting', 'running']);
    });

    it('adopts a process that already runs without starting another', async () => {
      const harness = startWorker();

      await harness.send({ type: 'ADOPT', pid: 777 });

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context().pid).toBe(777);
      expect(harness.calls).toEqual([]);
    });

    it('ignores late process events after a STOP', async () => {
      const harness = startWorker();
      await bringUp(harness);
      await harness.send({ type: 'STOP' });
      await harness.resolve('stopProcess');

      await harness.send({ type: 'process.exited', pid: 4242, code: null, signal: 'SIGTERM' });
      await harness.send({ type: 'process.running', pid: 5000 });
      await harness.advance(defaultWorkerSettings.giveUpCooldownMs);

      expect(harness.stateValue()).toBe('"stopped"');
      expect(harness.calls.map((call) => call.actor)).toEqual(['startProcess', 'stopProcess']);
    });
  });

  describe('starting', () => {
    it('fails with the rejection reason when the start is refused', async () => {
      const harness = startWorker();
      await harness.send({ type: 'START' });

      await harness.reject('startProcess', new Error('ENOENT: /usr/bin/hero-worker'));

      expect(harness.reports.find((report) => report.state === 'failed')?.reason).toBe(
        'spawn failed: ENOENT: /usr/bin/hero-worker',
      );
    });

    it('fails with start-timeout when the process never becomes running', async () => {
      const harness = startWorker();
      await harness.send({ type: 'START' });
      await harness.resolve('startProcess');

      await harness.advance(defaultWorkerSettings.startTimeoutMs);

      expect(harness.reports.find((report) => report.state === 'failed')?.reason).toBe('start-timeout');
    });
  });

  describe('running', () => {
    it('goes idle after idleTimeout without job activity and pings at once', async () => {
      const harness = startWorker();
      await bringUp(harness);

      await harness.advance(defaultWorkerSettings.idleTimeoutMs);

      expect(harness.reports.slice(-2).map((report) => report.state)).toEqual(['idle', 'pinging']);
      expect(harness.pending('pingWorker')[0]?.input).toEqual({ name: 'python_worker_1', timeoutMs: 5000, upSince: 0 });
    });

    it('stays running while job activity keeps arriving within idleTimeout', async () => {
      const harness = startWorker();
      await bringUp(harness);

      for (let i = 0; i < 5; i++) {
        await harness.advance(defaultWorkerSettings.idleTimeoutMs - 1);
        await harness.send({ type: 'job.activity', jobId: `job-${i}` });
      }

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context().lastJobAt).toBe(5 * (defaultWorkerSettings.idleTimeoutMs - 1));
    });

    it('restarts a crashed worker at once, then backs off exponentially with jitter', async () => {
      const harness = startWorker({ maxRestarts: 100 });
      await bringUp(harness);

      const delays: number[] = [];
      for (let pid = 1; pid <= 5; pid++) {
        await crashAndRecover(harness, pid);
        delays.push(harness.context().restartDelayMs);
      }

      expect(delays[0]).toBe(0);
      for (const [n, delay] of delays.slice(1).entries()) {
        const exponential = 100 * 2 ** n;
        expect(delay).toBeGreaterThanOrEqual(exponential / 2);
        expect(delay).toBeLessThanOrEqual(exponential);
      }
      expect(harness.context().restartCount).toBe(5);
    });

    it('restarts at once again after the worker stayed up resetBackoffAfter', async () => {
      const harness = startWorker({ maxRestarts: 100 });
      await bringUp(harness);
      await crashAndRecover(harness, 1);
      await crashAndRecover(harness, 2);
      expect(harness.context().restartDelayMs).toBeGreaterThan(0);

      await harness.advance(defaultWorkerSettings.resetBackoffAfterMs);
      await crashAndRecover(harness, 3);

      expect(harness.context().restartDelayMs).toBe(0);
    });

    it('ignores the stale exit of a process that is not its own (Finding F7 in test/faults/README.md)', async () => {
      const harness = startWorker();
      await bringUp(harness, 4242);

      await harness.send({ type: 'process.exited', pid: 4100, code: null, signal: 'SIGKILL' });

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context().pid).toBe(4242);
    });

    it('pings at once on PING, counted like a timed ping', async () => {
      const harness = startWorker();
      await bringUp(harness);

      await harness.send({ type: 'PING' });
      await harness.resolve('pingWorker', { type: 'timeout', timeoutMs: 5000 });

      expect(harness.reports.slice(-2).map((report) => report.state)).toEqual(['pinging', 'idle']);
      expect(harness.context().consecutivePingFailures).toBe(1);
    });

    it('names the signal that killed the process', async () => {
      const harness = startWorker();
      await bringUp(harness);

      await harness.send({ type: 'process.exited', pid: 4242, code: null, signal: 'SIGKILL' });

      expect(harness.reports.find((report) => report.state === 'failed')?.reason).toBe('killed by SIGKILL');
    });
  });

  describe('pinging', () => {
    const goIdle = async (harness: WorkerHarness) => {
      await bringUp(harness);
      await harness.advance(defaultWorkerSettings.idleTimeoutMs);
    };

    it('restarts with reason ping-failures after pingFailureThreshold failed pings in a row', async () => {
      const harness = startWorker();
      await goIdle(harness);

      await harness.resolve('pingWorker', { type: 'timeout', timeoutMs: 5000 });
      await harness.advance(defaultWorkerSettings.pingIntervalMs);
      await harness.reject('pingWorker', new Error('ping crashed'));
      await harness.advance(defaultWorkerSettings.pingIntervalMs);
      await harness.resolve('pingWorker', { type: 'failed', reason: 'no reply' });

      expect(harness.stateValue()).toBe('"restarting"');
      expect(harness.context().reason).toBe('ping-failures');
      expect(harness.pending().map((call) => call.actor)).toEqual(['restartProcess']);
    });

    it('pings an idle worker now on PING, and failed PING pings lead to the restart', async () => {
      const harness = startWorker();
      await goIdle(harness);
      await harness.resolve('pingWorker', ok);

      for (let i = 0; i < defaultWorkerSettings.pingFailureThreshold; i++) {
        await harness.send({ type: 'PING' });
        await harness.resolve('pingWorker', { type: 'failed', reason: 'no reply' });
      }

      expect(harness.stateValue()).toBe('"restarting"');
      expect(harness.context().reason).toBe('ping-failures');
    });

    it('ignores PING where no ping can be sent', async () => {
      const harness = startWorker();

      await harness.send({ type: 'PING' });
      await harness.send({ type: 'START' });
      await harness.send({ type: 'PING' });

      expect(harness.stateValue()).toBe('"starting"');
      expect(harness.calls.map((call) => call.actor)).toEqual(['startProcess']);
    });

    it('never counts transport-down as a failure', async () => {
      const harness = startWorker();
      await goIdle(harness);

      for (let i = 0; i < 10; i++) {
        await harness.resolve('pingWorker', { type: 'transport-down', reason: 'ECONNREFUSED' });
        await harness.advance(defaultWorkerSettings.pingIntervalMs);
      }

      expect(harness.stateValue()).toBe('"pinging"');
      expect(harness.context().consecutivePingFailures).toBe(0);
    });

    it('resets the failure count on a successful ping', async () => {
      const harness = startWorker();
      await goIdle(harness);
      await harness.resolve('pingWorker', { type: 'timeout', timeoutMs: 5000 });
      await harness.advance(defaultWorkerSettings.pingIntervalMs);

      await harness.resolve('pingWorker', ok);

      expect(harness.stateValue()).toBe('"idle"');
      expect(harness.context().consecutivePingFailures).toBe(0);
    });

    it('returns to running on job activity and cancels the ping', async () => {
      const harness = startWorker();
      await goIdle(harness);

      await harness.send({ type: 'job.activity', jobId: 'job-1' });

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.calls.filter((call) => call.actor === 'pingWorker').map((call) => call.status)).toEqual([
        'aborted',
      ]);
    });
  });

  describe('failed', () => {
    it('stays failed with reason restart-intensity after a 6th crash within 60 s', async () => {
      const harness = startWorker();
      await bringUp(harness);

      for (let pid = 1; pid <= 6; pid++) await crashAndRecover(harness, pid);

      expect(harness.actor.getSnapshot().matches({ failed: 'gaveUp' })).toBe(true);
      expect(harness.context().reason).toBe('restart-intensity');
      expect(harness.reports.at(-1)).toMatchObject({ state: 'failed', gaveUp: true, reason: 'restart-intensity' });
    });

    it('recovers from giving up by itself after giveUpCooldown', async () => {
      const harness = startWorker();
      await bringUp(harness);
      for (let pid = 1; pid <= 6; pid++) await crashAndRecover(harness, pid);

      await harness.advance(defaultWorkerSettings.giveUpCooldownMs);

      expect(harness.stateValue()).toBe('"restarting"');
      expect(harness.context().restartHistory).toEqual([]);
    });

    it('recovers from giving up on RESTART', async () => {
      const harness = startWorker();
      await bringUp(harness);
      for (let pid = 1; pid <= 6; pid++) await crashAndRecover(harness, pid);

      await harness.send({ type: 'RESTART' });

      expect(harness.stateValue()).toBe('"restarting"');
    });

    it('returns to running when the backend restarted the process itself, without restarting it again', async () => {
      const harness = startWorker({ maxRestarts: 100 });
      await bringUp(harness);
      await crashAndRecover(harness, 1);
      await harness.send({ type: 'process.exited', pid: 1, code: 1, signal: null });
      expect(harness.actor.getSnapshot().matches({ failed: 'backingOff' })).toBe(true);

      await harness.send({ type: 'process.spawned', pid: 2 });
      await harness.send({ type: 'process.running', pid: 2 });
      await harness.advance(defaultWorkerSettings.backoffMaxMs);

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context().pid).toBe(2);
      expect(harness.calls.filter((call) => call.actor === 'restartProcess')).toHaveLength(1);
    });
  });

  describe('failed, with a backend that respawns by itself (backendRestartGraceMs)', () => {
    it('reports no pid once the process exited (Finding F3 in test/faults/README.md)', async () => {
      const harness = startWorker({ backendRestartGraceMs: 2_000 });
      await bringUp(harness, 4242);

      await harness.send({ type: 'process.exited', pid: 4242, code: null, signal: 'SIGKILL' });

      expect(harness.actor.getSnapshot().matches({ failed: 'backingOff' })).toBe(true);
      expect(harness.context()).toMatchObject({ pid: null, startedAt: null, reason: 'killed by SIGKILL' });
    });

    it("waits the grace for the backend's respawn instead of restarting at once", async () => {
      const harness = startWorker({ backendRestartGraceMs: 2_000 });
      await bringUp(harness, 4242);
      await harness.send({ type: 'process.exited', pid: 4242, code: null, signal: 'SIGKILL' });
      expect(harness.context().restartDelayMs).toBe(2_000);

      await harness.advance(1_000);
      await harness.send({ type: 'process.spawned', pid: 5000 });
      await harness.send({ type: 'process.running', pid: 5000 });
      await harness.send({ type: 'process.exited', pid: 4242, code: null, signal: 'SIGKILL' });
      await harness.advance(2_000);

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context().pid).toBe(5000);
      expect(harness.calls.filter((call) => call.actor === 'restartProcess')).toEqual([]);
    });

    it('restarts by itself once the grace passed without a respawn', async () => {
      const harness = startWorker({ backendRestartGraceMs: 2_000 });
      await bringUp(harness, 4242);
      await harness.send({ type: 'process.exited', pid: 4242, code: 1, signal: null });

      await harness.advance(2_000);

      expect(harness.stateValue()).toBe('"restarting"');
      expect(harness.pending().map((call) => call.actor)).toEqual(['restartProcess']);
    });

    it('restarts a hung worker (ping-failures) at once: no backend respawns a live process', async () => {
      const harness = startWorker({ backendRestartGraceMs: 2_000, pingFailureThreshold: 1 });
      await bringUp(harness, 4242);
      await harness.advance(defaultWorkerSettings.idleTimeoutMs);

      await harness.resolve('pingWorker', { type: 'timeout', timeoutMs: 5000 });

      expect(harness.stateValue()).toBe('"restarting"');
      expect(harness.context().replacedPid).toBe(4242);
    });
  });

  describe('restarting', () => {
    it('ignores a late exit of a pid it does not run after the process it replaced was gone', async () => {
      const harness = startWorker();
      await bringUp(harness, 10);
      await harness.send({ type: 'process.exited', pid: 10, code: 1, signal: null });
      expect(harness.stateValue()).toBe('"restarting"');

      await harness.send({ type: 'process.spawned', pid: 11 });
      await harness.send({ type: 'process.exited', pid: 9, code: null, signal: 'SIGTERM' });

      expect(harness.stateValue()).toBe('"restarting"');
      await harness.send({ type: 'process.exited', pid: 11, code: 2, signal: null });
      expect(harness.context()).toMatchObject({ pid: null, reason: 'exited with code 2' });
    });

    it('ignores the exit of the process it replaces', async () => {
      const harness = startWorker();
      await bringUp(harness, 10);
      await harness.send({ type: 'RESTART', reason: 'config changed' });

      await harness.send({ type: 'process.exited', pid: 10, code: null, signal: 'SIGTERM' });
      await harness.resolve('restartProcess');
      await harness.send({ type: 'process.running', pid: 11 });

      expect(harness.stateValue()).toBe('"running"');
      expect(harness.context()).toMatchObject({ pid: 11, reason: 'config changed', restartCount: 1 });
    });

    it('does not start a second restart on RESTART while one is in flight', async () => {
      const harness = startWorker();
      await bringUp(harness);
      await harness.send({ type: 'RESTART' });

      await harness.send({ type: 'RESTART' });

      expect(harness.calls.filter((call) => call.actor === 'restartProcess')).toHaveLength(1);
    });
  });

  describe('stopping', () => {
    it('ends in stopped from every state through stopping', async () => {
      const harness = startWorker();
      await bringUp(harness);
      await harness.advance(defaultWorkerSettings.idleTimeoutMs);

      await harness.send({ type: 'STOP' });
      await harness.resolve('stopProcess');

      expect(harness.reports.slice(-2).map((report) => report.state)).toEqual(['stopping', 'stopped']);
      expect(harness.calls.find((call) => call.actor === 'pingWorker')?.status).toBe('aborted');
    });
  });

  describe('placeholders', () => {
    it('fail loudly, naming the missing implementation', async () => {
      const errors: unknown[] = [];
      const actor = createActor(workerMachine, { input: { name: 'w', scriptType: 'python' } });
      actor.subscribe({ error: (error) => errors.push(error) });
      actor.start();

      actor.send({ type: 'START', at: 0 });
      await flush();

      expect(actor.getSnapshot().context.reason).toBe(
        'spawn failed: startProcess not provided: use workerMachine.provide()',
      );
      actor.stop();
    });
  });
});
