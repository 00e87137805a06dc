/**
 * The shapes that travel through Redis: job data, job results, failure reasons, ping jobs and replies, job
 * activity events. Plain JSON, so a worker in another language or a plain BullMQ producer can take part
 * (src/transport/PROTOCOL.md specifies them; names come from `queue-names.ts`). The checks of what arrives are in
 * `protocol-check.ts`, against the schemas of `protocol-schemas.ts` (kept out of this module: the worker imports it
 * at start-up and must not load zod then).
 */
import type { PingReply } from '../../machines/worker.events.js';

/** The BullMQ job name of script jobs (on `jobs.<scriptType>`). */
export const SCRIPT_JOB_NAME = 'script';
/** The BullMQ job name of pings (on `control.<workerId>`). */
export const PING_JOB_NAME = 'ping';

/**
 * Finished script jobs stay readable for a day, at most 10,000 per queue and state (BullMQ `removeOnComplete` /
 * `removeOnFail` as `{ age, count }`; `true` would delete a result before `waitUntilFinished` could read it).
 * BullMQ trims older ones whenever a job finishes.
 */
export const JOB_RETENTION = { age: 24 * 60 * 60, count: 10_000 } as const;

/** A script job's BullMQ `data`. The BullMQ job id equals `id`. */
export interface JobData {
  /** uuid; also the BullMQ job id. */
  id: string;
  /** `python`, `osis`, `sal`, `v`: also in the queue name. */
  scriptType: string;
  /** The script's source; the worker writes it to the interpreter's stdin. */
  script: string;
  /** Extra environment variables for the interpreter (string values only). */
  env: Record<string, string>;
  /** The worker kills the interpreter's process group after this long and fails the job as timed out. */
  timeoutMs: number;
  callerId: string;
  contextId: string;
  /** Epoch ms (the producer's clock). */
  createdAt: number;
}

/** A completed script job's BullMQ `returnvalue`. */
export interface JobResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  workerId: string;
  durationMs: number;
}

/**
 * A failed job's BullMQ `failedReason`: a one-line reason, then (when the script wrote any) `\nstderr:\n` and
 * the script's stderr. `encodeFailure`/`decodeFailure` are the only writers and readers.
 */
const STDERR_SEPARATOR = '\nstderr:\n';

/** Reasons that start with this mark a job the worker killed at its `timeoutMs` (`getJobStatus` → `timed-out`). */
export const TIMED_OUT_REASON_PREFIX = 'Job timed out';

export function encodeFailure(reason: string, stderr = ''): string {
  const oneLine = reason.replace(/\s*\n\s*/g, ' ');
  return stderr === '' ? oneLine : `${oneLine}${STDERR_SEPARATOR}${stderr}`;
}

export function decodeFailure(failedReason: string): { reason: string; stderr: string } {
  const at = failedReason.indexOf(STDERR_SEPARATOR);
  if (at === -1) return { reason: failedReason, stderr: '' };
  return { reason: failedReason.slice(0, at), stderr: failedReason.slice(at + STDERR_SEPARATOR.length) };
}

/** A ping job's BullMQ `data`. The worker answers only while `sentAt + timeoutMs >= now` (its clock). */
export interface PingJobData {
  type: 'ping';
  /** Epoch ms when the ping was sent. */
  sentAt: number;
  timeoutMs: number;
  /** Optional: also publish `{ jobId, reply }` (JSON) here, which is faster than waiting for BullMQ's events. */
  replyChannel?: string;
}

/** What a worker publishes on `PingJobData.replyChannel`. The ping job's `returnvalue` is `reply` itself. */
export interface PingReplyMessage {
  jobId: string;
  reply: PingReply;
}

/** What workers publish on `<prefix>:activity` (JSON), once when a job starts and once when it finishes. */
export interface JobActivity {
  workerId: string;
  jobId: string;
  phase: 'started' | 'finished';
  /** Epoch ms (the worker's clock). */
  at: number;
  scriptType?: string;
  /** Only on `finished`. */
  outcome?: 'completed' | 'failed';
}
