/**
 * Adoption: at start, what the process manager already runs is taken over instead of started twice. A running
 * dependency service is not started again; a running worker (a configured name, or `<type>_worker_<n>` of a
 * configured type) starts its actor in `running` with that pid.
 */
import type { Logger } from 'pino';
import type { ProcessManager } from '../process/process-manager.js';

export interface Adoptable {
  /** Per script type: worker name → pid. */
  workers: Map<string, Record<string, number>>;
  /** Dependency services that already run. */
  services: Set<string>;
}

export async function findAdoptable(
  processes: ProcessManager,
  serviceNames: ReadonlySet<string>,
  scriptTypeOf: (name: string) => string | undefined,
  logger: Logger,
): Promise<Adoptable> {
  const adoptable: Adoptable = { workers: new Map(), services: new Set() };
  for (const status of await processes.list()) {
    if (status.pid <= 0 || (status.state !== 'running' && status.state !== 'spawned')) continue;
    if (serviceNames.has(status.name)) {
      adoptable.services.add(status.name);
      continue;
    }
    const scriptType = scriptTypeOf(status.name);
    if (scriptType === undefined) continue;
    // Null prototype: `byType[name] = pid` stores any name as an own key (`__proto__` included).
    const byType = adoptable.workers.get(scriptType) ?? (Object.create(null) as Record<string, number>);
    byType[status.name] = status.pid;
    adoptable.workers.set(scriptType, byType);
    logger.info({ worker: status.name, scriptType, pid: status.pid }, 'adopting a worker that already runs');
  }
  return adoptable;
}
