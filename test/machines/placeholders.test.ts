// A machine used without its effects provided fails loudly and says what is missing (issue 13: every placeholder's
// message is pinned, so a mutant that silences one is caught).
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor } from 'xstate';
import { scalerMachine } from '../../machines/scaler.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { leafOfValue } from './oracle/flatten.js';
import { flush } from './worker-harness.js';

function errorsOf(actor: AnyActorRef): unknown[] {
  const errors: unknown[] = [];
  actor.subscribe({ error: (error) => errors.push(error) });
  return errors;
}

describe('placeholders', () => {
  it('worker: a start, restart or stop without its effect fails with the name of what to provide', async () => {
    const bare = () => {
      const worker = createActor(workerMachine, { input: { name: 'w', scriptType: 'python' } });
      const errors = errorsOf(worker);
      worker.start();
      return { worker, errors };
    };
    const starting = bare();
    starting.worker.send({ type: 'START', at: 0 });
    await flush();
    expect(starting.worker.getSnapshot().context.reason).toBe(
      'spawn failed: startProcess not provided: use workerMachine.provide()',
    );
    // Failed, it reads the clock, which is not provided either: the actor fails, saying so.
    expect(String(starting.errors[0])).toContain('readClock not provided: use workerMachine.provide()');

    const restarting = bare();
    restarting.worker.send({ type: 'ADOPT', pid: 7, at: 0 });
    restarting.worker.send({ type: 'RESTART', at: 0 });
    await flush();
    expect(restarting.worker.getSnapshot().context.reason).toBe(
      'restart failed: restartProcess not provided: use workerMachine.provide()',
    );

    const stopping = bare();
    stopping.worker.send({ type: 'ADOPT', pid: 7, at: 0 });
    stopping.worker.send({ type: 'STOP', at: 0 });
    await flush();
    expect(leafOfValue(stopping.worker.getSnapshot().value)).toBe('stopped');
    expect(stopping.worker.getSnapshot().context.reason).toBe(
      'stop failed: stopProcess not provided: use workerMachine.provide()',
    );
    for (const { worker } of [starting, restarting, stopping]) worker.stop();
  });

  it('worker: a ping without its effect counts as a failed ping', async () => {
    const worker = createActor(workerMachine, { input: { name: 'w', scriptType: 'python' } });
    worker.start();
    worker.send({ type: 'ADOPT', pid: 7, at: 0 });
    worker.send({ type: 'PING', at: 0 });
    await flush();
    expect(leafOfValue(worker.getSnapshot().value)).toBe('idle');
    expect(worker.getSnapshot().context.consecutivePingFailures).toBe(1);
    worker.stop();
  });

  it('scaler: reporting a decision without reportScaled fails the actor, naming it', () => {
    const scaler = createActor(scalerMachine, { input: { scriptType: 'python' } });
    const errors = errorsOf(scaler);
    scaler.start();
    expect(String(errors[0])).toContain(
      'reportScaled not provided: use scalerMachine.provide({ actions: { reportScaled } }).',
    );
  });

  it('supervisor: a phase without reportPhase, or dependencies without their effect, fail naming what to provide', async () => {
    const reportless = createActor(supervisorMachine, { input: { scalers: [] } });
    const errors = errorsOf(reportless);
    reportless.start();
    reportless.send({ type: 'START', at: 0 });
    expect(String(errors[0])).toContain(
      'reportPhase not provided: use supervisorMachine.provide({ actions: { reportPhase } }).',
    );

    const phases: string[] = [];
    const effectless = createActor(
      supervisorMachine.provide({ actions: { reportPhase: (_, { phase }) => phases.push(phase) } }),
      { input: { scalers: [], dependencies: ['redis'] } },
    );
    effectless.start();
    effectless.send({ type: 'START', at: 0 });
    await flush();
    expect(effectless.getSnapshot().context.reason).toBe(
      'startDependencies not provided: use supervisorMachine.provide({ actors }).',
    );
    effectless.send({ type: 'SHUTDOWN', at: 0 });
    await flush();
    expect(effectless.getSnapshot().context.reason).toBe(
      'stopDependencies not provided: use supervisorMachine.provide({ actors }).',
    );
    expect(phases).toEqual(['startingDependencies', 'failed', 'shuttingDown', 'stopped']);
  });
});
