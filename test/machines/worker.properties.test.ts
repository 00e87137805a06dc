// Invariants of the worker statechart (issue 2), checked with fast-check over random interleavings of
// commands, process events, job activity, actor outcomes and clock advances, all on a SimulatedClock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultWorkerSettings } from '../../machines/worker.defaults.js';
import type { PingOutcome, WorkerEvent } from '../../machines/worker.events.js';
import { workerStateOf } from '../../machines/worker.machine.js';
import { bringUp, createWorkerHarness, type WorkerActorName, type WorkerHarness } from './worker-harness.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Step =
  | { kind: 'send'; event: DistributiveOmit<WorkerEvent, 'at'> }
  | { kind: 'resolve'; actor: WorkerActorName; output?: PingOutcome }
  | { kind: 'reject'; actor: WorkerActorName }
  | { kind: 'advance'; ms: number };

// Short idle and ping timings so that most clock advances make a running worker idle and ping it.
const settings = { maxRestarts: 3, pingFailureThreshold: 2, idleTimeoutMs: 30_000, pingIntervalMs: 30_000 };
const pid = fc.integer({ min: 1, max: 5 });

const send = (event: DistributiveOmit<WorkerEvent, 'at'>): Step => ({ kind: 'send', event });

/** Weighted toward what moves a worker through its lifecycle, so runs reach idle, pings, crashes and stops. */
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(send({ type: 'START' })) },
  { weight: 2, arbitrary: fc.constant(send({ type: 'STOP' })) },
  { weight: 1, arbitrary: fc.constant(send({ type: 'RESTART' })) },
  { weight: 1, arbitrary: pid.map((p) => send({ type: 'ADOPT', pid: p })) },
  { weight: 1, arbitrary: pid.map((p) => send({ type: 'process.spawned', pid: p })) },
  { weight: 4, arbitrary: pid.map((p) => send({ type: 'process.running', pid: p })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.option(pid, { nil: null }), fc.constantFrom(0, 1, null))
      .map(([p, code]) => send({ type: 'process.exited', pid: p, code, signal: code === null ? 'SIGKILL' : null })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      send({ type: 'process.stopped' }),
      send({ type: 'process.spawnFailed', reason: 'ENOENT' }),
      send({ type: 'process.healthFailed', reason: 'check failed' }),
      send({ type: 'process.blocked', waitingFor: ['redis'] }),
    ),
  },
  { weight: 1, arbitrary: fc.constant(send({ type: 'job.activity', jobId: 'job' })) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<WorkerActorName>('startProcess', 'stopProcess', 'restartProcess')
      .map((actor): Step => ({ kind: 'resolve', actor })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<WorkerActorName>('startProcess', 'stopProcess', 'restartProcess', 'pingWorker')
      .map((actor): Step => ({ kind: 'reject', actor })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<PingOutcome>(
        {
          type: 'ok',
          latencyMs: 1,
          reply: { workerId: 'w', pid: 1, uptimeMs: 1, jobsProcessed: 0, activeJobs: 0, version: '0' },
        },
        { type: 'timeout', timeoutMs: 5000 },
        { type: 'failed', reason: 'no reply' },
        { type: 'transport-down', reason: 'ECONNREFUSED' },
      )
      .map((output): Step => ({ kind: 'resolve', actor: 'pingWorker', output })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        1,
        defaultWorkerSettings.backoffMaxMs,
        defaultWorkerSettings.startTimeoutMs,
        defaultWorkerSettings.idleTimeoutMs,
        defaultWorkerSettings.restartWindowMs,
        defaultWorkerSettings.giveUpCooldownMs,
      )
      .map((ms): Step => ({ kind: 'advance', ms })),
  },
);

/** A run: optionally from a running worker, then up to 50 random steps. */
const runArb = fc.record({ fromUp: fc.boolean(), steps: fc.array(stepArb, { minLength: 10, maxLength: 50 }) });

/** Apply one step; settling an actor that is not in flight is a no-op (the machine did not ask for it). */
async function apply(harness: WorkerHarness, step: Step): Promise<void> {
  switch (step.kind) {
    case 'send':
      return harness.send(step.event);
    case 'resolve':
      if (harness.pending(step.actor).length === 1) await harness.resolve(step.actor, step.output);
      return;
    case 'reject':
      if (harness.pending(step.actor).length === 1) await harness.reject(step.actor);
      return;
    case 'advance':
      return harness.advance(step.ms);
    default:
      step satisfies never;
  }
}

const runs = { numRuns: 150 };

/**
 * How often a property is exercised (runs that reach a STOP while up, a ping, a give-up) is a fact of the generator,
 * not of the machine: it is counted on this fixed seed, so the count cannot fail by chance, while the property itself
 * runs on the test run's seed (test/fc-seed.ts) and keeps exploring.
 */
const EXERCISE_SEED = 20_241_204;

/** Runs `property` on the run's seed, then on EXERCISE_SEED; returns `count()` as counted on the fixed seed only. */
async function assertAndCountOnFixedSeed<T extends [unknown, ...unknown[]]>(
  property: fc.IAsyncPropertyWithHooks<T>,
  reset: () => void,
  count: () => number,
): Promise<number> {
  await fc.assert(property, runs);
  reset();
  await fc.assert(property, { ...runs, seed: EXERCISE_SEED });
  return count();
}

/** Runs the steps, calling `check` after each; always stops the actor. */
async function run(
  { fromUp, steps }: { fromUp: boolean; steps: Step[] },
  check: (harness: WorkerHarness, step: Step) => void,
): Promise<WorkerHarness> {
  const harness = createWorkerHarness({ settings });
  try {
    if (fromUp) await bringUp(harness);
    for (const step of steps) {
      await apply(harness, step);
      check(harness, step);
    }
    return harness;
  } finally {
    harness.stop();
  }
}

describe('workerMachine invariants', () => {
  it('never has two starts or restarts in flight', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (steps) => {
        await run(steps, (harness) => {
          const inFlight = harness
            .pending()
            .filter((call) => call.actor === 'startProcess' || call.actor === 'restartProcess');
          expect(inFlight.length).toBeLessThanOrEqual(1);
        });
      }),
      runs,
    );
  });

  it('restarts nothing after a STOP until it is started again', async () => {
    let stopsWhileUp = 0;
    const property = fc.asyncProperty(runArb, async (steps) => {
      let stopRequested = false;
      let startsBeforeStop = 0;
      let stateBefore = steps.fromUp ? 'running' : 'stopped';
      await run(steps, (harness, step) => {
        const starts = harness.calls.filter((call) => call.actor === 'startProcess' || call.actor === 'restartProcess');
        if (step.kind === 'send' && step.event.type === 'STOP') {
          if (stateBefore !== 'stopped' && stateBefore !== 'stopping') stopsWhileUp++;
          stopRequested = true;
          startsBeforeStop = starts.length;
        }
        // Only START, RESTART or ADOPT accepted in `stopped` bring the worker back.
        const revived =
          step.kind === 'send' && ['START', 'RESTART', 'ADOPT'].includes(step.event.type) && stateBefore === 'stopped';
        if (revived) stopRequested = false;
        if (stopRequested) {
          expect(starts.length).toBe(startsBeforeStop);
          expect(['stopping', 'stopped']).toContain(workerStateOf(harness.actor.getSnapshot()));
        }
        stateBefore = workerStateOf(harness.actor.getSnapshot());
      });
    });
    const exercised = await assertAndCountOnFixedSeed(
      property,
      () => {
        stopsWhileUp = 0;
      },
      () => stopsWhileUp,
    );
    expect(exercised).toBeGreaterThan(30);
  });

  it('never pings while stopped or stopping', async () => {
    let runsThatPinged = 0;
    const property = fc.asyncProperty(runArb, async (steps) => {
      const harness = await run(steps, (harness) => {
        const state = workerStateOf(harness.actor.getSnapshot());
        if (state === 'stopped' || state === 'stopping') {
          expect(harness.pending('pingWorker')).toEqual([]);
        }
      });
      if (harness.calls.some((call) => call.actor === 'pingWorker')) runsThatPinged++;
    });
    const exercised = await assertAndCountOnFixedSeed(
      property,
      () => {
        runsThatPinged = 0;
      },
      () => runsThatPinged,
    );
    expect(exercised).toBeGreaterThan(10);
  });

  it('always recovers from giving up: by giveUpCooldown, or at once on RESTART', async () => {
    let gaveUp = 0;
    const property = fc.asyncProperty(
      // Crash-heavy runs reach the restart-intensity limit often.
      fc.array(
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc.constant<Step>({
              kind: 'send',
              event: { type: 'process.exited', pid: null, code: 1, signal: null },
            }),
          },
          { weight: 3, arbitrary: fc.constant<Step>({ kind: 'resolve', actor: 'restartProcess' }) },
          {
            weight: 3,
            arbitrary: pid.map((p): Step => ({ kind: 'send', event: { type: 'process.running', pid: p } })),
          },
          { weight: 1, arbitrary: stepArb },
        ),
        { minLength: 20, maxLength: 60 },
      ),
      fc.boolean(),
      async (steps, byRestart) => {
        const harness = createWorkerHarness({ settings });
        try {
          await harness.send({ type: 'START' });
          const hasGivenUp = () => harness.actor.getSnapshot().matches({ failed: 'gaveUp' });
          for (const step of steps) {
            if (hasGivenUp()) break;
            await apply(harness, step);
          }
          if (!hasGivenUp()) return;
          gaveUp++;
          expect(harness.context().reason).toBe('restart-intensity');

          if (byRestart) await harness.send({ type: 'RESTART' });
          else await harness.advance(defaultWorkerSettings.giveUpCooldownMs);

          expect(workerStateOf(harness.actor.getSnapshot())).toBe('restarting');
          expect(harness.pending().map((call) => call.actor)).toEqual(['restartProcess']);
        } finally {
          harness.stop();
        }
      },
    );
    // The property must actually have been exercised.
    const exercised = await assertAndCountOnFixedSeed(
      property,
      () => {
        gaveUp = 0;
      },
      () => gaveUp,
    );
    expect(exercised).toBeGreaterThan(10);
  });
});
