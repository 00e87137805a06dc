// Every effect the worker machine names is supplied by createWorkerEffects (STYLE.md §4, issue 5): a new actor or
// effect action in machines/worker.machine.ts without an implementation in src/lifecycle fails here, not at run time.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { createDependencyActors } from '../../src/lifecycle/dependency-services.js';
import { createWorkerEffects } from '../../src/lifecycle/worker-effects.js';
import type { ProcessManager } from '../../src/process/process-manager.js';

/** Effect actions are the plain functions of setup(); built-ins (assign, sendTo, enqueueActions...) carry a type. */
function effectActionNames(implementations: Record<string, unknown>): string[] {
  return Object.entries(implementations)
    .filter(([, action]) => typeof (action as { type?: unknown }).type !== 'string')
    .map(([name]) => name)
    .sort();
}

const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) }) as ProcessManager;

describe('createWorkerEffects', () => {
  const effects = createWorkerEffects({
    processes: unused,
    pings: { ping: () => Promise.reject(new Error('not used in this test')) },
    clock: { now: () => 0 },
    logger: pino({ level: 'silent' }),
    launchFor: () => {
      throw new Error('not used in this test');
    },
    isRedisReachable: async () => true,
    onStateChange: () => undefined,
  });

  it('supplies every actor the worker machine invokes', () => {
    expect(Object.keys(effects.actors).sort()).toEqual(Object.keys(workerMachine.implementations.actors).sort());
  });

  it('supplies every effect action the worker machine names', () => {
    const named = effectActionNames(workerMachine.implementations.actions);
    expect(named.length).toBeGreaterThan(0);
    expect(Object.keys(effects.actions).sort()).toEqual(named);
  });
});

describe('createDependencyActors', () => {
  it('supplies every dependency actor the supervisor machine invokes', () => {
    const actors = createDependencyActors({
      processes: () => unused,
      services: new Map(),
      adopted: new Set(),
      startTimeoutMs: 1,
      logger: pino({ level: 'silent' }),
      afterStart: async () => {},
      onStartError: () => {},
      onStopError: () => {},
    });
    const invoked = Object.keys(supervisorMachine.implementations.actors).filter((name) => name !== 'scaler');

    expect(Object.keys(actors).sort()).toEqual(invoked.sort());
  });
});
