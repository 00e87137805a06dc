/**
 * Figure `recovery`: a `hero-worker` killed with SIGKILL → its actor back in `running` and answering a ping.
 * Beside it, in the same run and in alternating rounds:
 * - the floor: a bare spawn of the same worker until it answers a ping (no supervisor at all);
 * - PM2 restarting the same worker (`restart_delay: 0`, its own PM2_HOME, daemon killed at the end);
 * - the worker's own spawn-to-ready (its `consuming` log line) vs a raw BullMQ worker process's.
 * Goals: recovery ≤ 1.2× the floor, and (recovery − floor) ≤ ⅕ of (PM2 − floor).
 *
 * Every variant pings the same way (PingClient: the ping job waits in the control queue until the new process
 * takes it), and the ping is sent right after the kill, so no variant gains from polling.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext, Figure } from './bench-context.js';
import {
  heroWorkerArgs,
  type ManagedFleet,
  openManagedFleet,
  openPinger,
  type Pinger,
  spawnHeroWorker,
  waitHeroWorkerReady,
} from './hero.js';
import { benchLine } from './output.js';
import { openPm2, type Pm2Driver } from './pm2-driver.js';
import { HERO_WORKER_BIN, killAndWait } from './processes.js';
import { startRawWorker } from './raw-baseline.js';
import { median, summarize } from './stats.js';

/** A recovery slower than this is a failure of the figure, not a slow sample. */
const RECOVERY_TIMEOUT_MS = 15_000;
/**
 * Pause after each recovery before the next kill: longer than the worker settings' `resetBackoffAfterMs` below,
 * so every kill is a "first crash" that restarts at once, as a production crash after a quiet period is.
 */
const SETTLE_MS = 700;
/** Worker settings for the managed variant: backoff reset quickly, no give-up, so repeated kills stay comparable. */
const RECOVERY_SETTINGS = { resetBackoffAfterMs: 500, maxRestarts: 1_000 } as const;

/** Pings until a reply comes from a process other than `oldPid`; returns that pid. */
async function pingUntilNewPid(pinger: Pinger, workerId: string, oldPid: number | undefined): Promise<number> {
  const deadline = performance.now() + RECOVERY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const reply = await pinger.ping(workerId, Math.max(1, deadline - performance.now()));
    if (reply.pid !== oldPid) return reply.pid;
  }
  throw new Error(`${workerId} did not answer from a new process within ${RECOVERY_TIMEOUT_MS} ms`);
}

/** Floor: spawn until the first ping answer; also the worker's own ready line. */
/** The floor reuses one worker id, as a restarted worker does: same control queue, same ping path. */
async function floorRound(ctx: BenchContext, pinger: Pinger) {
  const workerId = 'bench_floor_0';
  const started = performance.now();
  const child: ChildProcess = spawnHeroWorker(ctx, { workerId });
  try {
    const ready = waitHeroWorkerReady(child, RECOVERY_TIMEOUT_MS);
    await pingUntilNewPid(pinger, workerId, undefined);
    const answeredAt = performance.now();
    const readyAt = await ready;
    return { floor: answeredAt - started, spawnToReady: readyAt - started };
  } finally {
    await killAndWait(child);
  }
}

async function rawSpawnToReady(ctx: BenchContext, round: number): Promise<number> {
  const started = performance.now();
  const child = await startRawWorker(ctx, { queue: `raw-ready-${round}`, mode: 'echo' });
  const readyAt = performance.now();
  await killAndWait(child);
  return readyAt - started;
}

async function managedRound(fleet: ManagedFleet, pinger: Pinger, workerId: string): Promise<number> {
  const oldPid = fleet.manager.getWorkerStatus(workerId).pid;
  if (oldPid === null) throw new Error(`${workerId} has no pid before the kill`);
  let backInRunning: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    backInRunning = resolve;
  });
  const unsubscribe = fleet.manager.on('worker:stateChanged', (event) => {
    if (event.worker === workerId && event.to === 'running' && event.pid !== null && event.pid !== oldPid)
      backInRunning();
  });
  try {
    const started = performance.now();
    process.kill(oldPid, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([running, pingUntilNewPid(pinger, workerId, oldPid)]),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${workerId} not back in running within ${RECOVERY_TIMEOUT_MS} ms`)),
          RECOVERY_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return performance.now() - started;
  } finally {
    unsubscribe();
  }
}

async function pm2Round(pinger: Pinger, workerId: string): Promise<number> {
  const oldPid = (await pinger.ping(workerId, RECOVERY_TIMEOUT_MS)).pid;
  const started = performance.now();
  process.kill(oldPid, 'SIGKILL');
  await pingUntilNewPid(pinger, workerId, oldPid);
  return performance.now() - started;
}

export const recoveryFigure: Figure = {
  name: 'recovery',
  description: 'SIGKILL hero-worker → actor running + ping answered, vs bare spawn (floor) and PM2',
  smokeInCi: true,
  async run(ctx) {
    const rounds = ctx.size(12, 1);
    const pinger = await openPinger(ctx);
    ctx.defer(() => pinger.close());

    const managedId = 'bench_managed_0';
    const fleet = await openManagedFleet(ctx, { workers: [managedId], settings: RECOVERY_SETTINGS });
    ctx.defer(() => fleet.close());
    await pingUntilNewPid(pinger, managedId, undefined);

    const pm2Id = 'bench_pm2_0';
    let pm2: Pm2Driver | undefined;
    let pm2Error = '';
    try {
      pm2 = await openPm2();
      const opened = pm2;
      ctx.defer(() => opened.close());
      await pm2.startApp({ name: pm2Id, script: HERO_WORKER_BIN, args: heroWorkerArgs(ctx, { workerId: pm2Id }) });
      await pingUntilNewPid(pinger, pm2Id, undefined);
    } catch (error) {
      pm2Error = `PM2 unavailable: ${error instanceof Error ? error.message : String(error)}`;
      ctx.log(pm2Error);
      pm2 = undefined;
    }

    const floor: number[] = [];
    const spawnToReady: number[] = [];
    const rawReady: number[] = [];
    const managed: number[] = [];
    const viaPm2: number[] = [];
    // The three variants take turns in a rotating order, so that none always follows the same neighbour.
    const variants = [
      async () => {
        const bare = await floorRound(ctx, pinger);
        floor.push(bare.floor);
        spawnToReady.push(bare.spawnToReady);
        rawReady.push(await rawSpawnToReady(ctx, floor.length));
      },
      async () => {
        managed.push(await managedRound(fleet, pinger, managedId));
      },
      async () => {
        if (pm2) viaPm2.push(await pm2Round(pinger, pm2Id));
      },
    ];
    for (let round = 0; round < rounds; round += 1) {
      for (let turn = 0; turn < variants.length; turn += 1) {
        await variants[(round + turn) % variants.length]?.();
        await sleep(SETTLE_MS);
      }
      ctx.log(
        `round ${round + 1}/${rounds}: floor ${floor.at(-1)?.toFixed(0)} ms, managed ${managed.at(-1)?.toFixed(0)} ms` +
          (pm2 ? `, pm2 ${viaPm2.at(-1)?.toFixed(0)} ms` : ''),
      );
    }

    const floorStats = summarize(floor);
    const managedStats = summarize(managed);
    const pm2Stats = viaPm2.length > 0 ? summarize(viaPm2) : undefined;
    // Overheads from paired rounds (each variant minus the floor of the same round): drift cancels out.
    const overhead = median(managed.map((value, round) => value - (floor[round] as number)));
    const pm2Overhead = pm2Stats ? median(viaPm2.map((value, round) => value - (floor[round] as number))) : null;
    const range = (s: ReturnType<typeof summarize>) =>
      `min ${s.min.toFixed(0)} p95 ${s.p95.toFixed(0)} max ${s.max.toFixed(0)} ms`;

    ctx.emit(
      benchLine({
        name: 'recovery',
        value: managedStats.median,
        unit: 'ms',
        baseline: 'floor: bare spawn of hero-worker until it answers a ping',
        baselineValue: floorStats.median,
        runs: managedStats.runs,
        notes:
          `goal ≤ 1.2×; lifecycle manager + embedded backend, settings ${JSON.stringify(RECOVERY_SETTINGS)}; ` +
          `recovery ${range(managedStats)}; floor ${range(floorStats)}`,
      }),
    );
    ctx.emit(
      benchLine({
        name: 'recovery.overhead-vs-pm2',
        value: overhead,
        unit: 'ms',
        baseline: 'PM2 overhead (PM2 recovery − floor, restart_delay: 0)',
        baselineValue: pm2Overhead,
        runs: managedStats.runs,
        notes: pm2Stats
          ? `goal ≤ 0.2×; PM2 recovery median ${pm2Stats.median.toFixed(1)} ms (${range(pm2Stats)}); ` +
            'overheads are medians of per-round differences from the floor of the same round'
          : pm2Error,
      }),
    );
    ctx.emit(
      benchLine({
        name: 'recovery.pm2',
        value: managedStats.median,
        unit: 'ms',
        baseline: 'PM2 recovery (SIGKILL → new process answers a ping)',
        baselineValue: pm2Stats?.median ?? null,
        runs: managedStats.runs,
        notes: pm2Stats ? `PM2 ${range(pm2Stats)}` : pm2Error,
      }),
    );
    const readyStats = summarize(spawnToReady);
    const rawReadyStats = summarize(rawReady);
    ctx.emit(
      benchLine({
        name: 'recovery.spawn-to-ready',
        value: readyStats.median,
        unit: 'ms',
        baseline: 'raw BullMQ worker process spawn-to-ready (Worker.waitUntilReady)',
        baselineValue: rawReadyStats.median,
        runs: readyStats.runs,
        notes: `hero-worker spawn → its "consuming" log line; ${range(readyStats)}; raw ${range(rawReadyStats)}`,
      }),
    );
  },
};
