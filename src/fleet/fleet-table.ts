/** Renders a `FleetReport` as the tables `hero-supervisor status --fleet` prints. */
import { renderTable } from '../cli/status-table.js';
import type { FleetReport } from './fleet-report.js';

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ') || '-';

export function formatFleet(report: FleetReport): string {
  const members = renderTable(
    ['HOST', 'PID', 'COORDINATOR', 'RUNNING', 'ASSIGNED', 'CAPACITY', 'HEARTBEAT TTL'],
    report.members.map((member) => [
      member.hostId,
      String(member.pid),
      member.coordinator ? `yes (token ${report.token})` : '',
      counts(member.running),
      counts(member.assigned),
      counts(member.capacity),
      `${member.expiresInMs} ms`,
    ]),
  );
  const workers = renderTable(
    ['WORKER', 'HOST', 'TYPE', 'STATE', 'PID'],
    report.members.flatMap((member) =>
      member.workers.map((worker) => [
        worker.id,
        member.hostId,
        worker.scriptType,
        worker.state,
        worker.pid === null ? '-' : String(worker.pid),
      ]),
    ),
  );
  const types = renderTable(
    ['SCRIPT TYPE', 'RUNNING', 'STOPPING', 'DESIRED', 'EFFECTIVE', 'MIN-MAX'],
    report.scriptTypes.map((type) => [
      type.scriptType,
      String(type.running),
      String(type.stopping),
      String(type.desired),
      String(type.effective),
      `${type.min}-${type.max}`,
    ]),
  );
  const title = `fleet ${report.prefix}  ${report.members.length} member(s)  coordinator ${report.coordinator ?? '-'}  (asked ${report.hostId})`;
  return [title, '', members, '', workers, '', types].join('\n');
}
