/**
 * Every error hero-supervisor throws on purpose: one base class with a machine-readable `code`,
 * subclasses per kind. Messages say what happened, where, and what to do.
 */

export type SupervisorErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_SPEC'
  | 'UNKNOWN_SERVICE'
  | 'SERVICE_EXISTS'
  | 'SERVICE_NOT_STOPPED'
  | 'BACKEND_UNAVAILABLE'
  | 'ZINIT_PROTOCOL'
  | 'SPAWN_FAILED'
  | 'WORKER_START_FAILED'
  | 'WORKER_NOT_FOUND'
  | 'INVALID_JOB'
  | 'INVALID_JOB_RESULT'
  | 'JOB_TIMEOUT'
  | 'JOB_FAILED'
  | 'JOB_NOT_FOUND'
  | 'JOB_ID_IN_USE'
  | 'REDIS_UNAVAILABLE'
  | 'INTEGRITY'
  | 'ADMIN'
  | 'DAEMON_UNREACHABLE'
  | 'DAEMON_ALREADY_RUNNING'
  | 'UNAUTHORIZED';

export interface SupervisorErrorOptions {
  cause?: unknown;
}

export class SupervisorError extends Error {
  readonly code: SupervisorErrorCode;

  constructor(code: SupervisorErrorCode, message: string, options: SupervisorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is wrong; `path` names it (`scriptTypes.python.max`). */
export class ConfigError extends SupervisorError {
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    options?: SupervisorErrorOptions,
  ) {
    super('INVALID_CONFIG', message, options);
  }
}

/** A service spec given to a process manager is invalid: which field, and why. */
export class InvalidSpecError extends SupervisorError {
  constructor(
    readonly field: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('INVALID_SPEC', message, options);
  }
}

export class UnknownServiceError extends SupervisorError {
  constructor(
    readonly service: string,
    options?: SupervisorErrorOptions,
  ) {
    super('UNKNOWN_SERVICE', `Unknown service "${service}": declare it with ensureService() first.`, options);
  }
}

export class ServiceExistsError extends SupervisorError {
  constructor(
    readonly service: string,
    options?: SupervisorErrorOptions,
  ) {
    super('SERVICE_EXISTS', `Service "${service}" already exists.`, options);
  }
}

/** remove() was asked for a service that still runs (or is starting): stop it first. */
export class ServiceNotStoppedError extends SupervisorError {
  constructor(
    readonly service: string,
    readonly state: string,
    options?: SupervisorErrorOptions,
  ) {
    super('SERVICE_NOT_STOPPED', `Service "${service}" is ${state}: stop() it before remove().`, options);
  }
}

/** The process manager cannot be reached (Zinit not running, socket missing...). */
export class BackendUnavailableError extends SupervisorError {
  constructor(message: string, options?: SupervisorErrorOptions) {
    super('BACKEND_UNAVAILABLE', message, options);
  }
}

/** Zinit answered something the client cannot use, or reported an error for a request. */
export class ZinitProtocolError extends SupervisorError {
  constructor(
    message: string,
    readonly zinitCode?: number,
    options?: SupervisorErrorOptions,
  ) {
    super('ZINIT_PROTOCOL', message, options);
  }
}

/** A process could not be spawned (missing binary, no execute permission...). */
export class SpawnError extends SupervisorError {
  constructor(
    readonly service: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('SPAWN_FAILED', message, options);
  }
}

/** A binary's sha256 does not match the one configured: it is refused. */
export class IntegrityError extends SupervisorError {
  constructor(message: string, options?: SupervisorErrorOptions) {
    super('INTEGRITY', message, options);
  }
}

/** A job given to the job API is invalid: `field` names it, the message says what was expected. */
export class InvalidJobError extends SupervisorError {
  constructor(
    readonly field: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('INVALID_JOB', message, options);
  }
}

/**
 * A job completed, but its worker's return value does not match the protocol's job result (a plain string, a missing
 * `stdout`...): `field` names what is wrong ('' when the value is not an object at all).
 */
export class InvalidJobResultError extends SupervisorError {
  constructor(
    readonly jobId: string,
    readonly field: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('INVALID_JOB_RESULT', message, options);
  }
}

/**
 * A job was sent with an id another job holds: `state` is that job's (`waiting`, `active`, `delayed`,
 * `prioritized`, `completed`, `failed`, `created`, or `claimed` while its sender is still enqueueing it). An id
 * stays in use while its job is kept (one day); the job sent first keeps it, and nobody gets another job's result.
 */
export class JobIdInUseError extends SupervisorError {
  constructor(
    readonly jobId: string,
    readonly state: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('JOB_ID_IN_USE', message, options);
  }
}

/** A caller stopped waiting for a job: it was removed if still waiting, or marked `timed-out`. */
export class JobTimeoutError extends SupervisorError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('JOB_TIMEOUT', message, options);
  }
}

/**
 * Redis did not answer within the caller's deadline. `redis` is where (password redacted); for a job sent, `enqueued`
 * says what became of it: `no` (nothing reached Redis: send it again), `maybe` (the command may have reached Redis:
 * check `getJobStatus(jobId)` before sending it again; re-sending the same Job is safe, its id is its key) or `yes`
 * (it is queued and runs once Redis is back, but its result could not be read in time).
 */
export class RedisUnavailableError extends SupervisorError {
  constructor(
    readonly redis: string,
    readonly jobId: string | undefined,
    readonly enqueued: 'no' | 'maybe' | 'yes' | undefined,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('REDIS_UNAVAILABLE', message, options);
  }
}

/** A worker failed a job: `workerError` is the worker's one-line reason, `stderr` the script's stderr (may be ''). */
export class JobFailedError extends SupervisorError {
  constructor(
    readonly jobId: string,
    readonly workerError: string,
    readonly stderr: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('JOB_FAILED', message, options);
  }
}

/**
 * Zinit refused a command: `command` is what was sent, `kind` what the refusal means (`is-up`, `is-down`,
 * `already-monitored`, `load-failed`, `invalid-signal`, `shutting-down`, ...), `zinitCode` the JSON-RPC code if any.
 */
export class ZinitCommandError extends ZinitProtocolError {
  constructor(
    readonly command: string,
    readonly kind: string,
    message: string,
    zinitCode?: number,
    options?: SupervisorErrorOptions,
  ) {
    super(message, zinitCode, options);
  }
}

/** A worker could not be started: `worker` names it, `reason` says why (spawn failure, integrity, timeout...). */
export class WorkerStartFailedError extends SupervisorError {
  constructor(
    readonly worker: string,
    readonly reason: string,
    options?: SupervisorErrorOptions,
  ) {
    super('WORKER_START_FAILED', `Worker "${worker}" failed to start: ${reason}`, options);
  }
}

/** No worker of that name is known to the lifecycle manager. */
export class WorkerNotFoundError extends SupervisorError {
  constructor(
    readonly worker: string,
    known: readonly string[] = [],
    options?: SupervisorErrorOptions,
  ) {
    const hint = known.length === 0 ? 'no workers are configured' : `known workers: ${known.slice(0, 10).join(', ')}`;
    super(
      'WORKER_NOT_FOUND',
      `Unknown worker "${worker}" (${hint}). Add it with addWorker() or startWorker(config).`,
      options,
    );
  }
}

/** A worker's script (or `execute` function) failed a job; the worker runtime turns it into the job's failure reason. */
export class ScriptError extends SupervisorError {
  readonly stderr: string;
  readonly exitCode: number | undefined;
  /** False for failures a retry cannot fix (a missing interpreter): the job fails at once, whatever its retries. */
  readonly retryable: boolean;
  /** The signal that killed the interpreter, when one did (`SIGTERM`, `SIGKILL`...). */
  readonly signal: NodeJS.Signals | undefined;

  constructor(
    message: string,
    details: { stderr?: string; exitCode?: number; retryable?: boolean; signal?: NodeJS.Signals } = {},
    options?: SupervisorErrorOptions,
  ) {
    super('JOB_FAILED', message, options);
    this.stderr = details.stderr ?? '';
    this.exitCode = details.exitCode;
    this.retryable = details.retryable ?? true;
    this.signal = details.signal;
  }
}

/** The CLI cannot reach the daemon's admin endpoint (nothing listening, socket missing). */
export class DaemonUnreachableError extends SupervisorError {
  constructor(
    readonly endpoint: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('DAEMON_UNREACHABLE', message, options);
  }
}

/** Another daemon runs on the same config (it holds the lock at `lockPath`): this one starts nothing. */
export class DaemonAlreadyRunningError extends SupervisorError {
  constructor(
    readonly pid: number,
    readonly lockPath: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('DAEMON_ALREADY_RUNNING', message, options);
  }
}

/** The admin endpoint refused the request: no token, or the wrong one. */
export class UnauthorizedError extends SupervisorError {
  constructor(message: string, options?: SupervisorErrorOptions) {
    super('UNAUTHORIZED', message, options);
  }
}

/** The admin endpoint answered with an error; `status` is the HTTP status, `remoteCode` the daemon's error code. */
export class AdminRequestError extends SupervisorError {
  constructor(
    readonly status: number,
    readonly remoteCode: string,
    message: string,
    options?: SupervisorErrorOptions,
  ) {
    super('ADMIN', message, options);
  }
}
