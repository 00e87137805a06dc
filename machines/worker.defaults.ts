/**
 * Default timings and limits of one supervised worker (see `machines/worker.machine.ts`). Declared once here;
 * `src/config/defaults.ts` reuses them. Every field can be overridden through the machine's `input.settings`.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface WorkerSettings {
  /** Without job activity for this long, a running worker counts as idle and gets pinged. @defaultValue 10 min */
  idleTimeoutMs: number;
  /** Between two pings of an idle worker. @defaultValue 10 min */
  pingIntervalMs: number;
  /** How long one ping may take before it counts as failed. @defaultValue 5 s */
  pingTimeoutMs: number;
  /** Consecutive failed pings (timeouts or errors; never transport-down) that trigger a restart. @defaultValue 3 */
  pingFailureThreshold: number;
  /** A start or restart that does not reach `running` within this time fails with `start-timeout`. @defaultValue 30 s */
  startTimeoutMs: number;
  /** Backoff before the n-th delayed restart: `backoffBaseMs × 2^(n-1)`, capped, with jitter. @defaultValue 100 ms */
  backoffBaseMs: number;
  /** Upper bound of one backoff delay. @defaultValue 30 s */
  backoffMaxMs: number;
  /** A worker that stayed up this long has its backoff reset: its next crash restarts at once. @defaultValue 30 s */
  resetBackoffAfterMs: number;
  /** More restarts than this within `restartWindowMs` and the worker gives up (reason `restart-intensity`). @defaultValue 5 */
  maxRestarts: number;
  /** The sliding window of the restart intensity, Erlang/OTP style. @defaultValue 60 s */
  restartWindowMs: number;
  /** A worker that gave up tries again by itself after this long (never a dead end). @defaultValue 5 min */
  giveUpCooldownMs: number;
  /**
   * After the process exited, the (first, otherwise immediate) restart waits at least this long for the backend's
   * own respawn: a backend that restarts services by itself (Zinit) must not have its fresh process killed by ours.
   * 0 for the embedded backend; the lifecycle manager sets it for Zinit. @defaultValue 0
   */
  backendRestartGraceMs: number;
}

export const defaultWorkerSettings = {
  idleTimeoutMs: 10 * MINUTE,
  pingIntervalMs: 10 * MINUTE,
  pingTimeoutMs: 5 * SECOND,
  pingFailureThreshold: 3,
  startTimeoutMs: 30 * SECOND,
  backoffBaseMs: 100,
  backoffMaxMs: 30 * SECOND,
  resetBackoffAfterMs: 30 * SECOND,
  maxRestarts: 5,
  restartWindowMs: 60 * SECOND,
  giveUpCooldownMs: 5 * MINUTE,
  backendRestartGraceMs: 0,
} as const satisfies WorkerSettings;
