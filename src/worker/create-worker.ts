/**
 * The worker runtime: write a hero worker in TypeScript with `createWorker({ scriptType, workerId, redis, execute })`.
 * It consumes `jobs.<scriptType>` and its own `control.<workerId>` (pings), publishes job activity, enforces each
 * job's timeout, and on SIGTERM stops taking jobs, lets active ones finish within `shutdownTimeoutMs`, and exits 0.
 *
 * Lock and stall settings (why a SIGKILLed worker's job is back on another worker within seconds, never lost):
 * a worker holds a lock on each active job for `lockDurationMs` (5 s) and renews it every half of that. Every
 * `stalledIntervalMs` (2 s) each worker checks for active jobs whose lock has expired and moves them back to
 * `wait`. So a killed worker's job is re-queued 2.5–7 s after the kill (lock expiry + one check), and taken by the
 * next free worker. `maxStalledCount` (5) lets a job survive five such deaths before it fails visibly; BullMQ's
 * default (1) would fail a job after the second kill. The event loop here only shuttles pipes (scripts run in child
 * processes), so a 5 s lock is never lost to a busy loop, which is what makes short locks safe.
 *
 * A script killed by the worker's own stop signal is not the script's fault. The supervisor stops a worker with
 * SIGTERM to the worker's process group; scripts run in their own group (script-runner.ts), but a script spawned just
 * before is still in the worker's group until its child calls setsid (between fork and exec), and dies by that
 * SIGTERM. So when a script dies by SIGTERM or SIGINT while this worker is stopping (or starts stopping within
 * `STOP_SIGNAL_SETTLE_MS`), its job is handed back to `wait` for another worker (BullMQ `moveToWait`, which uses no
 * attempt), not failed as "Script was killed by SIGTERM". If that move fails, the job stays active without a lock
 * renewal and the stall check recovers it, as after a forced shutdown.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ScriptError } from '../errors.js';
import { assertCount, assertDuration, MAX_COUNT } from '../limits.js';
import { publishJobActivity } from '../transport/job-activity-publisher.js';
import { assertWorkerId, jobQueueName } from '../transport/queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionOptions,
  resolveRedisConnection,
} from '../transport/redis-connection.js';
import {
  encodeFailure,
  JOB_RETENTION,
  type JobActivity,
  type JobData,
  type JobResult,
  TIMED_OUT_REASON_PREFIX,
} from '../transport/wire-protocol.js';
import type { Execute } from './execute.js';
import { loadBullmq } from './load-bullmq.js';
import { startPingResponder } from './ping-responder.js';
import { packageVersion } from './version.js';

const { UnrecoverableError, WaitingError, Worker } = loadBullmq();

/**
 * The job-data check (the protocol's schema, zod) loads on the first job, or once the worker answers pings, whichever
 * comes first: at start-up it would add ~50 ms to every restart's spawn-to-ready time.
 */
let protocolCheck: Promise<typeof import('../transport/protocol-check.js')> | undefined;
const loadProtocolCheck = () => {
  protocolCheck ??= import('../transport/protocol-check.js');
  return protocolCheck;
};

/**
 * A script killed by SIGTERM/SIGINT may have caught the stop signal sent to the worker's group before the worker's own
 * handler ran (both are delivered at once; the order in which Node runs their callbacks is not guaranteed). Waiting
 * this long for the worker to start stopping tells the two apart; it only ever delays the failure of such a script.
 */
const STOP_SIGNAL_SETTLE_MS = 250;

/** Signals a stop of the worker sends to its process group. */
const STOP_SIGNALS: ReadonlySet<string> = new Set(['SIGTERM', 'SIGINT']);

/** Defaults of `createWorker`; see the module comment for the reasons behind the lock and stall numbers. */
export const WORKER_DEFAULTS = {
  concurrency: 1,
  /** How long SIGTERM waits for active jobs before killing their scripts (the jobs are then recovered elsewhere). */
  shutdownTimeoutMs: 10_000,
  lockDurationMs: 5_000,
  stalledIntervalMs: 2_000,
  maxStalledCount: 5,
} as const;

export interface CreateWorkerOptions {
  /** `python`, `osis`, `sal`, `v`...: the worker consumes `jobs.<scriptType>`. */
  scriptType: string;
  /** Unique per worker process: its control queue is `control.<workerId>`. */
  workerId: string;
  redis: string | RedisConnectionOptions;
  execute: Execute;
  /** Jobs run at once. @defaultValue 1 */
  concurrency?: number;
  /** @defaultValue the `redis` options' prefix, else 'hero' */
  prefix?: string;
  /** @defaultValue 10_000 */
  shutdownTimeoutMs?: number;
  /** @defaultValue 5_000 */
  lockDurationMs?: number;
  /** @defaultValue 2_000 */
  stalledIntervalMs?: number;
  /** How many times a job may be recovered from a dead worker before it fails. @defaultValue 5 */
  maxStalledCount?: number;
  logger?: Logger;
  /** On SIGTERM/SIGINT: close, then `process.exit(0)`. Turn off when embedding. @defaultValue true */
  handleSignals?: boolean;
  /** Reported in ping replies. @defaultValue this package's version */
  version?: string;
}

export interface WorkerStats {
  jobsProcessed: number;
  activeJobs: number;
}

export interface HeroWorker {
  readonly workerId: string;
  readonly scriptType: string;
  /** Resolves once both queues are being consumed (pings are answered). */
  readonly ready: Promise<void>;
  stats(): WorkerStats;
  /** Stops taking jobs, waits up to `shutdownTimeoutMs` for active ones, then kills their scripts. Idempotent. */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${String(value)}\` (${typeof value}).`);
  }
  // Durations end in `Ms` and meet Node's timer limit; counts get a sane bound (src/limits.ts).
  if (name.endsWith('Ms')) assertDuration(name, result, (_field, message) => new TypeError(message), 1);
  else assertCount(name, result, 1, MAX_COUNT, (_field, message) => new TypeError(message));
  return result;
}

class JobTimedOut extends Error {}
class ShuttingDown extends Error {}

export function createWorker(options: CreateWorkerOptions): HeroWorker {
  const startedAt = performance.now();
  const { scriptType, workerId, execute, logger } = options;
  assertWorkerId(workerId);
  assertWorkerId(scriptType);
  const concurrency = positiveInteger('concurrency', options.concurrency, WORKER_DEFAULTS.concurrency);
  const shutdownTimeoutMs = positiveInteger(
    'shutdownTimeoutMs',
    options.shutdownTimeoutMs,
    WORKER_DEFAULTS.shutdownTimeoutMs,
  );
  const lockDuration = positiveInteger('lockDurationMs', options.lockDurationMs, WORKER_DEFAULTS.lockDurationMs);
  const stalledInterval = positiveInteger(
    'stalledIntervalMs',
    options.stalledIntervalMs,
    WORKER_DEFAULTS.stalledIntervalMs,
  );
  const maxStalledCount = positiveInteger('maxStalledCount', options.maxStalledCount, WORKER_DEFAULTS.maxStalledCount);
  const redis = typeof options.redis === 'string' ? { url: options.redis } : options.redis;
  const resolved = resolveRedisConnection({ ...redis, prefix: options.prefix ?? redis.prefix });
  const prefix = resolved.prefix;

  const connection: Redis = createRedisConnection(resolved, { name: `hero-worker:${workerId}`, logger });
  const stats: WorkerStats = { jobsProcessed: 0, activeJobs: 0 };
  const running = new Map<string, AbortController>();
  let stopping = false;
  let markStopping: () => void = () => {};
  const stopBegan = new Promise<void>((resolve) => {
    markStopping = () => {
      stopping = true;
      resolve();
    };
  });

  /** True when this worker is stopping now, or starts to within `STOP_SIGNAL_SETTLE_MS`. */
  const isStopping = async (): Promise<boolean> => {
    if (stopping) return true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      stopBegan,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_SIGNAL_SETTLE_MS);
      }),
    ]);
    clearTimeout(timer);
    return stopping;
  };

  // Fire and forget: the job never waits for this round trip, and a lost event only delays idle detection.
  const publish = (activity: JobActivity) => {
    publishJobActivity(connection, prefix, activity).catch((error: Error) =>
      logger?.debug({ err: { message: error.message } }, 'job activity not published'),
    );
  };

  const processJob = async (job: Job, token?: string): Promise<JobResult> => {
    const jobId = job.id ?? '';
    const checked = (await loadProtocolCheck()).checkJobData(job.data);
    if (!checked.ok) throw new UnrecoverableError(`Invalid job: ${checked.problem.message}.`);
    const data: JobData = checked.value;
    if (data.scriptType !== scriptType)
      throw new UnrecoverableError(
        `Invalid job: job data scriptType ${JSON.stringify(data.scriptType)} does not match this worker's ${JSON.stringify(scriptType)} queue.`,
      );
    const controller = new AbortController();
    running.set(jobId, controller);
    stats.activeJobs++;
    publish({ workerId, jobId, phase: 'started', at: Date.now(), scriptType });
    const started = performance.now();
    const timer = setTimeout(
      () =>
        controller.abort(
          new JobTimedOut(
            `${TIMED_OUT_REASON_PREFIX} after ${data.timeoutMs} ms on worker ${workerId}; its process group was killed.`,
          ),
        ),
      data.timeoutMs,
    );
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    try {
      const output = await Promise.race([
        execute(data, { jobId, workerId, attempt: job.attemptsMade + 1, signal: controller.signal, logger }),
        aborted,
      ]);
      return {
        stdout: output.stdout,
        stderr: output.stderr ?? '',
        exitCode: output.exitCode ?? 0,
        workerId,
        durationMs: output.durationMs ?? Math.round(performance.now() - started),
      };
    } catch (error) {
      // A forced shutdown leaves the job active on purpose: its lock lapses and another worker recovers it. Reporting a
      // failure here could race the closing connection and fail a job that is not at fault.
      if (error instanceof ShuttingDown) return new Promise<never>(() => {});
      if (isKilledByStopSignal(error) && (await isStopping())) {
        logger?.warn(
          { jobId, signal: error.signal },
          'script killed by the stop signal while the worker stops: job handed back for another worker',
        );
        await job
          .moveToWait(token)
          .catch((moveError: Error) =>
            logger?.warn(
              { jobId, err: { message: moveError.message } },
              'job not handed back: it will stall and be recovered',
            ),
          );
        // BullMQ's signal that the job left `active` on purpose: neither failed nor completed, no attempt used.
        throw new WaitingError();
      }
      throw toJobFailure(error);
    } finally {
      clearTimeout(timer);
      running.delete(jobId);
      stats.activeJobs--;
      stats.jobsProcessed++;
    }
  };

  const jobs = new Worker(jobQueueName(scriptType), processJob, {
    connection,
    prefix,
    name: workerId,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    removeOnComplete: JOB_RETENTION,
    removeOnFail: JOB_RETENTION,
  });
  jobs.on('error', (error: Error) => logger?.warn({ err: { message: error.message } }, 'job queue error'));
  jobs.on('completed', (job: Job) => {
    publish({ workerId, jobId: job.id ?? '', phase: 'finished', at: Date.now(), scriptType, outcome: 'completed' });
    // Per-job lines are debug: at info they cost a synchronous write per job (failures stay visible at warn).
    if (logger?.isLevelEnabled('debug'))
      logger.debug({ jobId: job.id, durationMs: (job.returnvalue as JobResult).durationMs }, 'job completed');
  });
  jobs.on('failed', (job: Job | undefined, error: Error) => {
    if (!job) return;
    publish({ workerId, jobId: job.id ?? '', phase: 'finished', at: Date.now(), scriptType, outcome: 'failed' });
    logger?.warn({ jobId: job.id, reason: error.message.split('\n')[0] }, 'job failed');
  });

  const control = startPingResponder({
    workerId,
    prefix,
    connection,
    startedAt,
    version: options.version ?? packageVersion(),
    stats: () => ({ ...stats }),
    logger,
  });

  const ready = Promise.all([jobs.waitUntilReady(), control.waitUntilReady()]).then(() => {
    logger?.info({ redis: resolved.display, readyMs: Math.round(performance.now() - startedAt) }, 'worker ready');
    loadProtocolCheck().catch(() => {});
  });
  ready.catch(() => {});

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    markStopping();
    closing ??= (async () => {
      logger?.info({ activeJobs: stats.activeJobs }, 'worker stopping');
      // Pings stop first: a stopping worker should not look healthy.
      const steps: [string, () => Promise<unknown>][] = [
        ['control queue', () => control.close(true)],
        ['job queue', () => closeJobs()],
        ['connection', async () => connection.disconnect()],
      ];
      for (const [name, step] of steps) {
        await step().catch((error: Error) =>
          logger?.warn({ step: name, err: { message: error.message } }, 'worker cleanup step failed'),
        );
      }
      logger?.info({ jobsProcessed: stats.jobsProcessed }, 'worker stopped');
    })();
    return closing;
  };

  /** Waits for active jobs; past the deadline, force-closes (their locks lapse, so others recover them) and kills scripts. */
  const closeJobs = async () => {
    const graceful = jobs.close();
    graceful.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    logger?.warn(
      { activeJobs: stats.activeJobs, shutdownTimeoutMs },
      'active jobs did not finish in time: killing them',
    );
    for (const controller of running.values()) controller.abort(new ShuttingDown('worker shutting down'));
    // Not awaited: BullMQ's pending graceful close waits for the jobs we just left unsettled (on purpose, see
    // processJob), so it never resolves. Dropping the connections instead stops their lock renewals.
    jobs.close(true).catch(() => {});
    await jobs.disconnect();
  };

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger?.info({ signal }, 'signal received');
      close().finally(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return { workerId, scriptType, ready, stats: () => ({ ...stats }), close };
}

/** A script that died by SIGTERM or SIGINT, the signals a stop of the worker sends to the worker's group. */
function isKilledByStopSignal(error: unknown): error is ScriptError {
  return error instanceof ScriptError && error.signal !== undefined && STOP_SIGNALS.has(error.signal);
}

/** Maps what `execute` threw to the error BullMQ records as the job's `failedReason` (see `encodeFailure`). */
function toJobFailure(error: unknown): Error {
  if (error instanceof JobTimedOut) return new Error(encodeFailure(error.message));
  if (error instanceof ScriptError) {
    const failure = encodeFailure(error.message, error.stderr);
    return error.retryable ? new Error(failure) : new UnrecoverableError(failure);
  }
  if (error instanceof UnrecoverableError) return error;
  return new Error(encodeFailure(error instanceof Error ? error.message : String(error)));
}
