/**
 * The supervisor's job API over BullMQ: build jobs, send them to the queue of their script type (`jobs.<type>`),
 * await their results, read their status and output, ping workers, and watch job activity.
 *
 * Connections: one shared ioredis connection for every queue and key, one QueueEvents per script type (created on
 * first use, shared by every waiting caller), one pub/sub subscriber for ping replies and one for job activity.
 */
import { type Job as BullJob, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PingOutcome } from '../../machines/worker.events.js';
import { InvalidJobError, JobFailedError, JobTimeoutError, SupervisorError } from '../errors.js';
import { type JobActivityListener, JobActivityStream } from '../transport/job-activity.js';
import { PingClient, type PingOptions } from '../transport/ping-client.js';
import { createdJobKey, jobQueueName, timedOutJobKey } from '../transport/queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionInfo,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  redisConnectionInfo,
  resolveRedisConnection,
} from '../transport/redis-connection.js';
import {
  decodeFailure,
  JOB_RETENTION,
  type JobData,
  type JobResult,
  SCRIPT_JOB_NAME,
  TIMED_OUT_REASON_PREFIX,
} from '../transport/wire-protocol.js';
import { Job } from './job.js';
import { JobBuilder } from './job-builder.js';
import { type JobStatus, toJobStatus } from './job-status.js';
import { isScriptType, SCRIPT_TYPES, type ScriptType } from './script-type.js';

/** Backoff between retries of a failed job: 1 s, 2 s, 4 s... (BullMQ exponential). */
const RETRY_BACKOFF = { type: 'exponential', delay: 1_000 } as const;

/** `runJobAndAwaitResult` without `timeoutMs` waits every attempt's timeout plus this much for queueing. */
const QUEUE_WAIT_ALLOWANCE_MS = 5_000;

export interface SupervisorOptions {
  redis: RedisConnectionOptions;
  callerId: string;
  contextId: string;
  logger?: Logger;
}

export interface RunJobOptions {
  /** How long to wait for the result. @defaultValue job.timeoutMs × (retries + 1) + 5 s */
  timeoutMs?: number;
}

/** What `createJob` stores: the wire data plus the retries, which otherwise travel as BullMQ `attempts`. */
interface StoredJob extends JobData {
  retries: number;
}

export class Supervisor {
  readonly callerId: string;
  readonly contextId: string;
  readonly #resolved: ResolvedRedisConnection;
  readonly #connection: Redis;
  readonly #logger: Logger | undefined;
  readonly #queues = new Map<ScriptType, Queue>();
  readonly #events = new Map<ScriptType, Promise<QueueEvents>>();
  readonly #pings: PingClient;
  readonly #activity: JobActivityStream;
  #closing: Promise<void> | undefined;

  /** Use `SupervisorBuilder`. */
  constructor(options: SupervisorOptions) {
    this.callerId = options.callerId;
    this.contextId = options.contextId;
    this.#logger = options.logger;
    this.#resolved = resolveRedisConnection(options.redis);
    this.#connection = createRedisConnection(this.#resolved, { name: 'hero-supervisor', logger: this.#logger });
    this.#pings = new PingClient({ connection: this.#connection, redis: options.redis, logger: this.#logger });
    this.#activity = new JobActivityStream({ redis: options.redis, logger: this.#logger });
  }

  /** The key prefix of every queue and key (BullMQ `prefix`). */
  get prefix(): string {
    return this.#resolved.prefix;
  }

  /** `redis://user:***@host:port`: where this supervisor talks to Redis, safe to print. */
  get redisDisplay(): string {
    return this.#resolved.display;
  }

  /**
   * How to reach this supervisor's Redis, credentials included: the full `url` (password and all) for workers'
   * `--redis-url`, its parts, TLS and the key prefix. CARRIES SECRETS: never log or print it (use `redisDisplay`).
   */
  redisConnectionInfo(): RedisConnectionInfo {
    return redisConnectionInfo(this.#resolved);
  }

  /** A builder preset with this supervisor's caller and context ids. */
  newJob(): JobBuilder {
    return new JobBuilder({ callerId: this.callerId, contextId: this.contextId });
  }

  // ── jobs ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Stores a job without starting it (status `created`, kept one day); `startJob(id)` enqueues it. */
  async createJob(job: Job): Promise<string> {
    assertJob(job);
    const stored: StoredJob = { ...job.toData(), retries: job.retries };
    await this.#connection.set(createdJobKey(this.prefix, job.id), JSON.stringify(stored), 'EX', JOB_RETENTION.age);
    return job.id;
  }

  /** Enqueues a job (or a job stored by `createJob`, by id) on `jobs.<scriptType>`; returns its id. */
  async startJob(jobOrId: Job | string): Promise<string> {
    const job = typeof jobOrId === 'string' ? await this.#loadCreated(jobOrId) : jobOrId;
    assertJob(job);
    await this.#enqueue(job);
    if (typeof jobOrId === 'string') await this.#connection.del(createdJobKey(this.prefix, job.id));
    return job.id;
  }

  /**
   * Enqueues the job and resolves with its stdout once a worker completes it. Throws `JobFailedError` (the worker's
   * reason and the script's stderr) or `JobTimeoutError`: then a job still waiting is removed, and one still running
   * is marked `timed-out` (its worker kills it at the job's own timeout), so nothing is left dangling unseen.
   */
  async runJobAndAwaitResult(job: Job, { timeoutMs }: RunJobOptions = {}): Promise<string> {
    const result = await this.runJobAndAwaitJobResult(job, { timeoutMs });
    return result.stdout;
  }

  /** As `runJobAndAwaitResult`, resolving with the whole `JobResult` (stdout, stderr, exit code, worker, duration). */
  async runJobAndAwaitJobResult(job: Job, { timeoutMs }: RunJobOptions = {}): Promise<JobResult> {
    assertJob(job);
    const waitMs = timeoutMs ?? job.timeoutMs * (job.retries + 1) + QUEUE_WAIT_ALLOWANCE_MS;
    if (!Number.isSafeInteger(waitMs) || waitMs <= 0) {
      throw new InvalidJobError(
        'timeoutMs',
        `Expected \`timeoutMs\` to be a positive integer of ms, got \`${waitMs}\`.`,
      );
    }
    // Listen before enqueueing, so a fast worker's `completed` event cannot be missed.
    const events = await this.#eventsFor(job.scriptType);
    const bullJob = await this.#enqueue(job);
    try {
      return (await bullJob.waitUntilFinished(events, waitMs)) as JobResult;
    } catch (error) {
      return await this.#afterWaitFailed(job, waitMs, error);
    }
  }

  /** Decides, from the job's actual state, whether a failed wait was a failure, a timeout, or a just-in-time finish. */
  async #afterWaitFailed(job: Job, waitMs: number, waitError: unknown): Promise<JobResult> {
    if (this.#closing)
      throw new SupervisorError('JOB_FAILED', `The supervisor closed while job ${job.id} was awaited.`);
    const queue = this.#queueFor(job.scriptType);
    const current = await queue.getJob(job.id);
    const state = current ? await current.getState() : 'unknown';
    if (state === 'completed' && current) return current.returnvalue as JobResult;
    if (state === 'failed' && current)
      throw this.#failure(job.id, current.failedReason ?? String(waitError), job.timeoutMs);
    await this.#connection.set(timedOutJobKey(this.prefix, job.id), String(Date.now()), 'EX', JOB_RETENTION.age);
    if (state === 'active') {
      throw new JobTimeoutError(
        job.id,
        waitMs,
        `Job ${job.id} (${job.scriptType}) did not finish within ${waitMs} ms. It is still running on a worker, which ` +
          `kills it at the job's timeout of ${job.timeoutMs} ms; its status is now \`timed-out\`.`,
      );
    }
    // Waiting (or delayed for a retry): take it off the queue so no worker starts it after its caller left.
    const removed = await queue.remove(job.id).catch(() => 0);
    throw new JobTimeoutError(
      job.id,
      waitMs,
      `Job ${job.id} (${job.scriptType}) did not finish within ${waitMs} ms: ` +
        (removed
          ? `no ${job.scriptType} worker took it (are any running?), so it was removed from queue ${jobQueueName(job.scriptType)}.`
          : `it was ${state}; its status is now \`timed-out\`.`),
    );
  }

  /** A worker-side timeout is a `JobTimeoutError`; every other failure a `JobFailedError`. */
  #failure(jobId: string, failedReason: string, timeoutMs: number): JobFailedError | JobTimeoutError {
    const { reason, stderr } = decodeFailure(failedReason);
    if (reason.startsWith(TIMED_OUT_REASON_PREFIX))
      return new JobTimeoutError(jobId, timeoutMs, `Job ${jobId}: ${reason}`);
    const tail = stderr === '' ? '' : `\n${stderr.trimEnd()}`;
    return new JobFailedError(jobId, reason, stderr, `Job ${jobId} failed: ${reason}${tail}`);
  }

  /** `created | waiting | active | completed | failed | timed-out | unknown` (see `job-status.ts`). */
  async getJobStatus(jobId: string): Promise<JobStatus> {
    const found = await this.#findJob(jobId);
    const [timedOut, created] = await Promise.all([
      this.#connection.exists(timedOutJobKey(this.prefix, jobId)),
      found ? Promise.resolve(0) : this.#connection.exists(createdJobKey(this.prefix, jobId)),
    ]);
    return toJobStatus({
      state: found?.state ?? 'unknown',
      failedReason: found?.job.failedReason,
      callerTimedOut: timedOut === 1,
      created: created === 1,
    });
  }

  /** The stdout of a completed job; `undefined` while it is not completed (or unknown). */
  async getJobOutput(jobId: string): Promise<string | undefined> {
    return (await this.getJobResult(jobId))?.stdout;
  }

  /** The whole result of a completed job; `undefined` while it is not completed (or unknown). */
  async getJobResult(jobId: string): Promise<JobResult | undefined> {
    const found = await this.#findJob(jobId);
    return found?.state === 'completed' ? (found.job.returnvalue as JobResult) : undefined;
  }

  async #findJob(
    jobId: string,
  ): Promise<{ job: BullJob; state: Awaited<ReturnType<BullJob['getState']>> } | undefined> {
    if (typeof jobId !== 'string' || jobId === '' || jobId.includes(':')) return undefined;
    const jobs = await Promise.all(SCRIPT_TYPES.map((type) => this.#queueFor(type).getJob(jobId)));
    const job = jobs.find((candidate) => candidate !== undefined);
    if (!job) return undefined;
    return { job, state: await job.getState() };
  }

  async #loadCreated(jobId: string): Promise<Job> {
    const text = await this.#connection.get(createdJobKey(this.prefix, jobId));
    if (text === null) {
      throw new InvalidJobError('id', `No created job ${jobId}: create it with createJob() first (kept one day).`);
    }
    const stored = JSON.parse(text) as StoredJob;
    if (!isScriptType(stored.scriptType)) throw new InvalidJobError('scriptType', `Stored job ${jobId} is corrupt.`);
    return new Job({ ...stored, scriptType: stored.scriptType });
  }

  async #enqueue(job: Job): Promise<BullJob> {
    return this.#queueFor(job.scriptType).add(SCRIPT_JOB_NAME, job.toData(), {
      jobId: job.id,
      attempts: job.retries + 1,
      backoff: RETRY_BACKOFF,
      removeOnComplete: JOB_RETENTION,
      removeOnFail: JOB_RETENTION,
    });
  }

  #queueFor(scriptType: ScriptType): Queue {
    let queue = this.#queues.get(scriptType);
    if (!queue) {
      queue = new Queue(jobQueueName(scriptType), { connection: this.#connection, prefix: this.prefix });
      queue.on('error', (error: Error) =>
        this.#logger?.warn({ scriptType, err: { message: error.message } }, 'job queue error'),
      );
      // waitUntilFinished adds a `closing` listener to the queue per awaited job: many callers wait at once.
      queue.setMaxListeners(0);
      this.#queues.set(scriptType, queue);
    }
    return queue;
  }

  /** One QueueEvents per script type, shared by every caller (one blocking connection each). */
  #eventsFor(scriptType: ScriptType): Promise<QueueEvents> {
    let events = this.#events.get(scriptType);
    if (!events) {
      const created = new QueueEvents(jobQueueName(scriptType), { connection: this.#connection, prefix: this.prefix });
      created.on('error', (error: Error) =>
        this.#logger?.warn({ scriptType, err: { message: error.message } }, 'queue events error'),
      );
      // Many callers may wait on one job queue at once; each adds two listeners.
      created.setMaxListeners(0);
      events = created.waitUntilReady().then(() => created);
      this.#events.set(scriptType, events);
    }
    return events;
  }

  // ── workers ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Pings a worker through its control queue: `ok` with its reply, `timeout`, `failed`, or `transport-down` when
   * Redis itself is unreachable (not the worker's fault). Never rejects.
   */
  pingWorker(workerId: string, options: PingOptions = {}): Promise<PingOutcome> {
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

  /** Idempotent: closes queue events, queues, subscriptions, then the connection; logs each failure and goes on. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const steps: [string, () => Promise<unknown>][] = [
        ['ping client', () => this.#pings.close()],
        ['job activity', () => this.#activity.close()],
        ...[...this.#events.values()].map(
          (events) => ['queue events', async () => (await events).close()] as [string, () => Promise<unknown>],
        ),
        ...[...this.#queues.values()].map(
          (queue) => ['queue', () => queue.close()] as [string, () => Promise<unknown>],
        ),
        ['connection', async () => this.#connection.disconnect()],
      ];
      for (const [name, step] of steps) {
        await step().catch((error: Error) =>
          this.#logger?.warn({ step: name, err: { message: error.message } }, 'supervisor cleanup step failed'),
        );
      }
    })();
    return this.#closing;
  }
}

function assertJob(job: unknown): asserts job is Job {
  if (!(job instanceof Job)) {
    throw new InvalidJobError('job', 'Expected a Job built with supervisor.newJob()...build() (or new JobBuilder()).');
  }
}
