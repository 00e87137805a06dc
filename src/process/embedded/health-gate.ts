/**
 * Health-check gating, like Zinit's `test`: after the spawn, the check's argv runs (no shell, same env/cwd/uid/gid as
 * the service) until it exits 0, once every `intervalMs`. A check that cannot be started at all is reported (then
 * retried at the same pace, not in Zinit's tight loop); a check that hangs is killed after `checkTimeoutMs`.
 */
import { SpawnError } from '../../errors.js';
import { signalGroup } from '../process-group.js';
import { type SpawnRequest, spawnChild } from './spawn-child.js';

export interface HealthGateRequest extends Omit<SpawnRequest, 'argv' | 'output'> {
  argv: readonly string[];
  intervalMs: number;
  checkTimeoutMs: number;
  /** The check exited 0: the service is healthy. Called once; the gate then ends. */
  onPass: () => void;
  /** The check could not be started (missing binary, no permission). */
  onCannotRun: (reason: string) => void;
  /** The check ran and exited non-zero (or was killed for running too long): not healthy yet. */
  onFail: (reason: string) => void;
}

export interface HealthGate {
  /** Stops retrying and kills a check in progress. Idempotent. */
  cancel(): void;
}

type CheckOutcome = { type: 'passed' } | { type: 'failed'; reason: string } | { type: 'cannotRun'; reason: string };

export function startHealthGate(request: HealthGateRequest): HealthGate {
  let cancelled = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let runningCheckPgid: number | undefined;

  const runCheck = async (): Promise<CheckOutcome> => {
    let child: Awaited<ReturnType<typeof spawnChild>>;
    try {
      child = await spawnChild({ ...request, output: 'ignore' });
    } catch (error) {
      if (error instanceof SpawnError) return { type: 'cannotRun', reason: `health check: ${error.message}` };
      throw error;
    }
    runningCheckPgid = child.pid;
    return new Promise<CheckOutcome>((resolve) => {
      const timeout = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), request.checkTimeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timeout);
        runningCheckPgid = undefined;
        if (code === 0) resolve({ type: 'passed' });
        else
          resolve({
            type: 'failed',
            reason: `health check ${signal === null ? `exited with code ${code}` : `killed by ${signal}`}`,
          });
      });
    });
  };

  const attempt = async (): Promise<void> => {
    if (cancelled) return;
    const outcome = await runCheck();
    if (cancelled) return;
    if (outcome.type === 'passed') {
      request.onPass();
      return;
    }
    if (outcome.type === 'cannotRun') request.onCannotRun(outcome.reason);
    else request.onFail(outcome.reason);
    if (cancelled) return;
    retryTimer = setTimeout(() => void attempt(), request.intervalMs);
  };

  void attempt();

  return {
    cancel() {
      cancelled = true;
      clearTimeout(retryTimer);
      if (runningCheckPgid !== undefined) {
        try {
          signalGroup(runningCheckPgid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
  };
}
