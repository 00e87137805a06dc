/**
 * Reading jobs (as BullMQ's `QueueGetters`): a job's status, its result, and which job holds an id, each within the
 * caller's deadline. A job is looked up by id in every script type's queue (ids are unique across them).
 */
import type { Job as BullJob } from 'bullmq';
import { createdJobKey, timedOutJobKey } from '../transport/queue-names.js';
import { callWithinDeadline } from '../transport/redis-deadline.js';
import type { JobResult } from '../transport/wire-protocol.js';
import { resultOfFinishedJob } from './finished-job.js';
import type { Job } from './job.js';
import { deadlineIn, unreachableMessages } from './job-errors.js';
import type { JobQueues } from './job-queues.js';
import { type JobStatus, toJobStatus } from './job-status.js';
import { SCRIPT_TYPES } from './script-type.js';

/** `getJobStatus`/`getJobOutput`/`getJobResult` without `timeoutMs`: one reconnect (≤ 1 s apart) plus the read. */
export const DEFAULT_READ_TIMEOUT_MS = 2_000;

/** Reading who holds an id, after a refused claim, gets at least this long. */
const HOLDER_READ_MS = 1_000;

export type FoundJob = { job: BullJob; state: Awaited<ReturnType<BullJob['getState']>> };

export class JobReader {
  readonly #queues: JobQueues;

  constructor(queues: JobQueues) {
    this.#queues = queues;
  }

  async getJobStatus(jobId: string, timeoutMs: number | undefined): Promise<JobStatus> {
    const { commands, prefix } = this.#queues;
    return this.#read(jobId, 'the status', timeoutMs, async () => {
      const found = await this.findJob(jobId);
      const [timedOut, created] = await Promise.all([
        commands.exists(timedOutJobKey(prefix, jobId)),
        found ? Promise.resolve(0) : commands.exists(createdJobKey(prefix, jobId)),
      ]);
      return toJobStatus({
        state: found?.state ?? 'unknown',
        failedReason: found?.job.failedReason,
        callerTimedOut: timedOut === 1,
        created: created === 1,
      });
    });
  }

  async getJobResult(jobId: string, timeoutMs: number | undefined): Promise<JobResult | undefined> {
    return this.#read(jobId, 'the result', timeoutMs, async () => {
      const found = await this.findJob(jobId);
      return found?.state === 'completed' ? resultOfFinishedJob(jobId, found.job.returnvalue) : undefined;
    });
  }

  /** The job and its state, looked up in every job queue; `undefined` for an id no queue has. */
  async findJob(jobId: string): Promise<FoundJob | undefined> {
    if (typeof jobId !== 'string' || jobId === '' || jobId.includes(':')) return undefined;
    const jobs = await Promise.all(SCRIPT_TYPES.map((type) => this.#queues.queueFor(type).getJob(jobId)));
    const job = jobs.find((candidate) => candidate !== undefined);
    if (!job) return undefined;
    return { job, state: await job.getState() };
  }

  /** The job and its state when it has finished (`completed`/`failed`); `undefined` otherwise or when unreadable. */
  async finished(job: Job): Promise<{ job: BullJob; state: string } | undefined> {
    try {
      // One round trip in the usual case (not finished yet); the job itself only when it has.
      const queue = this.#queues.queueFor(job.scriptType);
      const state = await queue.getJobState(job.id);
      if (state !== 'completed' && state !== 'failed') return undefined;
      const current = await queue.getJob(job.id);
      return current ? { job: current, state } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The state of the job holding an id: its BullMQ state, `created`, or `claimed` (its sender is enqueueing it). */
  async holderState(jobId: string, deadline: number): Promise<string> {
    const { commands, prefix } = this.#queues;
    const outcome = await callWithinDeadline(commands, Math.max(deadline, deadlineIn(HOLDER_READ_MS)), async () => {
      const found = await this.findJob(jobId);
      if (found) return found.state;
      return (await commands.exists(createdJobKey(prefix, jobId))) === 1 ? 'created' : 'claimed';
    });
    return outcome.type === 'ok' ? outcome.value : 'unknown';
  }

  async #read<T>(jobId: string, what: string, timeoutMs: number | undefined, read: () => Promise<T>): Promise<T> {
    const outcome = await callWithinDeadline(
      this.#queues.commands,
      deadlineIn(timeoutMs ?? DEFAULT_READ_TIMEOUT_MS),
      read,
    );
    if (outcome.type === 'ok') return outcome.value;
    throw this.#queues.unreachable(outcome, jobId, undefined, unreachableMessages.cannotRead(jobId, what));
  }
}
