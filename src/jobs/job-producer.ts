/**
 * Producing jobs (as BullMQ's `Queue`): store a job for later (`createJob`), enqueue it on `jobs.<scriptType>`
 * (`startJob`), each within the caller's deadline, with the job's id claimed first (job-id-claim.ts).
 */
import type { Job as BullJob } from 'bullmq';
import { claimedJobKey, createdJobKey, jobQueueName } from '../transport/queue-names.js';
import { callWithinDeadline } from '../transport/redis-deadline.js';
import { JOB_RETENTION, type JobData, SCRIPT_JOB_NAME } from '../transport/wire-protocol.js';
import { withinMs } from '../within-ms.js';
import { Job } from './job.js';
import { hasGeneratedId } from './job-builder.js';
import {
  assertJob,
  corruptStoredJob,
  deadlineIn,
  jobIdInUse,
  noCreatedJob,
  unreachableMessages,
} from './job-errors.js';
import { adoptClaimToken, claimJobId, claimToken } from './job-id-claim.js';
import type { JobQueues } from './job-queues.js';
import type { JobReader } from './job-reader.js';
import { isScriptType, SCRIPT_TYPES } from './script-type.js';

/** Backoff between retries of a failed job: 1 s, 2 s, 4 s... (BullMQ exponential). */
const RETRY_BACKOFF = { type: 'exponential', delay: 1_000 } as const;

/**
 * `createJob`/`startJob` without `timeoutMs` wait this long for Redis to take the job: long enough to ride out a Redis
 * restart (the connection retries at least every second), short enough that a caller learns soon that Redis is gone.
 */
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;

/** Removing the `created` key of a started job may take this long; it only costs memory until it expires. */
const CLEANUP_BUDGET_MS = 1_000;

/** What `createJob` stores: the wire data plus the retries, which otherwise travel as BullMQ `attempts`. */
interface StoredJob extends JobData {
  retries: number;
  /** The token its id was claimed with (job-id-claim.ts), so that `startJob(id)` is the same job. */
  claim?: string;
  /** Its id was generated (a random uuid): no claim was made, none is needed. */
  generatedId?: boolean;
}

export class JobProducer {
  readonly #queues: JobQueues;
  readonly #reader: JobReader;
  /** Jobs rebuilt from storage whose id was generated: like `hasGeneratedId`, no claim. */
  readonly #generated = new WeakSet<Job>();

  constructor(queues: JobQueues, reader: JobReader) {
    this.#queues = queues;
    this.#reader = reader;
  }

  async createJob(job: Job, timeoutMs: number | undefined): Promise<string> {
    assertJob(job);
    const deadline = deadlineIn(timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    await this.#claim(job, deadline);
    const stored: StoredJob = {
      ...job.toData(),
      retries: job.retries,
      claim: claimToken(job),
      generatedId: this.#hasGeneratedId(job),
    };
    const key = createdJobKey(this.#queues.prefix, job.id);
    const commands = this.#queues.commands;
    const outcome = await callWithinDeadline(commands, deadline, () =>
      commands.set(key, JSON.stringify(stored), 'EX', JOB_RETENTION.age),
    );
    if (outcome.type === 'unreachable') {
      throw this.#queues.unreachable(
        outcome,
        job.id,
        outcome.sent ? 'maybe' : 'no',
        outcome.sent ? unreachableMessages.maybeStored(job.id) : unreachableMessages.notStored(job.id),
      );
    }
    return job.id;
  }

  async startJob(jobOrId: Job | string, timeoutMs: number | undefined): Promise<string> {
    const deadline = deadlineIn(timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    const job = typeof jobOrId === 'string' ? await this.#loadCreated(jobOrId, deadline) : jobOrId;
    assertJob(job);
    await this.enqueue(job, deadline);
    if (typeof jobOrId === 'string') {
      // The job is on its queue now: a stale `created` key only costs memory until it expires (one day).
      const key = createdJobKey(this.#queues.prefix, job.id);
      void withinMs(
        this.#queues.commands.del(key).catch(() => 0),
        CLEANUP_BUDGET_MS,
      );
    }
    return job.id;
  }

  /**
   * Claims the job's id, then adds the job to its queue before `deadline`, retrying after a lost connection: safe,
   * because the claim recognises the same Job and BullMQ ignores a duplicate id. Throws `JobIdInUseError` when
   * another job has the id, `RedisUnavailableError` (`no` or `maybe`) at the deadline.
   */
  async enqueue(job: Job, deadline: number): Promise<BullJob> {
    await this.#claim(job, deadline);
    const queue = this.#queues.queueFor(job.scriptType);
    const outcome = await callWithinDeadline(this.#queues.commands, deadline, () =>
      queue.add(SCRIPT_JOB_NAME, job.toData(), {
        jobId: job.id,
        attempts: job.retries + 1,
        backoff: RETRY_BACKOFF,
        removeOnComplete: JOB_RETENTION,
        removeOnFail: JOB_RETENTION,
      }),
    );
    if (outcome.type === 'ok') return outcome.value;
    throw this.#queues.unreachable(
      outcome,
      job.id,
      outcome.sent ? 'maybe' : 'no',
      outcome.sent ? unreachableMessages.maybeEnqueued(job) : unreachableMessages.notEnqueued(job),
    );
  }

  /**
   * Claims the job's id for this job (job-id-claim.ts): throws `JobIdInUseError` (with the holder's state) when
   * another job has it, `RedisUnavailableError` (`no`: nothing was enqueued) when Redis does not answer in time.
   */
  async #claim(job: Job, deadline: number): Promise<void> {
    // A random uuid the builder generated cannot name another job: one round trip less per job.
    if (this.#hasGeneratedId(job)) return;
    const prefix = this.#queues.prefix;
    const keys = {
      claim: claimedJobKey(prefix, job.id),
      // BullMQ keeps a job in the hash `<prefix>:<queue>:<id>`; ids are unique across script types here.
      existing: [
        ...SCRIPT_TYPES.map((type) => `${prefix}:${jobQueueName(type)}:${job.id}`),
        createdJobKey(prefix, job.id),
      ],
    };
    const commands = this.#queues.commands;
    const outcome = await callWithinDeadline(commands, deadline, () =>
      claimJobId(commands, keys, claimToken(job), JOB_RETENTION.age),
    );
    if (outcome.type === 'unreachable') {
      throw this.#queues.unreachable(
        outcome,
        job.id,
        'no',
        unreachableMessages.notEnqueuedMaybeClaimed(job, outcome.sent),
      );
    }
    if (outcome.value === 'claimed' || outcome.value === 'mine') return;
    throw jobIdInUse(job.id, await this.#reader.holderState(job.id, deadline));
  }

  async #loadCreated(jobId: string, deadline: number): Promise<Job> {
    const key = createdJobKey(this.#queues.prefix, jobId);
    const commands = this.#queues.commands;
    const outcome = await callWithinDeadline(commands, deadline, () => commands.get(key));
    if (outcome.type === 'unreachable') {
      throw this.#queues.unreachable(outcome, jobId, 'no', unreachableMessages.createdUnreadable(jobId));
    }
    const text = outcome.value;
    if (text === null) throw noCreatedJob(jobId);
    const stored = JSON.parse(text) as StoredJob;
    if (!isScriptType(stored.scriptType)) throw corruptStoredJob(jobId);
    const job = new Job({ ...stored, scriptType: stored.scriptType });
    if (stored.claim !== undefined) adoptClaimToken(job, stored.claim);
    if (stored.generatedId === true) this.#generated.add(job);
    return job;
  }

  #hasGeneratedId(job: Job): boolean {
    return hasGeneratedId(job) || this.#generated.has(job);
  }
}
