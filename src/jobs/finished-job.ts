/**
 * The one place where a finished job's return value (BullMQ `returnvalue`, written by the worker) becomes the
 * caller's `JobResult`: every path that answers a caller with a result (the completion event, a job found already
 * finished, the read after a deadline, `getJobResult`) goes through `resultOfFinishedJob`, which checks it against
 * the protocol's schema (src/transport/PROTOCOL.md) and throws InvalidJobResultError naming the field otherwise.
 */
import { toJobResult } from '../transport/protocol-check.js';
import type { JobResult } from '../transport/wire-protocol.js';

export function resultOfFinishedJob(jobId: string, returnvalue: unknown): JobResult {
  return toJobResult(jobId, returnvalue);
}
