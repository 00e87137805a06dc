/**
 * Figure `dispatch`: job throughput with N workers, through the supervisor (`runJobAndAwaitResult` with C callers
 * in flight, and fire-and-forget `startJob`) vs a raw BullMQ producer and N raw BullMQ worker processes doing the
 * same work per job (spawn the interpreter, script on stdin, stdout is the result). Goal: ≥ 0.9× raw.
 *
 * The interpreter is `cat` (it echoes the script): one cheap spawn per job, so the job layer's own cost shows
 * instead of a Python start-up. Completions of fire-and-forget batches are counted through BullMQ `QueueEvents`
 * for both sides alike. Rounds alternate raw and supervisor so that drift hits both.
 */
import type { ChildProcess } from 'node:child_process';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { BenchContext, Figure } from './bench-context.js';
import { BENCH_INTERPRETER, openHeroJobDriver } from './hero.js';
import { benchLine } from './output.js';
import { killAndWait } from './processes.js';
import { openRawProducer, startRawWorker } from './raw-baseline.js';
import { summarize } from './stats.js';

/** No single job on loopback takes this long. */
const JOB_TIMEOUT_MS = 30_000;
/** Fire-and-forget submissions go out in batches this large (both sides), so the producer never idles on one add. */
const FIRE_BATCH = 50;
const SCRIPT = 'print(6*7)';

/** Runs `total` calls of `one` with `inFlight` callers; returns jobs per second. */
async function throughputAwait(total: number, inFlight: number, one: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next += 1;
        await one();
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/**
 * Submits `total` jobs without waiting for results, then waits until each of them completed. `fire` returns the
 * job id; only those ids count.
 */
async function throughputFire(
  ctx: BenchContext,
  queueName: string,
  total: number,
  fire: () => Promise<string | undefined>,
): Promise<number> {
  // QueueEvents reads from `$` by default: events between its start and its first XREAD would be lost. Start
  // from the stream's current last entry instead.
  const redis = new Redis(ctx.redisUrl);
  const [last] = await redis.xrevrange(`${ctx.prefix}:${queueName}:events`, '+', '-', 'COUNT', 1);
  await redis.quit();
  const events = new QueueEvents(queueName, {
    connection: { url: ctx.redisUrl, maxRetriesPerRequest: null },
    prefix: ctx.prefix,
    lastEventId: last?.[0] ?? '0-0',
  });
  const fired = new Set<string>();
  // A fast job can finish before `fire()` resolves with its id: remember every outcome, match them afterwards.
  const outcomes = new Map<string, 'completed' | 'failed'>();
  try {
    await events.waitUntilReady();
    let done: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      done = resolve;
    });
    let finished = 0;
    const settle = (jobId: string, outcome: 'completed' | 'failed') => {
      if (outcomes.has(jobId)) return;
      outcomes.set(jobId, outcome);
      if (fired.has(jobId)) finished += 1;
      if (finished >= total) done();
    };
    events.on('completed', ({ jobId }) => settle(jobId, 'completed'));
    events.on('failed', ({ jobId }) => settle(jobId, 'failed'));
    const started = performance.now();
    for (let sent = 0; sent < total; sent += FIRE_BATCH) {
      const ids = await Promise.all(Array.from({ length: Math.min(FIRE_BATCH, total - sent) }, () => fire()));
      for (const id of ids) {
        if (id === undefined || fired.has(id)) continue;
        fired.add(id);
        if (outcomes.has(id)) finished += 1;
      }
    }
    if (finished >= total) done();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), JOB_TIMEOUT_MS);
    });
    const outcome = await Promise.race([allDone, timedOut]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') {
      const queue = new Queue(queueName, { connection: { url: ctx.redisUrl }, prefix: ctx.prefix });
      const counts = await queue.getJobCounts();
      const missing = await Promise.all(
        [...fired]
          .filter((id) => !outcomes.has(id))
          .slice(0, 3)
          .map(async (id) => `${id}: ${await queue.getJobState(id)}`),
      );
      await queue.close();
      throw new Error(
        `${queueName}: ${finished}/${total} jobs finished within ${JOB_TIMEOUT_MS} ms; queue ${JSON.stringify(counts)}; ` +
          `unfinished ${missing.join(', ')}`,
      );
    }
    const elapsedMs = performance.now() - started;
    const failed = [...fired].filter((id) => outcomes.get(id) === 'failed').length;
    if (failed > 0) throw new Error(`${queueName}: ${failed}/${total} fire-and-forget jobs failed`);
    return total / (elapsedMs / 1000);
  } finally {
    await events.close();
  }
}

export const dispatchFigure: Figure = {
  name: 'dispatch',
  description: 'job throughput through the supervisor vs raw BullMQ at the same N workers',
  smokeInCi: true,
  async run(ctx) {
    const workers = ctx.size(4, 1);
    const jobs = ctx.size(200, 6);
    const inFlight = workers * 2;
    const rounds = ctx.size(5, 1);

    const rawQueue = 'raw-dispatch';
    const rawWorkers: ChildProcess[] = await Promise.all(
      Array.from({ length: workers }, () =>
        startRawWorker(ctx, { queue: rawQueue, mode: 'spawn', interpreter: BENCH_INTERPRETER }),
      ),
    );
    ctx.defer(() => Promise.all(rawWorkers.map((child) => killAndWait(child))));
    const producer = await openRawProducer(ctx, rawQueue);
    ctx.defer(() => producer.close());
    // A third side, in await mode only: raw workers that also run the interpreter under setpriv, as hero-worker
    // does on Linux, so that the ratio tells that wrapper's cost apart from the rest of the job layer.
    const wrappedQueue = 'raw-dispatch-setpriv';
    const wrappedWorkers: ChildProcess[] = await Promise.all(
      Array.from({ length: workers }, () =>
        startRawWorker(ctx, { queue: wrappedQueue, mode: 'spawn', interpreter: BENCH_INTERPRETER, wrap: 'setpriv' }),
      ),
    );
    ctx.defer(() => Promise.all(wrappedWorkers.map((child) => killAndWait(child))));
    const wrappedProducer = await openRawProducer(ctx, wrappedQueue);
    ctx.defer(() => wrappedProducer.close());

    const hero = await openHeroJobDriver(ctx, workers);
    ctx.defer(() => hero.close());

    const rawOptions = { removeOnComplete: { age: 600, count: 10_000 }, removeOnFail: { age: 600, count: 10_000 } };
    const rawAwait: number[] = [];
    const rawFire: number[] = [];
    const heroAwait: number[] = [];
    const heroFire: number[] = [];
    const wrappedAwait: number[] = [];
    // Warm both paths (connections, scripts loaded into Redis, JIT) before the first measured round.
    await throughputAwait(inFlight, inFlight, () => producer.roundTrip({ script: SCRIPT }, JOB_TIMEOUT_MS));
    await throughputAwait(inFlight, inFlight, () => hero.runAndAwait(SCRIPT, JOB_TIMEOUT_MS));
    await throughputAwait(inFlight, inFlight, () => wrappedProducer.roundTrip({ script: SCRIPT }, JOB_TIMEOUT_MS));
    for (let round = 0; round < rounds; round += 1) {
      rawAwait.push(
        await throughputAwait(jobs, inFlight, () => producer.roundTrip({ script: SCRIPT }, JOB_TIMEOUT_MS)),
      );
      rawFire.push(
        await throughputFire(
          ctx,
          rawQueue,
          jobs,
          async () => (await producer.queue.add('job', { script: SCRIPT }, rawOptions)).id,
        ),
      );
      heroAwait.push(await throughputAwait(jobs, inFlight, () => hero.runAndAwait(SCRIPT, JOB_TIMEOUT_MS)));
      heroFire.push(await throughputFire(ctx, hero.queueName, jobs, () => hero.fire(SCRIPT, JOB_TIMEOUT_MS)));
      wrappedAwait.push(
        await throughputAwait(jobs, inFlight, () => wrappedProducer.roundTrip({ script: SCRIPT }, JOB_TIMEOUT_MS)),
      );
      ctx.log(
        `round ${round + 1}/${rounds}: raw await ${rawAwait.at(-1)?.toFixed(0)}/s fire ${rawFire.at(-1)?.toFixed(0)}/s` +
          `; supervisor await ${heroAwait.at(-1)?.toFixed(0)}/s fire ${heroFire.at(-1)?.toFixed(0)}/s` +
          `; raw under setpriv await ${wrappedAwait.at(-1)?.toFixed(0)}/s`,
      );
    }

    const setup = `N=${workers} worker processes, ${jobs} jobs per run, interpreter \`${BENCH_INTERPRETER}\``;
    const emit = (name: string, ours: number[], raw: number[], mode: string) => {
      const rawStats = summarize(raw);
      const ourStats = summarize(ours);
      ctx.emit(
        benchLine({
          name,
          value: ourStats.median,
          unit: 'jobs/s',
          baseline: `raw BullMQ producer + ${workers} raw BullMQ workers, ${mode}`,
          baselineValue: rawStats.median,
          runs: ourStats.runs,
          notes: ['goal ≥ 0.9×', setup, hero.description].join('; '),
        }),
      );
    };
    emit('dispatch.await', heroAwait, rawAwait, `${inFlight} callers awaiting results (waitUntilFinished)`);
    emit('dispatch.fire-and-forget', heroFire, rawFire, 'all jobs added, then completions counted');
    const wrappedStats = summarize(wrappedAwait);
    const heroStats = summarize(heroAwait);
    ctx.emit(
      benchLine({
        name: 'dispatch.await.vs-setpriv-raw',
        value: heroStats.median,
        unit: 'jobs/s',
        baseline: `raw BullMQ producer + ${workers} raw BullMQ workers running the interpreter under setpriv --pdeathsig`,
        baselineValue: wrappedStats.median,
        runs: heroStats.runs,
        notes:
          `${setup}; hero-worker used to run each interpreter under \`setpriv --pdeathsig KILL --\` (one more exec per ` +
          'job); since #16 its reaper kills script groups when it dies and setpriv is only the fallback without one, ' +
          'so this baseline pays an exec hero-worker no longer does',
      }),
    );
  },
};
