/**
 * The events a worker actor understands and the shapes its invoked actors exchange. Pure types: the
 * process-manager backends, the ping client and the lifecycle manager all speak this vocabulary.
 */

/** What a worker answers to a ping, without running a script. */
export interface PingReply {
  workerId: string;
  pid: number;
  uptimeMs: number;
  jobsProcessed: number;
  activeJobs: number;
  version: string;
}

/**
 * The outcome of one ping. `transport-down` means the transport, not the worker, is to blame: Redis unreachable,
 * just reconnected (the workers are still reconnecting), or a fresh worker not connected yet. It is never counted
 * as a ping failure.
 */
export type PingOutcome =
  | { type: 'ok'; reply: PingReply; latencyMs: number }
  | { type: 'timeout'; timeoutMs: number }
  | { type: 'failed'; reason: string }
  /** Something answered, but not a valid ping reply (wrong shape, wrong worker): the worker's fault, like a timeout. */
  | { type: 'invalid-reply'; reason: string }
  | { type: 'transport-down'; reason: string };

/**
 * The one list of process facts, normalized for Zinit and the embedded backend alike: each backend maps its raw
 * status into these once. A backend emits them with the `service` they are about (`ProcessEvent` in
 * src/process/process-events.ts is this list plus `service`); the worker machine consumes them as they are.
 */
export type WorkerProcessEvent =
  /** The process was started (Zinit `Spawned`; embedded: the child's `spawn` event). */
  | { type: 'process.spawned'; pid: number; at: number }
  /** The process is up and, when it has a health check, the check passed (Zinit `Running`). */
  | { type: 'process.running'; pid: number; at: number }
  /** The process ended. `code` is set for a normal exit, `signal` (`SIGKILL`, ...) when killed by one. */
  | { type: 'process.exited'; pid: number | null; code: number | null; signal: string | null; at: number }
  /** The process could not be started at all (Zinit `Failure`; embedded: `error` before `spawn`). */
  | { type: 'process.spawnFailed'; reason: string; at: number }
  /** The health check could not run or kept failing (Zinit `TestFailure`). */
  | { type: 'process.healthFailed'; reason: string; at: number }
  /** Waiting for dependencies listed in `after` (Zinit `Blocked`). */
  | { type: 'process.blocked'; waitingFor: readonly string[]; at: number }
  /** Stopped on request: target down and no process left. */
  | { type: 'process.stopped'; at: number };

/** Operator commands. `at` is stamped by `src/` from the injected clock, like every other event. */
export type WorkerCommand =
  | { type: 'START'; at: number }
  | { type: 'STOP'; at: number }
  | { type: 'RESTART'; reason?: string; at: number }
  /** Ping an up worker now (from running or idle; ignored elsewhere); counted like a timed ping. */
  | { type: 'PING'; at: number };

/** A job started or finished on this worker (drives `lastJobAt`). */
export type WorkerJobEvent = { type: 'job.activity'; jobId?: string; at: number };

/** Take over a process that already runs (a new supervisor adopting Zinit's workers). */
export type WorkerAdoptEvent = { type: 'ADOPT'; pid: number; at: number };

export type WorkerEvent = WorkerCommand | WorkerAdoptEvent | WorkerProcessEvent | WorkerJobEvent;
