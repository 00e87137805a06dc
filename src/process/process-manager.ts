/**
 * The contract every process-manager backend implements: the embedded Node.js backend (the default) and
 * the Zinit client. The supervisor only ever talks to this interface.
 *
 * @remarks What is *not* in it: sockets, wire formats, config files, pid files. Those belong to a backend.
 */
import type { ProcessEventListener } from './process-events.js';

/** Default of `ServiceSpec.stopTimeoutMs`: how long stop() waits after the stop signal before SIGKILL. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * How long a backend waits for a process to be gone after SIGKILL. The kernel ends it at once; this only bounds the
 * wait for one stuck in uninterruptible sleep (D state, e.g. on a dead NFS mount).
 */
export const KILL_CONFIRM_TIMEOUT_MS = 5_000;

/** How a non-oneshot service is restarted after it exits on its own. */
export interface RestartPolicy {
  /**
   * `always` restarts after any exit, `on-failure` after a non-zero exit or a signal, `never` leaves it down
   * (the supervisor's worker actors then decide). Zinit only knows `always`.
   * @defaultValue 'always'
   */
  mode?: 'always' | 'on-failure' | 'never';
  /** Delay before the n-th consecutive restart (n starts at 1). @defaultValue () => 0 */
  backoffMs?: (attempt: number) => number;
}

export interface ServiceSpec {
  /** Unique name: letters, digits, `_` and `-` (Zinit refuses `.`, `/` and `\`). */
  name: string;
  /** argv, binary first. Never a shell string: each element arrives literally. */
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Working directory. @defaultValue the supervisor's cwd (embedded), `/` (Zinit) */
  cwd?: string;
  /** argv of a check that exits 0 once the service is healthy; retried until it does. */
  healthCheck?: readonly string[];
  /** Names of services that must be running (or, for a oneshot, have succeeded) before this one starts. */
  after?: readonly string[];
  /** Runs once to completion; never restarted. @defaultValue false */
  oneshot?: boolean;
  /** @defaultValue 'SIGTERM' */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits after the stop signal before SIGKILL. @defaultValue DEFAULT_STOP_TIMEOUT_MS (10_000) */
  stopTimeoutMs?: number;
  restart?: RestartPolicy;
  /** Run as this user id (embedded backend). */
  uid?: number;
  /** Run as this group id (embedded backend). */
  gid?: number;
}

export type ServiceState =
  | 'unknown'
  | 'blocked'
  | 'spawned'
  | 'running'
  | 'success'
  | 'error'
  | 'failure'
  | 'test-failure'
  | 'stopped';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  /** 0 when no process runs. */
  pid: number;
  target: 'up' | 'down';
  /** Each dependency with its current state. */
  dependencies: Readonly<Record<string, ServiceState>>;
  /** Why it is in an error or failure state, when known (`exited with code 3`). */
  reason?: string;
}

export interface LogOptions {
  /** Return at most the last `tail` lines already captured. */
  tail?: number;
  /** Keep yielding new lines until the iterator is returned. @defaultValue false */
  follow?: boolean;
}

export interface StopOptions {
  /** @defaultValue the spec's stopSignal */
  signal?: NodeJS.Signals;
  /** @defaultValue the spec's stopTimeoutMs */
  timeoutMs?: number;
}

/**
 * The one rule for stop()'s timeout, shared by every backend: the call's `timeoutMs`, else the spec's
 * `stopTimeoutMs`, else the backend's default (DEFAULT_STOP_TIMEOUT_MS unless the backend is configured otherwise).
 */
export function resolveStopTimeoutMs(
  options: StopOptions | undefined,
  spec: Pick<ServiceSpec, 'stopTimeoutMs'> | undefined,
  defaultMs: number = DEFAULT_STOP_TIMEOUT_MS,
): number {
  return options?.timeoutMs ?? spec?.stopTimeoutMs ?? defaultMs;
}

export interface ProcessManager {
  // ---- capabilities ------------------------------------------------------------------------------
  /**
   * How long after a service exits on its own this backend may respawn it by itself (Zinit does, after a fixed
   * sleep). The supervisor waits this long before restarting such a worker itself, so that it does not kill the
   * fresh process the backend has just started. Absent or 0: the backend never respawns behind the supervisor's back.
   */
  readonly respawnGraceMs?: number;

  // ---- declaration -------------------------------------------------------------------------------
  /** Declares or updates a service (without starting it). Throws InvalidSpecError naming the field. */
  ensureService(spec: ServiceSpec): Promise<void>;
  /** Forgets a service; it must be stopped first. */
  remove(name: string): Promise<void>;

  // ---- lifecycle ---------------------------------------------------------------------------------
  start(name: string): Promise<void>;
  /** Graceful: stop signal to the process group, wait, then SIGKILL; resolves once the process is gone. */
  stop(name: string, options?: StopOptions): Promise<void>;
  restart(name: string): Promise<void>;
  kill(name: string, signal: NodeJS.Signals): Promise<void>;

  // ---- inspection --------------------------------------------------------------------------------
  status(name: string): Promise<ServiceStatus>;
  list(): Promise<ServiceStatus[]>;
  logs(name: string, options?: LogOptions): AsyncIterable<string>;

  // ---- events ------------------------------------------------------------------------------------
  /** Normalized status events; returns an unsubscribe function. */
  subscribe(listener: ProcessEventListener): () => void;

  /** Idempotent. The embedded backend stops every child; the Zinit client only disconnects. */
  close(): Promise<void>;
}
