/**
 * Figure `autoscale`: a burst of jobs on an empty pool (min 0, autoscale on) → the time until the first new worker
 * completes a job, and until the pool reaches its target (every target worker's actor running and answering a
 * ping); beside spawning the same number of `hero-worker` processes directly at the moment of the burst.
 *
 * Each round uses a fresh key prefix, so the pool really starts empty and the baseline's jobs never meet ours.
 * The supervisor reads queue depth every `autoscalePollIntervalMs` (default 1 s): on average half of it is
 * part of the figure, and it is left at its default because that is what users get.
 */
import { QueueEvents } from 'bullmq';
import { WORKER_NODE_FLAGS } from '../daemon/hero-worker-binary.js';
import { ScriptType } from '../jobs/script-type.js';
import type { Supervisor } from '../jobs/supervisor.js';
import { WorkerConfig } from '../lifecycle/worker-config.js';
import { WorkerLifecycleManagerBuilder } from '../lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../process/embedded/embedded-process-manager.js';
import { jobQueueName } from '../transport/queue-names.js';
import type { BenchContext, Figure } from './bench-context.js';
import { BENCH_SCRIPT_TYPE, benchLogger, heroWorkerArgs, openSupervisor, spawnHeroWorker } from './hero.js';
import { benchLine } from './output.js';
import { HERO_WORKER_BIN, killAndWait } from './processes.js';
import { summarize } from './stats.js';

/** A burst that has not been served within this is a failure of the figure. */
const BURST_TIMEOUT_MS = 30_000;
/** Jobs per worker the autoscaler aims at; the burst is target × this, so the pool's target is exact. */
const TARGET_JOBS_PER_WORKER = 5;
const SCRIPT = 'print(6*7)';
/** The variant that shows how much of the figure the queue-depth poll is (default 1 s). */
const FAST_POLL_INTERVAL_MS = 100;

interface Timeline {
  firstJobMs: number;
  targetMs: number;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${BURST_TIMEOUT_MS} ms`)), BURST_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves at the first `completed` event on the (fresh) job queue of `prefix`. */
async function firstCompletion(
  ctx: BenchContext,
  prefix: string,
): Promise<{ done: Promise<number>; close: () => Promise<void> }> {
  const events = new QueueEvents(jobQueueName(BENCH_SCRIPT_TYPE), {
    connection: { url: ctx.redisUrl, maxRetriesPerRequest: null },
    prefix,
    // A fresh prefix: reading from the start of the stream cannot see anything older than this round.
    lastEventId: '0-0',
  });
  await events.waitUntilReady();
  const done = new Promise<number>((resolve) => events.once('completed', () => resolve(performance.now())));
  return { done, close: () => events.close() };
}

async function burst(supervisor: Supervisor, jobs: number): Promise<void> {
  await Promise.all(
    Array.from({ length: jobs }, () =>
      supervisor.startJob(
        supervisor.newJob().scriptType(ScriptType.OSIS).scriptContent(SCRIPT).timeout(BURST_TIMEOUT_MS).build(),
      ),
    ),
  );
}

async function pingAll(supervisor: Supervisor, workerIds: readonly string[]): Promise<void> {
  await Promise.all(
    workerIds.map(async (workerId) => {
      const outcome = await supervisor.pingWorker(workerId, { timeoutMs: BURST_TIMEOUT_MS });
      if (outcome.type !== 'ok') throw new Error(`ping ${workerId}: ${outcome.type}`);
    }),
  );
}

async function autoscaledRound(
  ctx: BenchContext,
  prefix: string,
  target: number,
  pollIntervalMs?: number,
): Promise<Timeline> {
  const roundCtx = { ...ctx, prefix };
  const logger = benchLogger();
  const processes = new EmbeddedProcessManager({ logger });
  const template = new WorkerConfig(`${BENCH_SCRIPT_TYPE}_template`, process.execPath, BENCH_SCRIPT_TYPE).withArgs([
    ...WORKER_NODE_FLAGS,
    HERO_WORKER_BIN,
    ...heroWorkerArgs(roundCtx, { workerId: '{workerId}' }),
  ]);
  const manager = new WorkerLifecycleManagerBuilder(processes)
    .withRedis(ctx.redisUrl, { prefix })
    .withLogger(logger)
    .withStopTimeout(2_000)
    .withTimings(pollIntervalMs === undefined ? {} : { autoscalePollIntervalMs: pollIntervalMs })
    .withScriptType(BENCH_SCRIPT_TYPE, {
      template,
      min: 0,
      max: target,
      initial: 0,
      autoscale: { enabled: true, targetJobsPerWorker: TARGET_JOBS_PER_WORKER },
    })
    .build();
  const supervisor = openSupervisor(roundCtx);
  const completion = await firstCompletion(ctx, prefix);
  try {
    await manager.startAllWorkers();
    const running = new Set<string>();
    let reachedTarget: () => void = () => {};
    const targetReached = new Promise<void>((resolve) => {
      reachedTarget = resolve;
    });
    manager.on('worker:stateChanged', (event) => {
      if (event.to !== 'running') return;
      running.add(event.worker);
      if (running.size >= target) reachedTarget();
    });

    const started = performance.now();
    await burst(supervisor, target * TARGET_JOBS_PER_WORKER);
    const firstJobAt = await withTimeout(completion.done, 'first job on the autoscaled pool');
    await withTimeout(targetReached, `${target} autoscaled workers running`);
    await withTimeout(pingAll(supervisor, [...running]), 'autoscaled workers answering pings');
    const targetAt = performance.now();
    return { firstJobMs: firstJobAt - started, targetMs: targetAt - started };
  } finally {
    await completion.close();
    await supervisor.close();
    await manager.shutdown();
    await processes.close();
  }
}

async function directRound(ctx: BenchContext, prefix: string, target: number): Promise<Timeline> {
  const roundCtx = { ...ctx, prefix };
  const supervisor = openSupervisor(roundCtx);
  const completion = await firstCompletion(ctx, prefix);
  const workerIds = Array.from({ length: target }, (_, i) => `${BENCH_SCRIPT_TYPE}_direct_${i}`);
  const children: ReturnType<typeof spawnHeroWorker>[] = [];
  try {
    const started = performance.now();
    await burst(supervisor, target * TARGET_JOBS_PER_WORKER);
    for (const workerId of workerIds) children.push(spawnHeroWorker(roundCtx, { workerId }));
    const targetDone = withTimeout(pingAll(supervisor, workerIds), 'directly spawned workers answering pings').then(
      () => performance.now(),
    );
    const firstJobAt = await withTimeout(completion.done, 'first job on the directly spawned workers');
    const targetAt = await targetDone;
    return { firstJobMs: firstJobAt - started, targetMs: targetAt - started };
  } finally {
    await completion.close();
    await supervisor.close();
    await Promise.all(children.map((child) => killAndWait(child)));
  }
}

export const autoscaleFigure: Figure = {
  name: 'autoscale',
  description: 'burst of jobs on an empty autoscaled pool vs spawning the same workers directly',
  smokeInCi: true,
  async run(ctx) {
    const target = ctx.size(4, 1);
    const rounds = ctx.size(3, 1);
    const ours: Timeline[] = [];
    const fastPoll: Timeline[] = [];
    const direct: Timeline[] = [];
    for (let round = 0; round < rounds; round += 1) {
      direct.push(await directRound(ctx, `${ctx.prefix}-r${round}-direct`, target));
      ours.push(await autoscaledRound(ctx, `${ctx.prefix}-r${round}-auto`, target));
      fastPoll.push(await autoscaledRound(ctx, `${ctx.prefix}-r${round}-fast`, target, FAST_POLL_INTERVAL_MS));
      ctx.log(
        `round ${round + 1}/${rounds}: autoscaled first job ${ours.at(-1)?.firstJobMs.toFixed(0)} ms, ` +
          `target ${ours.at(-1)?.targetMs.toFixed(0)} ms; with ${FAST_POLL_INTERVAL_MS} ms polls ` +
          `${fastPoll.at(-1)?.firstJobMs.toFixed(0)} / ${fastPoll.at(-1)?.targetMs.toFixed(0)} ms; ` +
          `direct ${direct.at(-1)?.firstJobMs.toFixed(0)} / ${direct.at(-1)?.targetMs.toFixed(0)} ms`,
      );
    }
    const setup =
      `burst of ${target * TARGET_JOBS_PER_WORKER} jobs (interpreter cat), targetJobsPerWorker ${TARGET_JOBS_PER_WORKER}, ` +
      `target ${target} workers, min 0, default autoscalePollIntervalMs (1 s)`;
    const first = summarize(ours.map((t) => t.firstJobMs));
    const firstDirect = summarize(direct.map((t) => t.firstJobMs));
    ctx.emit(
      benchLine({
        name: 'autoscale.first-job',
        value: first.median,
        unit: 'ms',
        baseline: `spawning ${target} hero-worker processes directly at the burst`,
        baselineValue: firstDirect.median,
        runs: first.runs,
        notes: `burst → first job completed; ${setup}`,
      }),
    );
    const full = summarize(ours.map((t) => t.targetMs));
    const fullDirect = summarize(direct.map((t) => t.targetMs));
    ctx.emit(
      benchLine({
        name: 'autoscale.target',
        value: full.median,
        unit: 'ms',
        baseline: `spawning ${target} hero-worker processes directly at the burst`,
        baselineValue: fullDirect.median,
        runs: full.runs,
        notes: `burst → all ${target} workers running and answering a ping; ${setup}`,
      }),
    );
    const fast = summarize(fastPoll.map((t) => t.firstJobMs));
    const fastFull = summarize(fastPoll.map((t) => t.targetMs));
    ctx.emit(
      benchLine({
        name: 'autoscale.first-job.fast-poll',
        value: fast.median,
        unit: 'ms',
        baseline: `spawning ${target} hero-worker processes directly at the burst`,
        baselineValue: firstDirect.median,
        runs: fast.runs,
        notes:
          `as autoscale.first-job with autoscalePollIntervalMs ${FAST_POLL_INTERVAL_MS}: how much of the gap is the ` +
          `depth poll; target reached after ${fastFull.median.toFixed(0)} ms (direct ${fullDirect.median.toFixed(0)} ms)`,
      }),
    );
  },
};
