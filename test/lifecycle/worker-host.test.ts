// The worker host (src/lifecycle/worker-host.ts): a real scaler whose workers are real worker-machine actors hosted
// as root actors of their own, not as the scaler's children. Effects are test implementations (no processes): a
// start resolves at once and the test reports the process running, a stop resolves at once.

import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, enqueueActions, fromPromise } from 'xstate';
import { type ScalerEvent, type ScalerInput, scalerMachine } from '../../machines/scaler.machine.js';
import { storeGet } from '../../machines/slot-store.js';
import type { PingOutcome } from '../../machines/worker.events.js';
import { type PingActorInput, workerMachine, workerStateOf } from '../../machines/worker.machine.js';
import { WorkerHost } from '../../src/lifecycle/worker-host.js';

const at = 1_000;
const names = (count: number) => Array.from({ length: count }, (_, index) => `python_worker_${index}`);

function createHostedScaler(input: ScalerInput) {
  const errors: string[] = [];
  // Assigned before any worker exists: the workers' reports read it.
  let host: WorkerHost | undefined;
  const logic = workerMachine.provide({
    actions: {
      logTransition: () => {},
      reportStateChange: enqueueActions(({ context, self, event, enqueue }, params) => {
        // The initial `stopped` is not news to the scaler (as in src/lifecycle/report-bridge.ts).
        if ((event as { type: string }).type === 'xstate.init') return;
        const scaler = host?.scalerOf(context.name, self);
        const report: ScalerEvent = {
          type: 'worker.stateChanged',
          workerId: context.name,
          state: params.state,
          busy: false,
          at,
        };
        if (scaler !== undefined) enqueue.sendTo(scaler, report);
      }),
    },
    actors: {
      startProcess: fromPromise(async () => {}),
      stopProcess: fromPromise(async () => {}),
      restartProcess: fromPromise(async () => {}),
      // No ping happens here (no worker stays idle long enough); one would find the transport down.
      pingWorker: fromPromise<PingOutcome, PingActorInput>(async () => ({ type: 'transport-down', reason: 'test' })),
      readClock: fromPromise(async () => at),
    },
  });
  host = new WorkerHost({ logic, onError: (worker, error) => errors.push(`${worker}: ${error.message}`) });
  const hosted = host;
  const machine = scalerMachine.provide({ actions: { reportScaled: () => {}, ...hosted.scalerActions() } });
  const scaler = createActor(machine, { input });
  scaler.start();
  const running = (name: string) => hosted.actorOf(name)?.send({ type: 'process.running', pid: 100, at });
  const children = () => Object.keys(scaler.getSnapshot().children as Record<string, AnyActorRef>);
  return { host: hosted, scaler, running, children, errors };
}

/** Lets the stop effects (promises) settle; not a sleep: nothing waits on time. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkerHost', () => {
  it('hosts the scaler’s workers as root actors: none is a child of the scaler, each got START and reports to it', () => {
    const { host, scaler, running, children, errors } = createHostedScaler({
      scriptType: 'python',
      max: 5,
      initial: 3,
    });
    expect(children()).toEqual([]);
    expect(host.size).toBe(3);
    for (const name of names(3)) {
      expect(workerStateOf(host.actorOf(name)?.getSnapshot() ?? expect.fail(`${name} not hosted`))).toBe('starting');
      running(name);
    }
    // The reports reached the scaler: its slots say running.
    const slotStates = names(3).map((name) => storeGet(scaler.getSnapshot().context.workers, name)?.state);
    expect(slotStates).toEqual(['running', 'running', 'running']);
    expect(scaler.getSnapshot().context.members).toBe(3);
    expect(errors).toEqual([]);
  });

  it('releases a removed worker once it reports stopped: its actor stops and the host forgets it', async () => {
    const { host, scaler, running } = createHostedScaler({ scriptType: 'python', max: 5, initial: 3 });
    for (const name of names(3)) running(name);
    const last = host.actorOf('python_worker_2');
    scaler.send({ type: 'scale.to', count: 1, reason: 'manual', at });
    await flush();
    expect(host.size).toBe(1);
    expect(host.actorOf('python_worker_0')).toBeDefined();
    expect(last?.getSnapshot().status).toBe('stopped');
    expect(scaler.getSnapshot().context.slotCount).toBe(1);
  });

  it('drains every worker at shutdown and reaches drained with no actor left', async () => {
    const { host, scaler, running } = createHostedScaler({ scriptType: 'python', max: 5, initial: 4 });
    for (const name of names(4)) running(name);
    const actors = names(4).map((name) => host.actorOf(name));
    scaler.send({ type: 'scaler.drain', at });
    await flush();
    expect(scaler.getSnapshot().value).toBe('drained');
    expect(host.size).toBe(0);
    expect(actors.map((actor) => actor?.getSnapshot().status)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
  });

  it('sends a scaler only reports that change its slot: not a new worker’s starting, not a repeated state', () => {
    const { host } = createHostedScaler({ scriptType: 'python', max: 5, initial: 1 });
    const name = 'python_worker_0';
    const actor = host.actorOf(name) ?? expect.fail('not hosted');
    const report = (state: 'starting' | 'running', busy = false): ScalerEvent => ({
      type: 'worker.stateChanged',
      workerId: name,
      state,
      busy,
      at,
    });
    expect(host.scalerFor(name, actor, report('starting'))).toBeUndefined();
    expect(host.scalerFor(name, actor, report('running'))).toBeDefined();
    expect(host.scalerFor(name, actor, report('running'))).toBeUndefined();
    expect(host.scalerFor(name, actor, report('running', true))).toBeDefined();
    // Another actor under the name (a stale ref) has no scaler.
    expect(host.scalerFor('python_worker_9', actor, report('running'))).toBeUndefined();
  });

  it('stopAll stops the workers of a scaler that stopped without draining', () => {
    const { host, scaler } = createHostedScaler({ scriptType: 'python', max: 5, initial: 2 });
    const actors = names(2).map((name) => host.actorOf(name));
    scaler.stop();
    host.stopAll();
    expect(host.size).toBe(0);
    expect(actors.map((actor) => actor?.getSnapshot().status)).toEqual(['stopped', 'stopped']);
  });
});
