/** Renders a `StatusReport` as the tables `hero-supervisor status` prints (and the demo's live view reuses). */
import type { StatusReport, WorkerReport } from '../admin/status-report.js';
import { formatDuration } from '../config/duration.js';

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)}K`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)}M`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(2)}G`;
}

function ago(at: number | null, now: number): string {
  return at === null ? '-' : `${formatDuration(Math.max(0, now - at))} ago`;
}

/** Left-aligned columns separated by two spaces; numbers are plain text already. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function workerRow(worker: WorkerReport, now: number): string[] {
  return [
    worker.name,
    worker.scriptType,
    worker.state,
    worker.pid === null || worker.pid === 0 ? '-' : String(worker.pid),
    worker.uptimeMs === null ? '-' : formatDuration(worker.uptimeMs),
    ago(worker.lastJobAt, now),
    String(worker.restarts),
    worker.cpuPercent === null ? '-' : `${worker.cpuPercent.toFixed(1)}%`,
    formatBytes(worker.memoryBytes),
    worker.reason ?? '',
  ];
}

export const WORKER_HEADER = [
  'WORKER',
  'TYPE',
  'STATE',
  'PID',
  'UPTIME',
  'LAST JOB',
  'RESTARTS',
  'CPU',
  'MEM',
  'REASON',
];

export function formatStatus(report: StatusReport, now: number = Date.now()): string {
  const { daemon } = report;
  const lines = [
    `hero-supervisor ${daemon.version}  pid ${daemon.pid}  up ${formatDuration(daemon.uptimeMs)}  backend ${daemon.backend}  redis ${daemon.redisUrl}`,
    '',
  ];
  if (report.workers.length === 0) lines.push('No workers.');
  else
    lines.push(
      renderTable(
        WORKER_HEADER,
        report.workers.map((worker) => workerRow(worker, now)),
      ),
    );
  if (report.scriptTypes.length > 0) {
    lines.push('');
    lines.push(
      renderTable(
        ['SCRIPT TYPE', 'RUNNING', 'DESIRED', 'MIN-MAX', 'WAITING', 'ACTIVE', 'DELAYED', 'COMPLETED', 'FAILED'],
        report.scriptTypes.map((type) => [
          type.name,
          String(type.running),
          String(type.desired),
          `${type.min}-${type.max}`,
          type.queue === null ? '?' : String(type.queue.waiting + type.queue.prioritized),
          type.queue === null ? '?' : String(type.queue.active),
          type.queue === null ? '?' : String(type.queue.delayed),
          String(type.jobs.completed),
          String(type.jobs.failed),
        ]),
      ),
    );
  }
  if (report.services.length > 0) {
    lines.push('');
    lines.push(
      renderTable(
        ['SERVICE', 'STATE', 'PID'],
        report.services.map((service) => [service.name, service.state, service.pid ? String(service.pid) : '-']),
      ),
    );
  }
  return lines.join('\n');
}
