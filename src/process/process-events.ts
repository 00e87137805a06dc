/**
 * The normalized vocabulary of process status events: one for Zinit and for the embedded backend.
 * Each backend maps its raw status into these once; the worker machine consumes them as `process.*` events.
 */

export type ProcessEvent =
  /** The process was started (Zinit `Spawned`; embedded: the child's `spawn` event). */
  | { type: 'process.spawned'; service: string; pid: number; at: number }
  /** The process is up and, when it has a health check, the check passed (Zinit `Running`). */
  | { type: 'process.running'; service: string; pid: number; at: number }
  /** The process ended. `code` is set for a normal exit, `signal` when killed by one. */
  | {
      type: 'process.exited';
      service: string;
      pid: number | null;
      code: number | null;
      signal: NodeJS.Signals | null;
      at: number;
    }
  /** The process could not be started at all (Zinit `Failure`; embedded: `error` before `spawn`). */
  | { type: 'process.spawnFailed'; service: string; reason: string; at: number }
  /** The health check could not run or kept failing (Zinit `TestFailure`). */
  | { type: 'process.healthFailed'; service: string; reason: string; at: number }
  /** Waiting for dependencies listed in `after` (Zinit `Blocked`). */
  | { type: 'process.blocked'; service: string; waitingFor: readonly string[]; at: number }
  /** Stopped on request: target down and no process left. */
  | { type: 'process.stopped'; service: string; at: number };

export type ProcessEventType = ProcessEvent['type'];

export type ProcessEventListener = (event: ProcessEvent) => void;
