// What the supervisor hands its scalers, field by field (issue 13, mutation testing): the input each scaler is
// spawned with, every forwarded event with its `at`, the drain stamped with the SHUTDOWN's time, and the wait for
// every scaler's `scaler.drained` with three scalers, whatever order they report in. The oracle
// (test/machines/oracle/supervisor.oracle.ts) checks only the event types sent to two scalers.
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromCallback, fromPromise } from 'xstate';
import type { ScalerInput } from '../../machines/scaler.machine.js';
import {
  type DependenciesInput,
  type SupervisorEvent,
  type SupervisorInput,
  supervisorMachine,
} from '../../machines/supervisor.machine.js';
import { leafOfValue } from './oracle/flatten.js';
import { flush } from './worker-harness.js';

const types = ['python', 'rhai', 'lua'] as const;

/** A supervisor whose scalers record their input and every event they get; dependency effects resolve at once. */
function startSupervisor(input: SupervisorInput = { scalers: types.map((scriptType) => ({ scriptType })) }) {
  const inputs: Record<string, ScalerInput> = {};
  const received: { scaler: string; event: unknown }[] = [];
  const dependencyCalls: { name: string; names: readonly string[] }[] = [];
  const scaler = fromCallback<{ type: string }, ScalerInput>(({ input: scalerInput, receive }) => {
    inputs[scalerInput.scriptType] = scalerInput;
    receive((event) => received.push({ scaler: scalerInput.scriptType, event }));
  });
  const dependencies = (name: string) =>
    fromPromise<void, DependenciesInput>(async ({ input: { names } }) => {
      dependencyCalls.push({ name, names });
    });
  const machine = supervisorMachine.provide({
    actors: {
      // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the scaler machine
      scaler: scaler as any,
      startDependencies: dependencies('startDependencies'),
      stopDependencies: dependencies('stopDependencies'),
    },
    actions: { reportPhase: () => {} },
  });
  const actor = createActor(machine, { input });
  actor.start();
  const send = async (event: SupervisorEvent) => {
    actor.send(event);
    await flush();
  };
  const leaf = () => leafOfValue(actor.getSnapshot().value);
  const scalers = () =>
    Object.keys(actor.getSnapshot().children as Record<string, AnyActorRef>)
      .filter((id) => id.startsWith('scaler_'))
      .sort();
  return { actor, send, leaf, scalers, inputs, received, dependencyCalls };
}

describe('supervisor: what it hands its scalers', () => {
  it('spawns each scaler with its own input, the START time and a request to report when drained', async () => {
    const supervisor = startSupervisor({
      scalers: [
        { scriptType: 'python', min: 1, max: 4, workerIds: ['api'] },
        { scriptType: 'rhai', initial: 2 },
      ],
    });
    try {
      await supervisor.send({ type: 'START', at: 1_234 });
      expect(supervisor.leaf()).toBe('running');
      expect(supervisor.inputs).toEqual({
        python: {
          scriptType: 'python',
          min: 1,
          max: 4,
          workerIds: ['api'],
          startedAt: 1_234,
          notifyParentWhenDrained: true,
        },
        rhai: { scriptType: 'rhai', initial: 2, startedAt: 1_234, notifyParentWhenDrained: true },
      });
      expect(supervisor.actor.getSnapshot().context.startedAt).toBe(1_234);
    } finally {
      supervisor.actor.stop();
    }
  });

  it('forwards each scaling request to the scaler of its type with every field, its `at` included', async () => {
    const supervisor = startSupervisor();
    try {
      await supervisor.send({ type: 'START', at: 1_000 });
      await supervisor.send({ type: 'scale.to', scriptType: 'rhai', count: 3, reason: 'manual', at: 2_001 });
      await supervisor.send({ type: 'queue.depthObserved', scriptType: 'lua', depth: 7, active: 2, at: 2_002 });
      await supervisor.send({ type: 'queue.depthObserved', scriptType: 'python', depth: 4, at: 2_003 });
      await supervisor.send({ type: 'worker.add', scriptType: 'python', workerId: 'api', at: 2_004 });
      await supervisor.send({ type: 'scale.to', scriptType: 'go', count: 3, reason: 'manual', at: 2_005 });
      expect(supervisor.received).toEqual([
        { scaler: 'rhai', event: { type: 'scale.to', count: 3, reason: 'manual', at: 2_001 } },
        { scaler: 'lua', event: { type: 'queue.depthObserved', depth: 7, active: 2, at: 2_002 } },
        // No `active` key at all when the observation has none (the scaler defaults it to 0).
        { scaler: 'python', event: { type: 'queue.depthObserved', depth: 4, at: 2_003 } },
        { scaler: 'python', event: { type: 'worker.add', workerId: 'api', at: 2_004 } },
      ]);
      expect(Object.keys(supervisor.received[2]?.event as object)).not.toContain('active');
    } finally {
      supervisor.actor.stop();
    }
  });

  it('stamps the drain it sends every scaler with the time of the SHUTDOWN', async () => {
    const supervisor = startSupervisor();
    try {
      await supervisor.send({ type: 'START', at: 1_000 });
      await supervisor.send({ type: 'SHUTDOWN', at: 5_000 });
      expect(supervisor.actor.getSnapshot().context.shutdownAt).toBe(5_000);
      expect(supervisor.received).toEqual(
        types.map((scaler) => ({ scaler, event: { type: 'scaler.drain', at: 5_000 } })),
      );
    } finally {
      supervisor.actor.stop();
    }
  });

  it('keeps the time of the latest START when it retries after a failed dependency', async () => {
    let attempts = 0;
    const machine = supervisorMachine.provide({
      actors: {
        scaler: fromCallback(() => {}) as never,
        startDependencies: fromPromise<void, DependenciesInput>(async () => {
          attempts += 1;
          if (attempts === 1) throw new Error('redis exited with code 1');
        }),
        stopDependencies: fromPromise<void, DependenciesInput>(async () => {}),
      },
      actions: { reportPhase: () => {} },
    });
    const actor = createActor(machine, { input: { scalers: [{ scriptType: 'python' }] } });
    actor.start();
    try {
      actor.send({ type: 'START', at: 1_000 });
      await flush();
      expect(leafOfValue(actor.getSnapshot().value)).toBe('failed');
      expect(actor.getSnapshot().context.startedAt).toBe(1_000);
      actor.send({ type: 'START', at: 3_000 });
      await flush();
      expect(leafOfValue(actor.getSnapshot().value)).toBe('running');
      expect(actor.getSnapshot().context.startedAt).toBe(3_000);
    } finally {
      actor.stop();
    }
  });
});

describe('supervisor: its own record of the times and the phases', () => {
  it('starts with nothing spawned, nothing draining, no dependency, and asks for no dependency then', async () => {
    const supervisor = startSupervisor();
    try {
      expect(supervisor.actor.getSnapshot().context).toEqual({
        scalers: types.map((scriptType) => ({ scriptType })),
        dependencies: [],
        draining: [],
        spawned: [],
        reason: null,
        startedAt: 0,
        shutdownAt: null,
      });
      await supervisor.send({ type: 'START', at: 1_000 });
      expect(supervisor.dependencyCalls).toEqual([{ name: 'startDependencies', names: [] }]);
      expect(supervisor.actor.getSnapshot().context.spawned).toEqual([...types]);
    } finally {
      supervisor.actor.stop();
    }
  });

  it('records the time of a SHUTDOWN from every state it can come in, and ends done', async () => {
    const idle = startSupervisor();
    await idle.send({ type: 'SHUTDOWN', at: 111 });
    expect(idle.leaf()).toBe('stopped');
    expect(idle.actor.getSnapshot().context.shutdownAt).toBe(111);
    expect(idle.actor.getSnapshot().status).toBe('done');

    // Shut down while the dependencies are still starting: no scaler to drain.
    const starting = startSupervisor();
    starting.actor.send({ type: 'START', at: 100 });
    await starting.send({ type: 'SHUTDOWN', at: 222 });
    expect(starting.actor.getSnapshot().context.shutdownAt).toBe(222);
    expect(starting.received).toEqual([]);
    expect(starting.actor.getSnapshot().status).toBe('done');

    const running = startSupervisor();
    await running.send({ type: 'START', at: 100 });
    await running.send({ type: 'SHUTDOWN', at: 333 });
    expect(running.actor.getSnapshot().context.shutdownAt).toBe(333);
    expect(running.actor.getSnapshot().status).toBe('active');
    for (const scriptType of types) await running.send({ type: 'scaler.drained', scriptType });
    expect(running.actor.getSnapshot().status).toBe('done');
  });

  it('records the time of a SHUTDOWN after a failed start', async () => {
    const machine = supervisorMachine.provide({
      actors: {
        scaler: fromCallback(() => {}) as never,
        startDependencies: fromPromise<void, DependenciesInput>(async () => {
          throw new Error('redis exited with code 1');
        }),
        stopDependencies: fromPromise<void, DependenciesInput>(async () => {}),
      },
      actions: { reportPhase: () => {} },
    });
    const actor = createActor(machine, { input: { scalers: [{ scriptType: 'python' }] } });
    actor.start();
    try {
      actor.send({ type: 'START', at: 1_000 });
      await flush();
      expect(actor.getSnapshot().context.reason).toBe('redis exited with code 1');
      actor.send({ type: 'SHUTDOWN', at: 4_000 });
      await flush();
      expect(actor.getSnapshot().context.shutdownAt).toBe(4_000);
      expect(leafOfValue(actor.getSnapshot().value)).toBe('stopped');
    } finally {
      actor.stop();
    }
  });
});

describe('supervisor: waiting for every scaler to drain', () => {
  const orders = [
    ['python', 'rhai', 'lua'],
    ['lua', 'rhai', 'python'],
    ['rhai', 'lua', 'python'],
  ] as const;

  it.each(orders.map((order) => [order.join(', '), order] as const))(
    'with three scalers draining in the order %s, stops the dependencies only after the last',
    async (_, order) => {
      const supervisor = startSupervisor({
        scalers: types.map((scriptType) => ({ scriptType })),
        dependencies: ['redis'],
      });
      try {
        await supervisor.send({ type: 'START', at: 1_000 });
        await supervisor.send({ type: 'SHUTDOWN', at: 2_000 });
        expect(supervisor.actor.getSnapshot().context.draining).toEqual([...types]);
        const [first, second, last] = order;
        await supervisor.send({ type: 'scaler.drained', scriptType: first });
        expect(supervisor.actor.getSnapshot().context.draining).toEqual(types.filter((t) => t !== first));
        // The same scaler reporting again changes nothing.
        await supervisor.send({ type: 'scaler.drained', scriptType: first });
        await supervisor.send({ type: 'scaler.drained', scriptType: second });
        expect(supervisor.actor.getSnapshot().context.draining).toEqual([last]);
        expect(supervisor.leaf()).toBe('stoppingWorkers');
        expect(supervisor.dependencyCalls.map((call) => call.name)).toEqual(['startDependencies']);
        await supervisor.send({ type: 'scaler.drained', scriptType: last });
        expect(supervisor.actor.getSnapshot().context.draining).toEqual([]);
        expect(supervisor.dependencyCalls).toEqual([
          { name: 'startDependencies', names: ['redis'] },
          { name: 'stopDependencies', names: ['redis'] },
        ]);
        expect(supervisor.leaf()).toBe('stopped');
      } finally {
        supervisor.actor.stop();
      }
    },
  );

  it('ignores a drained report from a script type it has no scaler for', async () => {
    const supervisor = startSupervisor();
    try {
      await supervisor.send({ type: 'START', at: 1_000 });
      await supervisor.send({ type: 'SHUTDOWN', at: 2_000 });
      await supervisor.send({ type: 'scaler.drained', scriptType: 'go' });
      expect(supervisor.actor.getSnapshot().context.draining).toEqual([...types]);
      expect(supervisor.leaf()).toBe('stoppingWorkers');
    } finally {
      supervisor.actor.stop();
    }
  });
});
