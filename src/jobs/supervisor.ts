/**
 * The supervisor's job API over BullMQ: build jobs, send them to the queue of their script type (`jobs.<type>`),
 * await their results, read their status and output, ping workers, and watch job activity.
 *
 * Connections: one command connection for the job queues and keys, which never queues a command while Redis is away
 * (every call is bounded by its caller's deadline and fails with a `RedisUnavailableError` saying whether the job was
 * enqueued: redis-deadline.ts); one shared connection (commands wait for Redis) for the ping client, whose QueueEvents
 * per script type (created on first use, shared by every waiting caller) duplicate it for their blocking reads; one
 * pub/sub subscriber for ping replies and one for job activity.
 */
import { type Job as BullJob, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PingOutcome } from '../../machines/worker.events.js';
import { InvalidJobError, JobFailedError, JobTimeoutError, RedisUnavailableError, SupervisorError } from '../errors.js';
import { type JobActivityListener, JobActivityStream } from '../transport/job-activity.js';
import { PingClient, type PingOptions } from '../transport/ping-client.js';
import { toJobResult } from '../transport/protocol-check.js';
import { createdJobKey, jobQueueName, timedOutJobKey } from '../transport/queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionInfo,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  redisConnectionInfo,
  resolveRedisConnection,
} from '../transport/redis-connection.js';
import { COMMAND_CONNECTION_OVERRIDES, callWithinDeadline, type DeadlineOutcome } from '../transport/redis-deadline.js';
import {
  decodeFailure,
  JOB_RETENTION,
  type JobData,
  type JobResult,
  SCRIPT_JOB_NAME,
  TIMED_OUT_REASON_PREFIX,
} from '../transport/wire-protocol.js';
import { withinMs } from '../within-ms.js';
import { Job } from './job.js';
import { JobBuilder } from './job-builder.js';
import { type JobStatus, toJobStatus } from './job-status.js';
import { isScriptType, SCRIPT_TYPES, type ScriptType } from './script-type.js';

/** Backoff between retries of a failed job: 1 s, 2 s, 4 s... (BullMQ exponential). */
const RETRY_BACKOFF = { type: 'exponential', delay: 1_000 } as const;

/** `runJobAndAwaitResult` without `timeoutMs` waits every attempt's timeout plus this much for queueing. */
const QUEUE_WAIT_ALLOWANCE_MS = 5_000;

/**
 * `createJob`/`startJob` without `timeoutMs` wait this long for Redis to take the job: long enough to ride out a Redis
 * restart (the connection retries at least every second), short enough that a caller learns soon that Redis is gone.
 */
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;

/** `getJobStatus`/`getJobOutput`/`getJobResult` without `timeoutMs`: one reconnect (≤ 1 s apart) plus the read. */
export const DEFAULT_READ_TIMEOUT_MS = 2_000;

/**
 * After a caller's deadline, reading the job's final state (and removing it, or marking it timed out) may take this
 * long more: the answer comes within `timeoutMs` plus this, whatever Redis does.
 */
const AFTER_DEADLINE_BUDGET_MS = 1_000;

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

/** What `createJob` stores: the wire data plus the retries, which otherwise travel as BullMQ `attempts`. */
interface StoredJob extends JobData {
  retries: number;
}

export class Supervisor {
  readonly callerId: string;
  readonly contextId: string;
  readonly #resolved: ResolvedRedisConnection;
  readonly #connection: Redis;
  /** Job queues and keys: refuses commands while Redis is away instead of queueing them (see the file header). */
  readonly #commands: Redis;
  /** Aborted by `close()`: callers still waiting for a result are told. */
  readonly #closed = new AbortController();
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
    this.#commands = createRedisConnection(this.#resolved, {
      name: 'hero-supervisor-commands',
      logger: this.#logger,
      overrides: COMMAND_CONNECTION_OVERRIDES,
    });
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

  /**
   * Stores a job without starting it (status `created`, kept one day); `startJob(id)` enqueues it. Throws
   * `RedisUnavailableError` when Redis does not take it within `timeoutMs`.
   */
  async createJob(job: Job, { timeoutMs }: SendJobOptions = {}): Promise<string> {
    assertJob(job);
    const deadline = this.#deadline(timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    const stored: StoredJob = { ...job.toData(), retries: job.retries };
    const key = createdJobKey(this.prefix, job.id);
    const outcome = await callWithinDeadline(this.#commands, deadline, () =>
      this.#commands.set(key, JSON.stringify(stored), 'EX', JOB_RETENTION.age),
    );
    if (outcome.type === 'unreachable') {
      throw this.#unreachable(outcome, job.id, outcome.sent ? 'maybe' : 'no', (redis) =>
        outcome.sent
          ? `${redis} stopped answering while job ${job.id} was being stored: it may be stored. Check ` +
            `getJobStatus('${job.id}') (\`created\`) or call createJob again with the same Job (safe).`
          : `${redis}: job ${job.id} was NOT stored. Call createJob again once Redis is back.`,
      );
    }
    return job.id;
  }

  /**
   * Enqueues a job (or a job stored by `createJob`, by id) on `jobs.<scriptType>`; returns its id. Waits for Redis up
   * to `timeoutMs`, then throws `RedisUnavailableError` saying whether the job was enqueued (`no`/`maybe`).
   */
  async startJob(jobOrId: Job | string, { timeoutMs }: SendJobOptions = {}): Promise<string> {
    const deadline = this.#deadline(timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    const job = typeof jobOrId === 'string' ? await this.#loadCreated(jobOrId, deadline) : jobOrId;
    assertJob(job);
    await this.#enqueue(job, deadline);
    if (typeof jobOrId === 'string') {
      // The job is on its queue now: a stale `created` key only costs memory until it expires (one day).
      const key = createdJobKey(this.prefix, job.id);
      void withinMs(
        this.#commands.del(key).catch(() => 0),
        AFTER_DEADLINE_BUDGET_MS,
      );
    }
    return job.id;
  }

  /**
   * Enqueues the job and resolves with its stdout once a worker completes it. Throws `JobFailedError` (the worker's
   * reason and the script's stderr) or `JobTimeoutError`: then a job still waiting is removed, and one still running
   * is marked `timed-out` (its worker kills it at the job's own timeout), so nothing is left dangling unseen. Throws
   * `RedisUnavailableError` when Redis is unreachable until the deadline: its `enqueued` says whether the job was
   * enqueued (`no`, `maybe`, or `yes` when only its result could not be read). The call settles within `timeoutMs`
   * (plus at most 1 s to read the job's final state), whatever Redis does.
   */
  async runJobAndAwaitResult(job: Job, { timeoutMs }: RunJobOptions = {}): Promise<string> {
    const result = await this.runJobAndAwaitJobResult(job, { timeoutMs });
    return result.stdout;
  }

  /** As `runJobAndAwaitResult`, resolving with the whole `JobResult` (stdout, stderr, exit code, worker, duration). */
  async runJobAndAwaitJobResult(job: Job, { timeoutMs }: RunJobOptions = {}): Promise<JobResult> {
    assertJob(job);
    const waitMs = timeoutMs ?? job.timeoutMs * (job.retries + 1) + QUEUE_WAIT_ALLOWANCE_MS;
    const deadline = this.#deadline(waitMs);
    // Listen before enqueueing, so a fast worker's `completed` event cannot be missed.
    const events = await withinMs(
      this.#eventsFor(job.scriptType).catch(() => undefined),
      deadline - performance.now(),
    );
    if (!events) {
      throw this.#unreachable(
        { type: 'unreachable', sent: false, detail: `no job events within ${waitMs} ms` },
        job.id,
        'no',
        (redis) => `${redis}: job ${job.id} (${job.scriptType}) was NOT enqueued. Send it again once Redis is back.`,
      );
    }
    const finish = this.#awaitFinish(events, job.id);
    try {
      await this.#enqueue(job, deadline);
      // The job may have finished before the events stream was read (BullMQ's waitUntilFinished checks this too).
      const early = await withinMs(
        this.#finishedState(job),
        Math.min(AFTER_DEADLINE_BUDGET_MS, deadline - performance.now()),
      );
      if (early?.state === 'completed') return toJobResult(job.id, early.job.returnvalue);
      if (early?.state === 'failed') throw this.#failure(job.id, early.job.failedReason ?? 'failed', job.timeoutMs);
      const finished = await withinMs(finish.promise, deadline - performance.now());
      if (finished?.type === 'completed') return toJobResult(job.id, finished.result);
      if (finished?.type === 'failed') throw this.#failure(job.id, finished.failedReason, job.timeoutMs);
      return await this.#afterWaitFailed(job, waitMs);
    } finally {
      finish.cancel();
    }
  }

  /** Resolves on the job's `completed` or `failed` event (or when the supervisor closes); `cancel` stops listening. */
  #awaitFinish(
    events: QueueEvents,
    jobId: string,
  ): {
    promise: Promise<
      { type: 'completed'; result: JobResult } | { type: 'failed'; failedReason: string } | { type: 'closed' }
    >;
    cancel: () => void;
  } {
    // BullMQ emits `completed:<id>` and `failed:<id>` too, outside its typed listener map.
    const emitter = events as unknown as NodeJS.EventEmitter;
    let cancel = () => {};
    const promise = new Promise<
      { type: 'completed'; result: JobResult } | { type: 'failed'; failedReason: string } | { type: 'closed' }
    >((resolve) => {
      const onCompleted = (args: { returnvalue: unknown }) =>
        resolve({ type: 'completed', result: args.returnvalue as JobResult });
      const onFailed = (args: { failedReason: string }) => resolve({ type: 'failed', failedReason: args.failedReason });
      const onClosed = () => resolve({ type: 'closed' });
      emitter.on(`completed:${jobId}`, onCompleted);
      emitter.on(`failed:${jobId}`, onFailed);
      this.#closed.signal.addEventListener('abort', onClosed, { once: true });
      cancel = () => {
        emitter.off(`completed:${jobId}`, onCompleted);
        emitter.off(`failed:${jobId}`, onFailed);
        this.#closed.signal.removeEventListener('abort', onClosed);
      };
    });
    return { promise, cancel };
  }

  /** The job and its state when it has finished (`completed`/`failed`); `undefined` otherwise or when unreadable. */
  async #finishedState(job: Job): Promise<{ job: BullJob; state: string } | undefined> {
    try {
      // One round trip in the usual case (not finished yet); the job itself only when it has.
      const queue = this.#queueFor(job.scriptType);
      const state = await queue.getJobState(job.id);
      if (state !== 'completed' && state !== 'failed') return undefined;
      const current = await queue.getJob(job.id);
      return current ? { job: current, state } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The caller's deadline passed: decides, from the job's actual state, whether it was a failure, a timeout, or a
   * just-in-time finish. Bounded by AFTER_DEADLINE_BUDGET_MS: Redis may be gone.
   */
  async #afterWaitFailed(job: Job, waitMs: number): Promise<JobResult> {
    if (this.#closing)
      throw new SupervisorError('JOB_FAILED', `The supervisor closed while job ${job.id} was awaited.`);
    const outcome = await callWithinDeadline(this.#commands, this.#deadline(AFTER_DEADLINE_BUDGET_MS), () =>
      this.#settleAfterDeadline(job),
    );
    if (outcome.type === 'unreachable') {
      throw this.#unreachable(
        outcome,
        job.id,
        'yes',
        (redis) =>
          `Job ${job.id} (${job.scriptType}) was enqueued, but ${redis}, so its result did not arrive ` +
          `within ${waitMs} ms. It stays queued and runs once Redis is back: read it later ` +
          `with getJobStatus('${job.id}') and getJobOutput('${job.id}').`,
      );
    }
    const settled = outcome.value;
    if (settled.type === 'completed') return toJobResult(job.id, settled.result);
    if (settled.type === 'failed') throw this.#failure(job.id, settled.failedReason, job.timeoutMs);
    if (settled.type === 'active') {
      throw new JobTimeoutError(
        job.id,
        waitMs,
        `Job ${job.id} (${job.scriptType}) did not finish within ${waitMs} ms. It is still running on a worker, which ` +
          `kills it at the job's timeout of ${job.timeoutMs} ms; its status is now \`timed-out\`.`,
      );
    }
    throw new JobTimeoutError(
      job.id,
      waitMs,
      `Job ${job.id} (${job.scriptType}) did not finish within ${waitMs} ms: ` +
        (settled.removed
          ? `no ${job.scriptType} worker took it (are any running?), so it was removed from queue ${jobQueueName(job.scriptType)}.`
          : `it was ${settled.state}; its status is now \`timed-out\`.`),
    );
  }

  /** Reads the job's state; a job not finished is marked timed out, and removed when still waiting. */
  async #settleAfterDeadline(
    job: Job,
  ): Promise<
    | { type: 'completed'; result: JobResult }
    | { type: 'failed'; failedReason: string }
    | { type: 'active' }
    | { type: 'gave-up'; state: string; removed: boolean }
  > {
    const queue = this.#queueFor(job.scriptType);
    const current = await queue.getJob(job.id);
    const state = current ? await current.getState() : 'unknown';
    if (state === 'completed' && current) return { type: 'completed', result: current.returnvalue as JobResult };
    if (state === 'failed' && current) return { type: 'failed', failedReason: current.failedReason ?? 'failed' };
    await this.#commands.set(timedOutJobKey(this.prefix, job.id), String(Date.now()), 'EX', JOB_RETENTION.age);
    if (state === 'active') return { type: 'active' };
    // Waiting (or delayed for a retry): take it off the queue so no worker starts it after its caller left.
    const removed = await queue.remove(job.id).catch(() => 0);
    return { type: 'gave-up', state, removed: removed === 1 };
  }

  /** A worker-side timeout is a `JobTimeoutError`; every other failure a `JobFailedError`. */
  #failure(jobId: string, failedReason: string, timeoutMs: number): JobFailedError | JobTimeoutError {
    const { reason, stderr } = decodeFailure(failedReason);
    if (reason.startsWith(TIMED_OUT_REASON_PREFIX))
      return new JobTimeoutError(jobId, timeoutMs, `Job ${jobId}: ${reason}`);
    const tail = stderr === '' ? '' : `\n${stderr.trimEnd()}`;
    return new JobFailedError(jobId, reason, stderr, `Job ${jobId} failed: ${reason}${tail}`);
  }

  /**
   * `created | waiting | active | completed | failed | timed-out | unknown` (see `job-status.ts`). Throws
   * `RedisUnavailableError` when Redis does not answer within `timeoutMs`.
   */
  async getJobStatus(jobId: string, { timeoutMs }: ReadJobOptions = {}): Promise<JobStatus> {
    return this.#read(jobId, 'the status', timeoutMs, async () => {
      const found = await this.#findJob(jobId);
      const [timedOut, created] = await Promise.all([
        this.#commands.exists(timedOutJobKey(this.prefix, jobId)),
        found ? Promise.resolve(0) : this.#commands.exists(createdJobKey(this.prefix, jobId)),
      ]);
      return toJobStatus({
        state: found?.state ?? 'unknown',
        failedReason: found?.job.failedReason,
        callerTimedOut: timedOut === 1,
        created: created === 1,
      });
    });
  }

  /** The stdout of a completed job; `undefined` while it is not completed (or unknown). */
  async getJobOutput(jobId: string, options: ReadJobOptions = {}): Promise<string | undefined> {
    return (await this.getJobResult(jobId, options))?.stdout;
  }

  /** The whole result of a completed job; `undefined` while it is not completed (or unknown). */
  async getJobResult(jobId: string, { timeoutMs }: ReadJobOptions = {}): Promise<JobResult | undefined> {
    return this.#read(jobId, 'the result', timeoutMs, async () => {
      const found = await this.#findJob(jobId);
      return found?.state === 'completed' ? toJobResult(jobId, found.job.returnvalue) : undefined;
    });
  }

  async #read<T>(jobId: string, what: string, timeoutMs: number | undefined, read: () => Promise<T>): Promise<T> {
    const outcome = await callWithinDeadline(
      this.#commands,
      this.#deadline(timeoutMs ?? DEFAULT_READ_TIMEOUT_MS),
      read,
    );
    if (outcome.type === 'ok') return outcome.value;
    throw this.#unreachable(
      outcome,
      jobId,
      undefined,
      (redis) => `${redis}: cannot read ${what} of job ${jobId}. Try again once Redis is back.`,
    );
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

  async #loadCreated(jobId: string, deadline: number): Promise<Job> {
    const key = createdJobKey(this.prefix, jobId);
    const outcome = await callWithinDeadline(this.#commands, deadline, () => this.#commands.get(key));
    if (outcome.type === 'unreachable') {
      throw this.#unreachable(
        outcome,
        jobId,
        'no',
        (redis) =>
          `${redis}: created job ${jobId} could not be read, so it was NOT enqueued. Try again once Redis is back.`,
      );
    }
    const text = outcome.value;
    if (text === null) {
      throw new InvalidJobError('id', `No created job ${jobId}: create it with createJob() first (kept one day).`);
    }
    const stored = JSON.parse(text) as StoredJob;
    if (!isScriptType(stored.scriptType)) throw new InvalidJobError('scriptType', `Stored job ${jobId} is corrupt.`);
    return new Job({ ...stored, scriptType: stored.scriptType });
  }

  /**
   * Adds the job to its queue before `deadline`, retrying after a lost connection: safe, because the job id is its
   * BullMQ key and a duplicate id is ignored. Throws `RedisUnavailableError` (`no` or `maybe`) at the deadline.
   */
  async #enqueue(job: Job, deadline: number): Promise<BullJob> {
    const queue = this.#queueFor(job.scriptType);
    const outcome = await callWithinDeadline(this.#commands, deadline, () =>
      queue.add(SCRIPT_JOB_NAME, job.toData(), {
        jobId: job.id,
        attempts: job.retries + 1,
        backoff: RETRY_BACKOFF,
        removeOnComplete: JOB_RETENTION,
        removeOnFail: JOB_RETENTION,
      }),
    );
    if (outcome.type === 'ok') return outcome.value;
    throw this.#unreachable(outcome, job.id, outcome.sent ? 'maybe' : 'no', (redis) =>
      outcome.sent
        ? `${redis} stopped answering while job ${job.id} (${job.scriptType}) was being enqueued: it may be on queue ` +
          `${jobQueueName(job.scriptType)} and then runs once Redis is back. Check getJobStatus('${job.id}') before ` +
          'sending it again (sending the same Job again is safe: its id is its key).'
        : `${redis}: job ${job.id} (${job.scriptType}) was NOT enqueued. Send it again once Redis is back.`,
    );
  }

  /** A deadline `ms` from now, on the `performance.now()` clock; `ms` must be a positive integer. */
  #deadline(ms: number): number {
    if (!Number.isSafeInteger(ms) || ms <= 0) {
      throw new InvalidJobError('timeoutMs', `Expected \`timeoutMs\` to be a positive integer of ms, got \`${ms}\`.`);
    }
    return performance.now() + ms;
  }

  #unreachable(
    outcome: Extract<DeadlineOutcome<unknown>, { type: 'unreachable' }>,
    jobId: string | undefined,
    enqueued: 'no' | 'maybe' | 'yes' | undefined,
    message: (redis: string) => string,
  ): RedisUnavailableError {
    const redis = `Redis at ${this.#resolved.display} is unreachable (${outcome.detail})`;
    return new RedisUnavailableError(this.#resolved.display, jobId, enqueued, message(redis));
  }

  #queueFor(scriptType: ScriptType): Queue {
    let queue = this.#queues.get(scriptType);
    if (!queue) {
      const created = new Queue(jobQueueName(scriptType), { connection: this.#commands, prefix: this.prefix });
      created.on('error', (error: Error) =>
        this.#logger?.warn({ scriptType, err: { message: error.message } }, 'job queue error'),
      );
      // BullMQ trap: a queue whose first connection attempt failed keeps that failure forever; start a new one.
      created.waitUntilReady().catch(() => {
        if (this.#queues.get(scriptType) === created) this.#queues.delete(scriptType);
        void created.close().catch(() => {});
      });
      this.#queues.set(scriptType, created);
      queue = created;
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
      events = created.waitUntilReady().then(
        () => created,
        (error: unknown) => {
          // Not cached: the next caller tries again.
          if (this.#events.get(scriptType) === events) this.#events.delete(scriptType);
          void created.close().catch(() => {});
          throw error;
        },
      );
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

  /** Idempotent: closes queue events, queues, subscriptions, then the connections; logs each failure and goes on. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed.abort();
      const steps: [string, () => Promise<unknown>][] = [
        ['ping client', () => this.#pings.close()],
        ['job activity', () => this.#activity.close()],
        ...[...this.#events.values()].map(
          (events) =>
            [
              'queue events',
              async () => {
                const created = await events;
                // After a Redis outage the blocking XREAD of QueueEvents can be stranded and close() never
                // resolves: give it a bounded chance, then drop its connection.
                const closed = await settlesWithin(created.close(), CLOSE_STEP_TIMEOUT_MS);
                if (!closed) await created.disconnect();
              },
            ] as [string, () => Promise<unknown>],
        ),
        ...[...this.#queues.values()].map(
          (queue) => ['queue', () => queue.close()] as [string, () => Promise<unknown>],
        ),
        ['connection', async () => this.#connection.disconnect()],
        ['command connection', async () => this.#commands.disconnect()],
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

/** How long one cleanup step of `close()` may take before the next runs: close must end even after an outage. */
const CLOSE_STEP_TIMEOUT_MS = 2_000;

/** True when `work` settles within `ms` (rejections pass through): `withinMs` cannot tell a late void from done. */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return withinMs(
    work.then(() => true),
    ms,
  ).then((done) => done === true);
}

function assertJob(job: unknown): asserts job is Job {
  if (!(job instanceof Job)) {
    throw new InvalidJobError('job', 'Expected a Job built with supervisor.newJob()...build() (or new JobBuilder()).');
  }
}
