/**
 * `hero-supervisor status <worker>`: one worker, one `key: value` line per field, as `zinit status <name>` shows one
 * service. Unknown names list the known ones.
 */
import type { StatusReport, WorkerReport } from '../admin/status-report.js';
import { formatDuration } from '../config/duration.js';
import { formatBytes } from './status-table.js';

export function formatWorkerStatus(worker: WorkerReport, now: number = Date.now()): string {
  const lines: [string, string][] = [
    ['name', worker.name],
    ['type', worker.scriptType],
    ['state', worker.state],
    ['pid', worker.pid === null || worker.pid === 0 ? '-' : String(worker.pid)],
    ['uptime', worker.uptimeMs === null ? '-' : formatDuration(worker.uptimeMs)],
    ['last job', worker.lastJobAt === null ? '-' : `${formatDuration(Math.max(0, now - worker.lastJobAt))} ago`],
    ['restarts', String(worker.restarts)],
    ['ping failures', String(worker.consecutivePingFailures)],
    ['cpu', worker.cpuPercent === null ? '-' : `${worker.cpuPercent.toFixed(1)}%`],
    ['memory', formatBytes(worker.memoryBytes)],
    ['reason', worker.reason ?? '-'],
  ];
  return lines.map(([key, value]) => `${key}: ${value}`).join('\n');
}

/** The worker's lines (or JSON), or, when the daemon has no such worker, a message naming the known ones. */
export function showWorkerStatus(
  report: StatusReport,
  name: string,
  json: boolean,
): { found: true; text: string } | { found: false; text: string } {
  const worker = report.workers.find((candidate) => candidate.name === name);
  if (worker === undefined) {
    const known = report.workers.map((candidate) => candidate.name);
    const hint = known.length === 0 ? 'the daemon runs no workers' : `known: ${known.slice(0, 20).join(', ')}`;
    return { found: false, text: `No worker named \`${name}\` (${hint}).` };
  }
  return { found: true, text: json ? JSON.stringify(worker, null, 2) : formatWorkerStatus(worker) };
}
