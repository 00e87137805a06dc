// The worker machine against its hand-written oracle (issue 13): the transitions pinned (a deleted, added or
// retargeted transition fails), then every (state, event, guard outcome) of the oracle replayed on a real actor on a
// SimulatedClock, checking the leaf reached, the facts changed (and only those), the effect in flight and the report.
import { afterAll, describe, expect, it } from 'vitest';
import { workerMachine } from '../../../machines/worker.machine.js';
import { bringUp, createWorkerHarness, type WorkerHarness } from '../worker-harness.js';
import {
  canonicalOrder,
  createOracleCoverageTracker,
  flatKey,
  flattenMachine,
  leafOfValue,
  parseFlatKey,
} from './flatten.js';
import {
  givenFacts,
  type OracleGiven,
  type OracleStep,
  oracleSettings,
  reportedStateOf,
  type WorkerCase,
  type WorkerFacts,
  workerCases,
  workerInvokes,
  workerTransitions,
} from './worker.oracle.js';

const oracle = canonicalOrder(workerTransitions.map(parseFlatKey));

describe('workerMachine transitions', () => {
  it('are exactly the ones the oracle lists, in the order the oracle tries them', () => {
    expect(flattenMachine(workerMachine).map(flatKey)).toEqual(oracle.map(flatKey));
  });
});

function leafOf(harness: WorkerHarness): string {
  return leafOfValue(harness.actor.getSnapshot().value);
}

function factsOf(harness: WorkerHarness): WorkerFacts {
  const context = harness.context();
  return {
    pid: context.pid,
    restartCount: context.restartCount,
    consecutivePingFailures: context.consecutivePingFailures,
    reason: context.reason,
    restartsInWindow: context.restartHistory.length,
    backoffAttempt: context.backoffAttempt,
    lastJobAt: context.lastJobAt,
  };
}

async function run(harness: WorkerHarness, step: OracleStep): Promise<void> {
  if ('send' in step) return harness.send(step.send);
  if ('reject' in step) return harness.reject(step.reject, new Error(step.message));
  if ('after' in step) {
    const { settings, restartDelayMs } = harness.context();
    const delays = {
      idleTimeout: settings.idleTimeoutMs,
      pingInterval: settings.pingIntervalMs,
      startTimeout: settings.startTimeoutMs,
      restartBackoff: restartDelayMs,
      giveUpCooldown: settings.giveUpCooldownMs,
    };
    return harness.advance(delays[step.after]);
  }
  if (step.resolve === 'pingWorker') return harness.resolve('pingWorker', step.output);
  if (step.resolve === 'readClock') return harness.resolve('readClock', harness.clock.now() + (step.laterMs ?? 0));
  return harness.resolve(step.resolve);
}

const exited = (pid: number) => ({ send: { type: 'process.exited', pid, code: 1, signal: null } }) as const;

/** Drives a fresh worker to a given of the oracle, with events only (no context is written by hand). */
async function reach(harness: WorkerHarness, given: OracleGiven): Promise<void> {
  const steps: Record<OracleGiven, () => Promise<void>> = {
    fresh: async () => {},
    starting: () => harness.send({ type: 'START' }),
    up: () => bringUp(harness, 10),
    idle: async () => {
      await reach(harness, 'pinging');
      await harness.resolve('pingWorker', { type: 'transport-down', reason: 'not yet' });
    },
    pinging: async () => {
      await bringUp(harness, 10);
      await run(harness, { after: 'idleTimeout' });
    },
    'pinging, one failure': async () => {
      await reach(harness, 'pinging');
      await harness.resolve('pingWorker', { type: 'timeout', timeoutMs: 5000 });
      await run(harness, { after: 'pingInterval' });
    },
    '1st failure': async () => {
      await bringUp(harness, 10);
      await run(harness, exited(10));
    },
    '2nd failure': async () => {
      await reach(harness, '1st failure');
      await run(harness, { resolve: 'readClock' });
      await harness.resolve('restartProcess');
      await harness.send({ type: 'process.running', pid: 11 });
      await run(harness, exited(11));
    },
    'backing off': async () => {
      await reach(harness, '2nd failure');
      await run(harness, { resolve: 'readClock' });
    },
    '3rd failure': async () => {
      await reach(harness, 'backing off');
      await run(harness, { after: 'restartBackoff' });
      await harness.resolve('restartProcess');
      await harness.send({ type: 'process.running', pid: 12 });
      await run(harness, exited(12));
    },
    'gave up': async () => {
      await reach(harness, '3rd failure');
      await run(harness, { resolve: 'readClock' });
    },
    restarting: async () => {
      await bringUp(harness, 10);
      await harness.send({ type: 'RESTART' });
    },
    'restarting, replacement spawned': async () => {
      await reach(harness, 'restarting');
      await harness.send({ type: 'process.spawned', pid: 11 });
    },
    stopping: async () => {
      await bringUp(harness, 10);
      await harness.send({ type: 'STOP' });
    },
    'stopped after a failed stop': async () => {
      await reach(harness, 'restarting');
      await harness.resolve('restartProcess');
      await harness.send({ type: 'process.running', pid: 11 });
      await harness.send({ type: 'STOP' });
      await harness.reject('stopProcess', new Error('EPERM'));
    },
  };
  await steps[given]();
}

function describeStep(step: OracleStep): string {
  if ('send' in step) return JSON.stringify(step.send);
  if ('reject' in step) return `${step.reject} rejects`;
  if ('after' in step) return `after ${step.after}`;
  if (step.resolve === 'pingWorker') return `ping ${step.output.type}`;
  if (step.resolve === 'readClock') return `readClock${step.laterMs ? ` +${step.laterMs} ms` : ''}`;
  return `${step.resolve} resolves`;
}

describe('workerMachine against the oracle', () => {
  const coverage = createOracleCoverageTracker(oracle);

  afterAll(() => {
    const report = coverage.report();
    console.log(`worker oracle coverage (cases): transitions ${report.reached}/${report.total}`);
    expect(report.unexpected, 'transitions the machine took that the oracle does not list').toEqual([]);
    expect(report.missing, 'oracle transitions no case took').toEqual([]);
  });

  it.each(
    workerCases.map((c) => [`${c.from} (${c.given}) on ${describeStep(c.step)}${c.when ? `, ${c.when}` : ''}`, c]),
  )('%s', async (_, c: WorkerCase) => {
    const harness = createWorkerHarness({ settings: oracleSettings, autoClock: false, inspect: coverage.inspect });
    try {
      await reach(harness, c.given);
      expect(leafOf(harness), 'the given leaves the worker in').toBe(c.from);
      const before = factsOf(harness);
      expect(before).toEqual(givenFacts[c.given]);

      await run(harness, c.step);

      expect(leafOf(harness)).toBe(c.to);
      const { lastJobAt, ...changes } = c.changes ?? {};
      expect(factsOf(harness)).toEqual({
        ...before,
        ...changes,
        ...(lastJobAt === 'now' ? { lastJobAt: harness.clock.now() } : {}),
      });
      expect(harness.pending().map((call) => call.actor)).toEqual(workerInvokes[c.to] ?? []);
      // Each effect is asked for this worker (a ping with its timeout and since when the process is up).
      for (const call of harness.pending()) {
        const { settings, startedAt } = harness.context();
        if (call.actor === 'readClock') expect(call.input).toBeUndefined();
        else if (call.actor === 'pingWorker')
          expect(call.input).toEqual({
            name: 'python_worker_1',
            timeoutMs: settings.pingTimeoutMs,
            upSince: startedAt,
          });
        else expect(call.input).toEqual({ name: 'python_worker_1' });
      }
      expect(harness.reports.at(-1)?.state).toBe(reportedStateOf(c.to));
      expect(harness.reports.at(-1)?.gaveUp ?? false).toBe(c.to === 'gaveUp');
      // The log says the same as the report.
      expect(harness.logged.at(-1)).toEqual(
        c.to === 'gaveUp' ? { state: 'failed', gaveUp: true } : { state: reportedStateOf(c.to) },
      );
    } finally {
      harness.stop();
    }
  });
});
