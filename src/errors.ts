/**
 * Every error hero-supervisor throws on purpose: one base class with a machine-readable `code`,
 * subclasses per kind. Messages say what happened, where, and what to do.
 */

export type SupervisorErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_SPEC'
  | 'UNKNOWN_SERVICE'
  | 'SERVICE_EXISTS'
  | 'BACKEND_UNAVAILABLE'
  | 'ZINIT_PROTOCOL'
  | 'SPAWN_FAILED'
  | 'WORKER_START_FAILED'
  | 'WORKER_NOT_FOUND'
  | 'INVALID_JOB'
  | 'JOB_TIMEOUT'
  | 'JOB_FAILED'
  | 'JOB_NOT_FOUND'
  | 'REDIS_UNAVAILABLE'
  | 'INTEGRITY'
  | 'ADMIN';

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
