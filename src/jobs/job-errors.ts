/**
 * Every error the job client throws, worded in one place: what happened to which job, and what the caller can do.
 * The producer, the result waiter and the reader (job-producer.ts, job-results.ts, job-reader.ts) only pick one.
 */
import {
  InvalidJobError,
  JobFailedError,
  JobIdInUseError,
  JobTimeoutError,
  RedisUnavailableError,
  SupervisorError,
} from '../errors.js';
import { MAX_DURATION_MS, MAX_DURATION_TEXT } from '../limits.js';
import { jobQueueName } from '../transport/queue-names.js';
import { decodeFailure, TIMED_OUT_REASON_PREFIX } from '../transport/wire-protocol.js';
import { Job } from './job.js';

/** Where and why Redis did not answer: `Redis at redis://:***@host:port is unreachable (<detail>)`. */
export function redisUnreachable(
  display: string,
  detail: string,
  jobId: string | undefined,
  enqueued: 'no' | 'maybe' | 'yes' | undefined,
  message: (redis: string) => string,
): RedisUnavailableError {
  return new RedisUnavailableError(display, jobId, enqueued, message(`Redis at ${display} is unreachable (${detail})`));
}

/** The `message` callbacks of `redisUnreachable`, one per situation. */
export const unreachableMessages = {
  notStored: (jobId: string) => (redis: string) =>
    `${redis}: job ${jobId} was NOT stored. Call createJob again once Redis is back.`,
  maybeStored: (jobId: string) => (redis: string) =>
    `${redis} stopped answering while job ${jobId} was being stored: it may be stored. Check ` +
    `getJobStatus('${jobId}') (\`created\`) or call createJob again with the same Job (safe).`,
  notEnqueued: (job: Job) => (redis: string) =>
    `${redis}: job ${job.id} (${job.scriptType}) was NOT enqueued. Send it again once Redis is back.`,
  notEnqueuedMaybeClaimed: (job: Job, sent: boolean) => (redis: string) =>
    `${redis}: job ${job.id} (${job.scriptType}) was NOT enqueued` +
    (sent ? ', but its id may be claimed for it: send the same Job again' : ': send it again') +
    ' once Redis is back.',
  maybeEnqueued: (job: Job) => (redis: string) =>
    `${redis} stopped answering while job ${job.id} (${job.scriptType}) was being enqueued: it may be on queue ` +
    `${jobQueueName(job.scriptType)} and then runs once Redis is back. Check getJobStatus('${job.id}') before ` +
    'sending it again (sending the same Job again is safe: the claim on its id recognises it).',
  resultLate: (job: Job, waitMs: number) => (redis: string) =>
    `Job ${job.id} (${job.scriptType}) was enqueued, but ${redis}, so its result did not arrive ` +
    `within ${waitMs} ms. It stays queued and runs once Redis is back: read it later ` +
    `with getJobStatus('${job.id}') and getJobOutput('${job.id}').`,
  createdUnreadable: (jobId: string) => (redis: string) =>
    `${redis}: created job ${jobId} could not be read, so it was NOT enqueued. Try again once Redis is back.`,
  cannotRead: (jobId: string, what: string) => (redis: string) =>
    `${redis}: cannot read ${what} of job ${jobId}. Try again once Redis is back.`,
};

/** A worker-side timeout is a `JobTimeoutError`; every other failure a `JobFailedError`. */
export function jobFailure(jobId: string, failedReason: string, timeoutMs: number): JobFailedError | JobTimeoutError {
  const { reason, stderr } = decodeFailure(failedReason);
  if (reason.startsWith(TIMED_OUT_REASON_PREFIX))
    return new JobTimeoutError(jobId, timeoutMs, `Job ${jobId}: ${reason}`);
  const tail = stderr === '' ? '' : `\n${stderr.trimEnd()}`;
  return new JobFailedError(jobId, reason, stderr, `Job ${jobId} failed: ${reason}${tail}`);
}

/** The caller's wait ended while the job still runs: its worker kills it at the job's own timeout. */
export function stillRunning(job: Job, waitMs: number): JobTimeoutError {
  return new JobTimeoutError(
    job.id,
    waitMs,
    `Job ${job.id} (${job.scriptType}) did not finish within ${waitMs} ms. It is still running on a worker, which ` +
      `kills it at the job's timeout of ${job.timeoutMs} ms; its status is now \`timed-out\`.`,
  );
}

/** The caller's wait ended before a worker took the job (then removed) or while it waited for a retry. */
export function gaveUp(job: Job, waitMs: number, state: string, removed: boolean): JobTimeoutError {
  return new JobTimeoutError(
    job.id,
    waitMs,
    `Job ${job.id} (${job.scriptType}) did not finish within ${waitMs} ms: ` +
      (removed
        ? `no ${job.scriptType} worker took it (are any running?), so it was removed from queue ${jobQueueName(job.scriptType)}.`
        : `it was ${state}; its status is now \`timed-out\`.`),
  );
}

export function closedWhileAwaited(jobId: string): SupervisorError {
  return new SupervisorError('JOB_FAILED', `The supervisor closed while job ${jobId} was awaited.`);
}

export function jobIdInUse(jobId: string, state: string): JobIdInUseError {
  return new JobIdInUseError(
    jobId,
    state,
    `Job id \`${jobId}\` is in use by another job (${state}): a job id names one job, kept one day after it ` +
      `finishes. Send this job with another id (or none: a uuid), or read the other job with getJobStatus('${jobId}').`,
  );
}

export function noCreatedJob(jobId: string): InvalidJobError {
  return new InvalidJobError('id', `No created job ${jobId}: create it with createJob() first (kept one day).`);
}

export function corruptStoredJob(jobId: string): InvalidJobError {
  return new InvalidJobError('scriptType', `Stored job ${jobId} is corrupt.`);
}

/** A deadline `ms` from now, on the `performance.now()` clock; `ms` must be a positive integer within the limit. */
export function deadlineIn(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new InvalidJobError('timeoutMs', `Expected \`timeoutMs\` to be a positive integer of ms, got \`${ms}\`.`);
  }
  if (ms > MAX_DURATION_MS) {
    throw new InvalidJobError('timeoutMs', `Expected \`timeoutMs\` to be at most ${MAX_DURATION_TEXT}, got \`${ms}\`.`);
  }
  return performance.now() + ms;
}

/** The error of a `timeoutMs` option out of range (the factory `assertDuration` of src/limits.ts takes). */
export function invalidTimeout(field: string, message: string): InvalidJobError {
  return new InvalidJobError(field, message);
}

export function assertJob(job: unknown): asserts job is Job {
  if (!(job instanceof Job)) {
    throw new InvalidJobError('job', 'Expected a Job built with supervisor.newJob()...build() (or new JobBuilder()).');
  }
}
