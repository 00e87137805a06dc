// Every effect the worker machine names is supplied by createWorkerEffects (STYLE.md §4, issue 5): a new actor or
// effect action in machines/worker.machine.ts without an implementation in src/lifecycle fails here, not at run time.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import type { PingOutcome } from '../../machines/worker.events.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { createDependencyActors } from '../../src/lifecycle/dependency-services.js';
import {
  createWorkerEffects,
  WORKER_STARTUP_ALLOWANCE_MS,
  type WorkerPingReport,
} from '../../src/lifecycle/worker-effects.js';
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
    pings: { pingWorker: () => Promise.reject(new Error('not used in this test')) },
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

describe('createWorkerEffects pingWorker (Finding F6 in test/faults/README.md)', () => {
  const timeout: PingOutcome = { type: 'timeout', timeoutMs: 300 };
  const ok: PingOutcome = {
    type: 'ok',
    latencyMs: 2,
    reply: { workerId: 'w', pid: 1, uptimeMs: 1, jobsProcessed: 0, activeJobs: 0, version: '0.1.0' },
  };

  /** Effects whose pings answer from `answers`, on a clock the test moves. */
  function pingEffects({ settling = false }: { settling?: boolean } = {}) {
    const clock = { time: 100_000, now: () => clock.time };
    const answers: PingOutcome[] = [];
    const pinged: WorkerPingReport[] = [];
    const effects = createWorkerEffects({
      processes: unused,
      pings: {
        pingWorker: async () => {
          clock.time += 300;
          return answers.shift() ?? timeout;
        },
      },
      clock,
      logger: pino({ level: 'silent' }),
      launchFor: () => {
        throw new Error('not used in this test');
      },
      isRedisReachable: async () => true,
      redisRestoredAt: () => (settling ? clock.time : undefined),
      onPinged: (report) => pinged.push(report),
      onStateChange: () => undefined,
    });
    const ping = (upSince: number | null) =>
      toPromise(createActor(effects.actors.pingWorker, { input: { name: 'w', timeoutMs: 300, upSince } }).start());
    return { clock, answers, pinged, ping };
  }

  it('does not count a failed ping of a fresh worker that has not answered yet', async () => {
    const { clock, ping } = pingEffects();

    const outcome = await ping(clock.time - 1_000);

    expect(outcome.type).toBe('transport-down');
  });

  it('counts failures once the worker answered its first ping', async () => {
    const { clock, answers, ping } = pingEffects();
    const upSince = clock.time - 1_000;
    answers.push(ok);
    await ping(upSince);

    const outcome = await ping(upSince);

    expect(outcome).toEqual(timeout);
  });

  it('counts failures of a worker that never answered once its startup grace passed', async () => {
    const { clock, ping } = pingEffects();

    const outcome = await ping(clock.time - (300 + WORKER_STARTUP_ALLOWANCE_MS));

    expect(outcome).toEqual(timeout);
  });

  it('does not count a failed ping while Redis has just reconnected', async () => {
    const { clock, ping } = pingEffects({ settling: true });

    const outcome = await ping(clock.time - 3_600_000);

    expect(outcome.type).toBe('transport-down');
  });

  it('reports every ping with the outcome the machine acts on and its latency', async () => {
    const { clock, answers, pinged, ping } = pingEffects();
    answers.push(ok);
    await ping(clock.time - 3_600_000);
    await ping(clock.time - 3_600_000);

    expect(pinged.map(({ outcome, latencyMs }) => [outcome.type, latencyMs])).toEqual([
      ['ok', 2],
      ['timeout', 300],
    ]);
  });
});
