/**
 * Graceful stop of one process group: the stop signal to the whole group, up to `timeoutMs` for the leader to exit
 * and the group to empty, then SIGKILL to the group. Resolves only once the leader has exited and the group is gone.
 */
import { signalGroup, waitForGroupExit } from '../process-group.js';
import { KILL_CONFIRM_TIMEOUT_MS } from '../process-manager.js';

export interface TerminateRequest {
  pgid: number;
  /** Resolves when the leader's `exit` event has fired. */
  leaderExited: Promise<unknown>;
  signal: NodeJS.Signals;
  timeoutMs: number;
}

export interface TerminateOutcome {
  /** True when SIGKILL was needed. */
  forced: boolean;
  /** False when a member survived SIGKILL for KILL_CONFIRM_TIMEOUT_MS (stuck in the kernel). */
  groupGone: boolean;
}

async function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function terminateGroup({
  pgid,
  leaderExited,
  signal,
  timeoutMs,
}: TerminateRequest): Promise<TerminateOutcome> {
  const started = Date.now();
  signalGroup(pgid, signal);
  const gracefully = await withDeadline(
    (async () => {
      await leaderExited;
      return waitForGroupExit(pgid, Math.max(0, timeoutMs - (Date.now() - started)));
    })(),
    timeoutMs,
  );
  if (gracefully === true) return { forced: false, groupGone: true };
  signalGroup(pgid, 'SIGKILL');
  await leaderExited;
  const groupGone = await waitForGroupExit(pgid, KILL_CONFIRM_TIMEOUT_MS);
  return { forced: true, groupGone };
}
