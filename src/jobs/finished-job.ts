/**
 * The one place where a finished job's return value (BullMQ `returnvalue`, written by the worker) becomes the
 * caller's `JobResult`: every path that answers a caller with a result (the completion event, a job found already
 * finished, the read after a deadline, `getJobResult`) goes through `resultOfFinishedJob`.
 */
import type { JobResult } from '../transport/wire-protocol.js';

export function resultOfFinishedJob(returnvalue: unknown): JobResult {
  return returnvalue as JobResult;
}
