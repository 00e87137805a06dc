/** `WorkerStatus` of a registry entry: what `getWorkerStatus` and `listWorkers` report. */
import { isUpState } from '../../machines/scaler-policy.js';
import type { WorkerSnapshot } from '../../machines/worker.machine.js';
import type { WorkerStatus } from './lifecycle-transport.js';
import type { WorkerEntry } from './worker-registry.js';

export function statusOf(entry: WorkerEntry): WorkerStatus {
  const snapshot = entry.removed ?? (entry.ref.getSnapshot() as WorkerSnapshot);
  const { context } = snapshot;
  return {
    name: entry.name,
    scriptType: entry.scriptType,
    state: entry.removed === undefined ? entry.state : 'stopped',
    gaveUp: entry.removed === undefined && entry.gaveUp,
    pid: context.pid,
    lastJobAt: context.lastJobAt,
    restarts: context.restartCount,
    consecutivePingFailures: context.consecutivePingFailures,
    // Up again: healthy, the last failure's reason is cleared; given up: with the last lines of its stderr.
    reason: entry.removed === undefined && isUpState(entry.state) ? null : (entry.gaveUpReason ?? context.reason),
    busy: entry.activeJobs.size > 0,
    ...(entry.removed !== undefined && { removed: true }),
  };
}

export function byName(a: WorkerStatus, b: WorkerStatus): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
