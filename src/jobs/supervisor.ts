/**
 * The supervisor's job API over BullMQ: build jobs, send them to the queue of their script type (`jobs.<type>`),
 * await their results, read their status and output, ping workers, and watch job activity.
 *
 * A façade over one module per role, as BullMQ splits `Queue`, `QueueEvents` and `QueueGetters`: producing
 * (job-producer.ts), waiting for results (job-results.ts), reading status (job-reader.ts), over what they share
 * (job-queues.ts); every error is worded in job-errors.ts, and a finished job's return value becomes the caller's
 * result in one function (finished-job.ts).
 *
 * Connections: one command connection for the job queues and keys, which never queues a command while Redis is away
 * (every call is bounded by its caller's deadline and fails with a `RedisUnavailableError` saying whether the job was
 * enqueued: redis-deadline.ts); one shared connection (commands wait for Redis) for the ping client, whose QueueEvents
 * per script type (created on first use, shared by every waiting caller) duplicate it for their blocking reads; one
 * pub/sub subscriber for ping replies and one for job activity.
 */
import type { Logger } from 'pino';
import type { PingOutcome } from '../../machines/worker.events.js';
import { assertDuration } from '../limits.js';
import { type JobActivityListener, JobActivityStream } from '../transport/job-activity.js';
import { PingClient, type PingOptions } from '../transport/ping-client.js';
import {
  type RedisConnectionInfo,
  type RedisConnectionOptions,
  redisConnectionInfo,
} from '../transport/redis-connection.js';
import type { JobResult } from '../transport/wire-protocol.js';
import type { Job } from './job.js';
import { JobBuilder } from './job-builder.js';
import { invalidTimeout } from './job-errors.js';
import { JobProducer } from './job-producer.js';
import { CLOSE_STEP_TIMEOUT_MS, JobQueues, settlesWithin } from './job-queues.js';
import { JobReader } from './job-reader.js';
import { JobResults } from './job-results.js';
import type { JobStatus } from './job-status.js';

export { DEFAULT_SEND_TIMEOUT_MS } from './job-producer.js';
export { DEFAULT_READ_TIMEOUT_MS } from './job-reader.js';

export interface SupervisorOptions {
  redis: RedisConnectionOptions;
  callerId: string;
  contextId: string;
  logger?: Logger;
}

export interface RunJobOptions {
  /**
   * How long to wait for the result, Redis outages included: the call settles within this (plus at most 1 s to read
   * the job's final state). @defaultValue job.timeoutMs × (retries + 1) + 5 s
   */
  timeoutMs?: number;
}

export interface SendJobOptions {
  /** How long to wait for Redis to take the job (`RedisUnavailableError` after). @defaultValue 5000 */
  timeoutMs?: number;
}

export interface ReadJobOptions {
  /** How long to wait for Redis to answer (`RedisUnavailableError` after). @defaultValue 2000 */
  timeoutMs?: number;
}

export class Supervisor {
  readonly callerId: string;
  readonly contextId: string;
  readonly #logger: Logger | undefined;
  readonly #queues: JobQueues;
  readonly #producer: JobProducer;
  readonly #results: JobResults;
  readonly #reader: JobReader;
  readonly #pings: PingClient;
  readonly #activity: JobActivityStream;
  #closing: Promise<void> | undefined;

  /** Use `SupervisorBuilder`. */
  constructor(options: SupervisorOptions) {
    this.callerId = options.callerId;
    this.contextId = options.contextId;
    this.#logger = options.logger;
    this.#queues = new JobQueues(options.redis, this.#logger);
    this.#reader = new JobReader(this.#queues);
    this.#producer = new JobProducer(this.#queues, this.#reader);
    this.#results = new JobResults(this.#queues, this.#producer, this.#reader);
    this.#pings = new PingClient({ connection: this.#queues.connection, redis: options.redis, logger: this.#logger });
    this.#activity = new JobActivityStream({ redis: options.redis, logger: this.#logger });
  }

  /** The key prefix of every queue and key (BullMQ `prefix`). */
  get prefix(): string {
    return this.#queues.prefix;
  }

  /** `redis://user:***@host:port`: where this supervisor talks to Redis, safe to print. */
  get redisDisplay(): string {
    return this.#queues.resolved.display;
  }

  /**
   * How to reach this supervisor's Redis, credentials included: the full `url` (password and all) for workers'
   * `--redis-url`, its parts, TLS and the key prefix. CARRIES SECRETS: never log or print it (use `redisDisplay`).
   */
  redisConnectionInfo(): RedisConnectionInfo {
    return redisConnectionInfo(this.#queues.resolved);
  }

  /** A builder preset with this supervisor's caller and context ids. */
  newJob(): JobBuilder {
    return new JobBuilder({ callerId: this.callerId, contextId: this.contextId });
  }

  // ── jobs ──────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a job without starting it (status `created`, kept one day); `startJob(id)` enqueues it. Throws
   * `RedisUnavailableError` when Redis does not take it within `timeoutMs`, `JobIdInUseError` when another job has
   * its id.
   */
  createJob(job: Job, { timeoutMs }: SendJobOptions = {}): Promise<string> {
    return this.#producer.createJob(job, timeoutMs);
  }

  /**
   * Enqueues a job (or a job stored by `createJob`, by id) on `jobs.<scriptType>`; returns its id. Waits for Redis up
   * to `timeoutMs`, then throws `RedisUnavailableError` saying whether the job was enqueued (`no`/`maybe`). Throws
   * `JobIdInUseError` when another job has its id.
   */
  startJob(jobOrId: Job | string, { timeoutMs }: SendJobOptions = {}): Promise<string> {
    return this.#producer.startJob(jobOrId, timeoutMs);
  }

  /**
   * Enqueues the job and resolves with its stdout once a worker completes it. Throws `JobFailedError` (the worker's
   * reason and the script's stderr) or `JobTimeoutError`: then a job still waiting is removed, and one still running
   * is marked `timed-out` (its worker kills it at the job's own timeout), so nothing is left dangling unseen. Throws
   * `RedisUnavailableError` when Redis is unreachable until the deadline: its `enqueued` says whether the job was
   * enqueued (`no`, `maybe`, or `yes` when only its result could not be read). The call settles within `timeoutMs`
   * (plus at most 1 s to read the job's final state), whatever Redis does. `JobIdInUseError` when another job has
   * its id: never another job's result.
   */
  async runJobAndAwaitResult(job: Job, { timeoutMs }: RunJobOptions = {}): Promise<string> {
    const result = await this.runJobAndAwaitJobResult(job, { timeoutMs });
    return result.stdout;
  }

  /** As `runJobAndAwaitResult`, resolving with the whole `JobResult` (stdout, stderr, exit code, worker, duration). */
  runJobAndAwaitJobResult(job: Job, { timeoutMs }: RunJobOptions = {}): Promise<JobResult> {
    return this.#results.runJobAndAwaitJobResult(job, timeoutMs);
  }

  /**
   * `created | waiting | active | completed | failed | timed-out | unknown` (see `job-status.ts`). Throws
   * `RedisUnavailableError` when Redis does not answer within `timeoutMs`.
   */
  getJobStatus(jobId: string, { timeoutMs }: ReadJobOptions = {}): Promise<JobStatus> {
    return this.#reader.getJobStatus(jobId, timeoutMs);
  }

  /** The stdout of a completed job; `undefined` while it is not completed (or unknown). */
  async getJobOutput(jobId: string, options: ReadJobOptions = {}): Promise<string | undefined> {
    return (await this.getJobResult(jobId, options))?.stdout;
  }

  /** The whole result of a completed job; `undefined` while it is not completed (or unknown). */
  getJobResult(jobId: string, { timeoutMs }: ReadJobOptions = {}): Promise<JobResult | undefined> {
    return this.#reader.getJobResult(jobId, timeoutMs);
  }

  // ── workers ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Pings a worker through its control queue: `ok` with its reply, `timeout`, `failed`, or `transport-down` when
   * Redis itself is unreachable (not the worker's fault). Never rejects, except for a `timeoutMs` out of range.
   */
  async pingWorker(workerId: string, options: PingOptions = {}): Promise<PingOutcome> {
    // Only the bound is checked here (a fraction of a ms is fine: callers pass what is left of their own deadline).
    if (options.timeoutMs !== undefined) assertDuration('timeoutMs', options.timeoutMs, invalidTimeout);
    return this.#pings.ping(workerId, options);
  }

  /** Calls `listener` whenever a worker starts or finishes a job; returns the unsubscribe function. */
  onJobActivity(listener: JobActivityListener): () => void {
    return this.#activity.subscribe(listener);
  }

  /** Resolves once job activity is being received (events before that are not seen). */
  jobActivityReady(): Promise<void> {
    return this.#activity.ready();
  }

  /** Idempotent: closes queue events, queues, subscriptions, then the connections; logs each failure and goes on. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#results.close();
      const steps: [string, () => Promise<unknown>][] = [
        ['ping client', () => this.#pings.close()],
        ['job activity', () => this.#activity.close()],
        ...this.#queues.closeSteps(),
        ['connection', async () => this.#queues.connection.disconnect()],
        ['command connection', async () => this.#queues.commands.disconnect()],
      ];
      for (const [name, step] of steps) {
        await settlesWithin(step(), CLOSE_STEP_TIMEOUT_MS)
          .then((done) => {
            if (!done)
              this.#logger?.warn({ step: name, timeoutMs: CLOSE_STEP_TIMEOUT_MS }, 'supervisor cleanup step timed out');
          })
          .catch((error: Error) =>
            this.#logger?.warn({ step: name, err: { message: error.message } }, 'supervisor cleanup step failed'),
          );
      }
    })();
    return this.#closing;
  }
}
