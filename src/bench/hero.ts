/**
 * The bench's adapter to hero-supervisor itself: the `hero-worker` binary, pings, and a lifecycle manager over
 * the embedded backend. Figures call these, so the wiring to the product lives in one file.
 */
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import type { PingReply } from '../../machines/worker.events.js';
import { WORKER_NODE_FLAGS } from '../daemon/hero-worker-binary.js';
import { ScriptType } from '../jobs/script-type.js';
import type { Supervisor } from '../jobs/supervisor.js';
import { SupervisorBuilder } from '../jobs/supervisor-builder.js';
import { WorkerConfig } from '../lifecycle/worker-config.js';
import type { WorkerLifecycleManager } from '../lifecycle/worker-lifecycle-manager.js';
import { WorkerLifecycleManagerBuilder } from '../lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../process/embedded/embedded-process-manager.js';
import { jobQueueName } from '../transport/queue-names.js';
import type { BenchContext } from './bench-context.js';
import { HERO_WORKER_BIN, killAndWait, spawnNode, waitForLine } from './processes.js';

/** hero-worker logs this (pino JSON on stderr) once it consumes its queues: its own spawn-to-ready. */
export const HERO_WORKER_READY_MARKER = '"msg":"consuming"';

/** The script type the bench's workers serve; `cat` as interpreter echoes the script, so a job costs one spawn. */
export const BENCH_SCRIPT_TYPE = 'osis';
export const BENCH_INTERPRETER = 'cat';

export interface HeroWorkerOptions {
  workerId: string;
  scriptType?: string;
  interpreter?: string;
}

/** hero-worker's argv (after the script path) for the bench's Redis and key prefix. */
export function heroWorkerArgs(ctx: BenchContext, options: HeroWorkerOptions): string[] {
  return [
    '--script-type',
    options.scriptType ?? BENCH_SCRIPT_TYPE,
    '--worker-id',
    options.workerId,
    '--redis-url',
    ctx.redisUrl,
    '--prefix',
    ctx.prefix,
    '--interpreter',
    options.interpreter ?? BENCH_INTERPRETER,
    // The default level, said out loud: the `consuming` line that marks ready is logged at info.
    '--log-level',
    'info',
  ];
}

/** Spawns `hero-worker` bare (no supervisor); stderr is piped so the ready line can be read. */
export function spawnHeroWorker(ctx: BenchContext, options: HeroWorkerOptions): ChildProcess {
  return spawnNode(HERO_WORKER_BIN, heroWorkerArgs(ctx, options), { nodeOptions: WORKER_NODE_FLAGS });
}

export function waitHeroWorkerReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return waitForLine(child, HERO_WORKER_READY_MARKER, timeoutMs, 'stderr');
}

export interface Pinger {
  description: string;
  /** Resolves with the reply, rejects on timeout or error. */
  ping(workerId: string, timeoutMs: number): Promise<PingReply>;
  close(): Promise<void>;
}

/** A job `Supervisor` on the bench's Redis and prefix. */
export function openSupervisor(ctx: BenchContext): Supervisor {
  return new SupervisorBuilder().redisUrl(ctx.redisUrl).prefix(ctx.prefix).callerId('hero-bench').build();
}

/** Pings workers through `Supervisor.pingWorker` (one add + one PUBLISH per round trip). */
export async function openPinger(ctx: BenchContext): Promise<Pinger> {
  const supervisor = openSupervisor(ctx);
  return {
    description: 'Supervisor.pingWorker',
    ping: async (workerId, timeoutMs) => {
      const outcome = await supervisor.pingWorker(workerId, { timeoutMs });
      if (outcome.type === 'ok') return outcome.reply;
      throw new Error(`ping ${workerId}: ${outcome.type} ${'reason' in outcome ? outcome.reason : ''}`);
    },
    close: () => supervisor.close(),
  };
}

export interface HeroPing {
  description: string;
  ping(timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts one bare `hero-worker` and a pinger for it. */
export async function openHeroPing(ctx: BenchContext, workerId: string): Promise<HeroPing> {
  const child = spawnHeroWorker(ctx, { workerId });
  await waitHeroWorkerReady(child, 15_000);
  const pinger = await openPinger(ctx);
  return {
    description: pinger.description,
    ping: (timeoutMs) => pinger.ping(workerId, timeoutMs),
    close: async () => {
      await pinger.close();
      await killAndWait(child);
    },
  };
}

/** Quiet logger for the product's own logs during a bench: warnings only, to stderr. */
export function benchLogger() {
  return pino({ name: 'hero-bench', level: 'error' }, pino.destination(2));
}

export interface ManagedFleet {
  manager: WorkerLifecycleManager;
  processes: EmbeddedProcessManager;
  close(): Promise<void>;
}

export interface ManagedFleetOptions {
  workers: readonly string[];
  /** Worker settings over the defaults (e.g. a short backoff reset for repeated crashes). */
  settings?: Parameters<WorkerLifecycleManagerBuilder['withSettings']>[0];
}

/** A lifecycle manager over the embedded backend supervising `hero-worker` processes, started. */
export async function openManagedFleet(ctx: BenchContext, options: ManagedFleetOptions): Promise<ManagedFleet> {
  const logger = benchLogger();
  const processes = new EmbeddedProcessManager({ logger });
  const builder = new WorkerLifecycleManagerBuilder(processes)
    .withRedis(ctx.redisUrl, { prefix: ctx.prefix })
    .withLogger(logger)
    .withStopTimeout(2_000);
  if (options.settings) builder.withSettings(options.settings);
  for (const workerId of options.workers) {
    builder.addWorker(
      new WorkerConfig(workerId, process.execPath, BENCH_SCRIPT_TYPE).withArgs([
        ...WORKER_NODE_FLAGS,
        HERO_WORKER_BIN,
        ...heroWorkerArgs(ctx, { workerId: '{workerId}' }),
      ]),
    );
  }
  const manager = builder.build();
  await manager.startAllWorkers();
  return {
    manager,
    processes,
    close: async () => {
      await manager.shutdown();
      await processes.close();
    },
  };
}

export interface JobDriver {
  description: string;
  /** The BullMQ queue the jobs land in (under the bench prefix), for counting completions. */
  queueName: string;
  runAndAwait(script: string, timeoutMs: number): Promise<unknown>;
  /** Enqueues without waiting; resolves with the job id. */
  fire(script: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

/** `workers` bare hero-worker processes (`osis`, interpreter `cat`) and a `Supervisor` that sends them jobs. */
export async function openHeroJobDriver(ctx: BenchContext, workers: number): Promise<JobDriver> {
  const children = Array.from({ length: workers }, (_, i) => spawnHeroWorker(ctx, { workerId: `bench_dispatch_${i}` }));
  const supervisor = openSupervisor(ctx);
  const close = async () => {
    await supervisor.close();
    await Promise.all(children.map((child) => killAndWait(child)));
  };
  try {
    await Promise.all(children.map((child) => waitHeroWorkerReady(child, 15_000)));
  } catch (error) {
    await close();
    throw error;
  }
  const job = (script: string, timeoutMs: number) =>
    supervisor.newJob().scriptType(ScriptType.OSIS).scriptContent(script).timeout(timeoutMs).build();
  return {
    description: `Supervisor.runJobAndAwaitResult / startJob to ${workers} hero-worker processes`,
    queueName: jobQueueName(ScriptType.OSIS),
    runAndAwait: (script, timeoutMs) => supervisor.runJobAndAwaitResult(job(script, timeoutMs), { timeoutMs }),
    fire: (script, timeoutMs) => supervisor.startJob(job(script, timeoutMs)),
    close,
  };
}
