/**
 * What the page is sent about the fleet: the status report, plus per worker the path of its state in the worker
 * machine (to light up the diagram) and per script type the jobs finished in the last minute.
 */
import type { ScriptTypeReport, StatusReport, WorkerReport } from '../status-report.js';

export interface DashboardWorker extends WorkerReport {
  /** The state as a dotted path in the worker machine (`running`, `failed.gaveUp`): the diagram's node ids. */
  statePath: string;
}

export interface DashboardScriptType extends ScriptTypeReport {
  lastMinute: { completed: number; failed: number };
}

export interface DashboardView extends Omit<StatusReport, 'workers' | 'scriptTypes'> {
  workers: DashboardWorker[];
  scriptTypes: DashboardScriptType[];
}

/**
 * `failed (gave up)` (how `status` shows a worker that gave up) is the machine's `failed.gaveUp`; any other state
 * name is already a path.
 */
export function statePathOf(state: string): string {
  const match = /^(\S+) \(gave up\)$/.exec(state);
  return match === null ? state : `${match[1]}.gaveUp`;
}

export function dashboardView(
  status: StatusReport,
  lastMinute: Record<string, { completed: number; failed: number }>,
): DashboardView {
  return {
    ...status,
    workers: status.workers.map((worker) => ({ ...worker, statePath: statePathOf(worker.state) })),
    scriptTypes: status.scriptTypes.map((type) => ({
      ...type,
      lastMinute: lastMinute[type.name] ?? { completed: 0, failed: 0 },
    })),
  };
}
