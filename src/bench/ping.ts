/**
 * Figure `ping`: a ping round trip through the supervisor (`Supervisor.pingWorker` to a live `hero-worker`)
 * beside a raw BullMQ job round trip (`add` + `waitUntilFinished` to a raw BullMQ worker process) and a raw
 * Redis PING. Goal: ≤ 1.5× the raw BullMQ round trip.
 *
 * The three run in alternating blocks so that drift on a noisy machine hits all of them alike.
 */
import { Redis } from 'ioredis';
import type { BenchContext, Figure } from './bench-context.js';
import { openHeroPing } from './hero.js';
import { benchLine } from './output.js';
import { killAndWait } from './processes.js';
import { openRawProducer, sampleSequential, startRawWorker } from './raw-baseline.js';
import { summarize } from './stats.js';

/** No single round trip on loopback takes this long; if one does, the figure fails instead of hanging. */
const ROUND_TRIP_TIMEOUT_MS = 10_000;

export const pingFigure: Figure = {
  name: 'ping',
  description: 'ping through the supervisor vs raw BullMQ round trip vs raw Redis PING',
  smokeInCi: true,
  async run(ctx: BenchContext) {
    const blocks = ctx.size(5, 1);
    const perBlock = ctx.size(100, 10);
    const warmup = ctx.size(20, 2);

    const redis = new Redis(ctx.redisUrl, { lazyConnect: true });
    await redis.connect();
    ctx.defer(() => redis.quit());

    const rawQueue = 'raw-ping';
    const rawWorker = await startRawWorker(ctx, { queue: rawQueue, mode: 'echo' });
    ctx.defer(() => killAndWait(rawWorker, 'SIGKILL'));
    const producer = await openRawProducer(ctx, rawQueue);
    ctx.defer(() => producer.close());

    const hero = await openHeroPing(ctx, 'bench_ping_worker_0');
    ctx.defer(() => hero.close());

    const redisSamples: number[] = [];
    const rawSamples: number[] = [];
    const heroSamples: number[] = [];
    // Caller-side CPU per round trip (this process: the pinger or the raw producer, never the worker): what a
    // health ping costs the supervisor, independent of the machine's noise on wall time.
    let rawCpuMicros = 0;
    let heroCpuMicros = 0;
    const cpuOf = async (run: () => Promise<number[]>): Promise<{ samples: number[]; micros: number }> => {
      const before = process.cpuUsage();
      const samples = await run();
      const used = process.cpuUsage(before);
      return { samples, micros: used.user + used.system };
    };
    for (let block = 0; block < blocks; block += 1) {
      const first = block === 0;
      redisSamples.push(...(await sampleSequential(perBlock, first ? warmup : 0, () => redis.ping())));
      const raw = await cpuOf(() =>
        sampleSequential(perBlock, first ? warmup : 0, () => producer.roundTrip({ ping: true }, ROUND_TRIP_TIMEOUT_MS)),
      );
      rawSamples.push(...raw.samples);
      rawCpuMicros += raw.micros;
      const ours = await cpuOf(() =>
        sampleSequential(perBlock, first ? warmup : 0, () => hero.ping(ROUND_TRIP_TIMEOUT_MS)),
      );
      heroSamples.push(...ours.samples);
      heroCpuMicros += ours.micros;
    }

    const redisStats = summarize(redisSamples);
    const rawStats = summarize(rawSamples);
    const heroStats = summarize(heroSamples);
    const spread = (s: ReturnType<typeof summarize>) =>
      `p50 ${s.p50.toFixed(3)} p95 ${s.p95.toFixed(3)} p99 ${s.p99.toFixed(3)} ms`;
    ctx.emit(
      benchLine({
        name: 'ping',
        value: heroStats.median,
        unit: 'ms',
        baseline: 'raw BullMQ job round trip (add + waitUntilFinished)',
        baselineValue: rawStats.median,
        runs: heroStats.runs,
        notes: ['goal ≤ 1.5×', hero.description, `supervisor ${spread(heroStats)}`, `raw BullMQ ${spread(rawStats)}`]
          .filter(Boolean)
          .join('; '),
      }),
    );
    ctx.emit(
      benchLine({
        name: 'ping.vs-redis',
        value: heroStats.median,
        unit: 'ms',
        baseline: 'raw Redis PING (ioredis)',
        baselineValue: redisStats.median,
        runs: heroStats.runs,
        notes: `Redis PING ${spread(redisStats)}: the floor of any round trip through Redis`,
      }),
    );
    // Warmup round trips are inside the CPU totals too: divide by every round trip made.
    const roundTrips = blocks * perBlock + warmup;
    ctx.emit(
      benchLine({
        name: 'ping.caller-cpu',
        value: heroCpuMicros / roundTrips / 1000,
        unit: 'ms CPU',
        baseline: 'raw BullMQ producer CPU per round trip',
        baselineValue: rawCpuMicros / roundTrips / 1000,
        runs: roundTrips,
        notes:
          'CPU of the calling process per round trip (user + system); at the default pingIntervalMs (10 min) ' +
          '10,000 idle workers cost 1,000 pings a minute',
      }),
    );
  },
};
