/**
 * Zinit reports states as Rust `Debug` strings (`Running`, `Error(Exited(Pid(13294), 3))`,
 * `Error(Signaled(Pid(13301), SIGTERM, false))`). They are parsed here, once, by prefix: a version that adds detail
 * inside `Error(...)` still maps to `error`. (Upstream zinit-client matches an exact `"Error"` and so maps every real
 * error to Unknown; we do not.)
 */
import type { ServiceState } from '../process-manager.js';

export interface ParsedZinitState {
  state: ServiceState;
  /** The pid named inside `Error(Exited(Pid(n), ..))` / `Error(Signaled(Pid(n), ..))`. */
  pid?: number;
  /** Exit code of `Error(Exited(..))`; 0 for `Success`. */
  code?: number;
  /** Signal of `Error(Signaled(..))`. */
  signal?: NodeJS.Signals;
  /** Human wording: `exited with code 3`, `killed by SIGKILL`. */
  reason?: string;
}

// Tried only on strings that start with `Error(`, so they need no `^`.
const EXITED = /Error\(Exited\(Pid\((\d+)\),\s*(-?\d+)\)\)$/;
const SIGNALED = /Error\(Signaled\(Pid\((\d+)\),\s*(SIG[A-Z0-9]+),\s*(true|false)\)\)$/;

/** Zinit's `Failure`, in words: it says no more than that. */
export const SPAWN_FAILURE_REASON = 'Zinit could not spawn the command (missing binary or unparsable exec)';
/** Zinit's `TestFailure`, in words: the health check could not be started (not: it failed). */
export const TEST_FAILURE_REASON = 'Zinit could not run the health check command';

const SIMPLE_STATES: Readonly<Record<string, ServiceState>> = {
  Unknown: 'unknown',
  Blocked: 'blocked',
  Spawned: 'spawned',
  Running: 'running',
  Success: 'success',
  TestFailure: 'test-failure',
  Failure: 'failure',
};

/** Parses one Zinit state string. Unrecognised strings become `unknown` with the raw text as the reason. */
export function parseZinitState(raw: string): ParsedZinitState {
  // Own keys only: a state string such as `toString` is not a known state.
  const simple = Object.hasOwn(SIMPLE_STATES, raw) ? SIMPLE_STATES[raw] : undefined;
  if (simple !== undefined) {
    switch (simple) {
      case 'success':
        return { state: simple, code: 0 };
      case 'failure':
        return { state: simple, reason: SPAWN_FAILURE_REASON };
      case 'test-failure':
        return { state: simple, reason: TEST_FAILURE_REASON };
      default:
        return { state: simple };
    }
  }
  if (raw.startsWith('Error(')) {
    const exited = EXITED.exec(raw);
    if (exited) {
      const code = Number(exited[2]);
      return { state: 'error', pid: Number(exited[1]), code, reason: `exited with code ${code}` };
    }
    const signaled = SIGNALED.exec(raw);
    if (signaled) {
      const signal = signaled[2] as NodeJS.Signals;
      const core = signaled[3] === 'true' ? ' (core dumped)' : '';
      return { state: 'error', pid: Number(signaled[1]), signal, reason: `killed by ${signal}${core}` };
    }
    return { state: 'error', reason: raw };
  }
  return { state: 'unknown', reason: `unrecognised Zinit state ${JSON.stringify(raw)}` };
}
