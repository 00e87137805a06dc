/**
 * The contract between the worker runtime and what runs a job: `createWorker({ execute })` calls `execute` once per
 * job attempt. Throw a `ScriptError` (from `src/errors.ts`) to fail the job with stderr; any other error fails it
 * with its message. Honour `signal`: it aborts at the job's timeout and on a forced shutdown.
 */
import type { Logger } from 'pino';
import type { JobData } from '../transport/wire-protocol.js';

export interface ExecuteContext {
  jobId: string;
  workerId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted at the job's `timeoutMs` or when the worker is forced to stop; kill what you started. */
  signal: AbortSignal;
  logger: Logger | undefined;
}

export interface ExecuteOutput {
  stdout: string;
  stderr?: string;
  /** @defaultValue 0 */
  exitCode?: number;
  /** Measured by the runtime when absent. */
  durationMs?: number;
}

export type Execute = (job: JobData, context: ExecuteContext) => Promise<ExecuteOutput>;
