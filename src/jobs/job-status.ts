/**
 * What `Supervisor.getJobStatus(id)` answers, from BullMQ's job state plus two markers of ours:
 *
 * | status      | meaning                                                                                   |
 * |-------------|-------------------------------------------------------------------------------------------|
 * | `created`   | stored by `createJob`, not yet started (`startJob`)                                       |
 * | `waiting`   | queued for a worker (BullMQ wait, delayed for a retry backoff, prioritized)               |
 * | `active`    | a worker runs it now                                                                      |
 * | `completed` | finished with exit code 0; `getJobOutput` returns its stdout                               |
 * | `failed`    | the script failed (non-zero exit, missing interpreter...), after all retries             |
 * | `timed-out` | the worker killed it at its `timeout`, or a caller gave up waiting (`runJobAndAwaitResult`) |
 * | `unknown`   | no such job, or it was trimmed after its retention (one day, 10,000 per queue)            |
 */
import type { JobState } from 'bullmq';
import { TIMED_OUT_REASON_PREFIX } from '../transport/wire-protocol.js';

export type JobStatus = 'created' | 'waiting' | 'active' | 'completed' | 'failed' | 'timed-out' | 'unknown';

export const JOB_STATUSES: readonly JobStatus[] = [
  'created',
  'waiting',
  'active',
  'completed',
  'failed',
  'timed-out',
  'unknown',
];

export interface StatusFacts {
  state: JobState | 'unknown';
  failedReason?: string;
  /** A caller gave up waiting for it (our `timed-out` marker key exists). */
  callerTimedOut: boolean;
  /** `createJob` stored it and `startJob` has not run. */
  created: boolean;
}

export function toJobStatus({ state, failedReason, callerTimedOut, created }: StatusFacts): JobStatus {
  switch (state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return callerTimedOut || failedReason?.startsWith(TIMED_OUT_REASON_PREFIX) ? 'timed-out' : 'failed';
    case 'active':
      return callerTimedOut ? 'timed-out' : 'active';
    case 'waiting':
    case 'delayed':
    case 'prioritized':
    case 'waiting-children':
      return callerTimedOut ? 'timed-out' : 'waiting';
    case 'unknown':
      return created ? 'created' : callerTimedOut ? 'timed-out' : 'unknown';
    default:
      return state satisfies never;
  }
}
