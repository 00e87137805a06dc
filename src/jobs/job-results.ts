/**
 * Waiting for results (as BullMQ's `QueueEvents` and `waitUntilFinished`): enqueue a job and settle with its result,
 * its failure, or a timeout that leaves nothing dangling unseen, within the caller's deadline whatever Redis does.
 */
import type { QueueEvents } from 'bullmq';
import { MAX_DURATION_MS } from '../limits.js';
import { claimedJobKey, timedOutJobKey } from '../transport/queue-names.js';
import { callWithinDeadline } from '../transport/redis-deadline.js';
import { JOB_RETENTION, type JobResult } from '../transport/wire-protocol.js';
import { withinMs } from '../within-ms.js';
import { resultOfFinishedJob } from './finished-job.js';
import type { Job } from './job.js';
import {
  assertJob,
  closedWhileAwaited,
  deadlineIn,
  gaveUp,
  jobFailure,
  stillRunning,
  unreachableMessages,
} from './job-errors.js';
import { claimToken, releaseJobId } from './job-id-claim.js';
import type { JobProducer } from './job-producer.js';
import type { JobQueues } from './job-queues.js';
import type { JobReader } from './job-reader.js';

/** `runJobAndAwaitResult` without `timeoutMs` waits every attempt's timeout plus this much for queueing. */
const QUEUE_WAIT_ALLOWANCE_MS = 5_000;

/**
 * After a caller's deadline, reading the job's final state (and removing it, or marking it timed out) may take this
 * long more: the answer comes within `timeoutMs` plus this, whatever Redis does.
 */
const AFTER_DEADLINE_BUDGET_MS = 1_000;

type Finish =
  | { type: 'completed'; returnvalue: unknown }
  | { type: 'failed'; failedReason: string }
  | { type: 'closed' };

type Settled =
  | { type: 'completed'; returnvalue: unknown }
  | { type: 'failed'; failedReason: string }
  | { type: 'active' }
  | { type: 'gave-up'; state: string; removed: boolean };

export class JobResults {
  readonly #queues: JobQueues;
  readonly #producer: JobProducer;
  readonly #reader: JobReader;
  /**
   * Told by `close()`: callers still waiting for a result. A Set, not listeners on one AbortSignal: an EventTarget
   * warns (MaxListenersExceededWarning) past 10 listeners, and every waiting caller is one.
   */
  readonly #closeWaiters = new Set<() => void>();
  #closed = false;

  constructor(queues: JobQueues, producer: JobProducer, reader: JobReader) {
    this.#queues = queues;
    this.#producer = producer;
    this.#reader = reader;
  }

  /** Tells every waiting caller that the supervisor closed; later waits end at once. */
  close(): void {
    this.#closed = true;
    for (const onClosed of this.#closeWaiters) onClosed();
    this.#closeWaiters.clear();
  }

  async runJobAndAwaitJobResult(job: Job, timeoutMs: number | undefined): Promise<JobResult> {
    assertJob(job);
    // The derived wait is capped at the timer limit (a caller's own `timeoutMs` above it is refused by deadlineIn).
    const waitMs = timeoutMs ?? Math.min(MAX_DURATION_MS, job.timeoutMs * (job.retries + 1) + QUEUE_WAIT_ALLOWANCE_MS);
    const deadline = deadlineIn(waitMs);
    // Listen before enqueueing, so a fast worker's `completed` event cannot be missed.
    const events = await withinMs(
      this.#queues.eventsFor(job.scriptType).catch(() => undefined),
      deadline - performance.now(),
    );
    if (!events) {
      throw this.#queues.unreachable(
        { type: 'unreachable', sent: false, detail: `no job events within ${waitMs} ms` },
        job.id,
        'no',
        unreachableMessages.notEnqueued(job),
      );
    }
    const finish = this.#awaitFinish(events, job.id);
    try {
      await this.#producer.enqueue(job, deadline);
      // The job may have finished before the events stream was read (BullMQ's waitUntilFinished checks this too).
      const early = await withinMs(
        this.#reader.finished(job),
        Math.min(AFTER_DEADLINE_BUDGET_MS, deadline - performance.now()),
      );
      if (early?.state === 'completed') return resultOfFinishedJob(job.id, early.job.returnvalue);
      if (early?.state === 'failed') throw jobFailure(job.id, early.job.failedReason ?? 'failed', job.timeoutMs);
      const finished = await withinMs(finish.promise, deadline - performance.now());
      if (finished?.type === 'completed') return resultOfFinishedJob(job.id, finished.returnvalue);
      if (finished?.type === 'failed') throw jobFailure(job.id, finished.failedReason, job.timeoutMs);
      return await this.#afterWaitFailed(job, waitMs);
    } finally {
      finish.cancel();
    }
  }

  /** Resolves on the job's `completed` or `failed` event (or when the supervisor closes); `cancel` stops listening. */
  #awaitFinish(events: QueueEvents, jobId: string): { promise: Promise<Finish>; cancel: () => void } {
    // BullMQ emits `completed:<id>` and `failed:<id>` too, outside its typed listener map.
    const emitter = events as unknown as NodeJS.EventEmitter;
    let cancel = () => {};
    const promise = new Promise<Finish>((resolve) => {
      const onCompleted = (args: { returnvalue: unknown }) =>
        resolve({ type: 'completed', returnvalue: args.returnvalue });
      const onFailed = (args: { failedReason: string }) => resolve({ type: 'failed', failedReason: args.failedReason });
      const onClosed = () => resolve({ type: 'closed' });
      emitter.on(`completed:${jobId}`, onCompleted);
      emitter.on(`failed:${jobId}`, onFailed);
      if (this.#closed) onClosed();
      else this.#closeWaiters.add(onClosed);
      cancel = () => {
        emitter.off(`completed:${jobId}`, onCompleted);
        emitter.off(`failed:${jobId}`, onFailed);
        this.#closeWaiters.delete(onClosed);
      };
    });
    return { promise, cancel };
  }

  /**
   * The caller's deadline passed: decides, from the job's actual state, whether it was a failure, a timeout, or a
   * just-in-time finish. Bounded by AFTER_DEADLINE_BUDGET_MS: Redis may be gone.
   */
  async #afterWaitFailed(job: Job, waitMs: number): Promise<JobResult> {
    if (this.#closed) throw closedWhileAwaited(job.id);
    const outcome = await callWithinDeadline(this.#queues.commands, deadlineIn(AFTER_DEADLINE_BUDGET_MS), () =>
      this.#settleAfterDeadline(job),
    );
    if (outcome.type === 'unreachable') {
      throw this.#queues.unreachable(outcome, job.id, 'yes', unreachableMessages.resultLate(job, waitMs));
    }
    const settled = outcome.value;
    if (settled.type === 'completed') return resultOfFinishedJob(job.id, settled.returnvalue);
    if (settled.type === 'failed') throw jobFailure(job.id, settled.failedReason, job.timeoutMs);
    if (settled.type === 'active') throw stillRunning(job, waitMs);
    throw gaveUp(job, waitMs, settled.state, settled.removed);
  }

  /** Reads the job's state; a job not finished is marked timed out, and removed when still waiting. */
  async #settleAfterDeadline(job: Job): Promise<Settled> {
    const { commands, prefix } = this.#queues;
    const queue = this.#queues.queueFor(job.scriptType);
    const current = await queue.getJob(job.id);
    const state = current ? await current.getState() : 'unknown';
    if (state === 'completed' && current) return { type: 'completed', returnvalue: current.returnvalue };
    if (state === 'failed' && current) return { type: 'failed', failedReason: current.failedReason ?? 'failed' };
    await commands.set(timedOutJobKey(prefix, job.id), String(Date.now()), 'EX', JOB_RETENTION.age);
    if (state === 'active') return { type: 'active' };
    // Waiting (or delayed for a retry): take it off the queue so no worker starts it after its caller left.
    const removed = await queue.remove(job.id).catch(() => 0);
    // Removed before it ran: its id is free again for a new job.
    if (removed === 1) await releaseJobId(commands, claimedJobKey(prefix, job.id), claimToken(job));
    return { type: 'gave-up', state, removed: removed === 1 };
  }
}
