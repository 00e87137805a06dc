/**
 * The start of a lifecycle manager, in order: open the process manager and route its events, find what already
 * runs (adoption), build and start the actor tree, wait for the dependencies (the transport opens once they run,
 * Redis may be one), then start the samplers. Each thing opened leaves its shutdown step.
 */

import { WorkerStartFailedError } from '../errors.js';
import type { ProcessManager } from '../process/process-manager.js';
import { buildActorTree, type SupervisorActor, scalerOf } from './actor-tree.js';
import { findAdoptable } from './adoption.js';
import { orderServices } from './dependency-services.js';
import { routeJobActivity, routeProcessEvent } from './event-routing.js';
import type { FleetWaits } from './fleet-waits.js';
import type { ManagerParts } from './lifecycle-transport.js';
import type { PeriodicRunner } from './periodic-runner.js';
import type { ReportBridge } from './report-bridge.js';
import { type AutoscaleSampler, type SamplerDeps, startAutoscaleSampler, startMemorySampler } from './samplers.js';
import type { ShutdownSteps } from './shutdown-steps.js';
import type { TransportLink } from './transport-link.js';
import type { WorkerCatalog } from './worker-catalog.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface LifecycleStartDeps {
  parts: ManagerParts;
  registry: WorkerRegistry;
  catalog: WorkerCatalog;
  bridge: ReportBridge;
  link: TransportLink;
  runner: PeriodicRunner;
  fleet: FleetWaits;
  cleanups: ShutdownSteps;
  /** Told each part as soon as it exists (the façade's lookups need them while the start goes on). */
  opened: { processes(processes: ProcessManager): void; supervisor(supervisor: SupervisorActor): void };
}

export async function startLifecycle(deps: LifecycleStartDeps): Promise<void> {
  const { parts, registry, catalog, link, cleanups } = deps;
  const { options } = parts;
  const processes = await parts.openProcessManager();
  deps.opened.processes(processes);
  if (parts.ownsProcessManager) cleanups.add('close process manager', () => processes.close());
  const unsubscribe = processes.subscribe((event) => routeProcessEvent(registry, options.clock, event));
  cleanups.add('unsubscribe process events', unsubscribe, true);
  const serviceNames = new Set(parts.services.map((spec) => spec.name));
  const adoptable = options.adopt
    ? await findAdoptable(processes, serviceNames, (name) => catalog.scriptTypeOf(name), options.logger)
    : { workers: new Map<string, Record<string, number>>(), services: new Set<string>() };
  const startedAt = options.clock.now();
  let supervisor: SupervisorActor | undefined;
  let autoscale: AutoscaleSampler | undefined;
  let dependencyError: Error | undefined;
  supervisor = buildActorTree({
    options,
    scriptTypes: catalog.scriptTypes,
    services: parts.services,
    dependencyOrder: orderServices(parts.services),
    processes,
    pings: { pingWorker: (workerId, ping) => link.pings.pingWorker(workerId, ping) },
    bridge: deps.bridge,
    adoptedWorkers: adoptable.workers,
    adoptedServices: adoptable.services,
    launchFor: (worker, hint) => catalog.launchFor(worker, hint),
    isRedisReachable: () => link.isRedisReachable(),
    redisRestoredAt: () => link.restoredAt(),
    afterDependencies: async () => {
      if (link.current !== undefined) return;
      const scalers = (type: string) => scalerOf(supervisor, type);
      await link.open((activity) => routeJobActivity(registry, options.clock, scalers, activity));
      // Unshifted: the queues (on the transport's connection) close first, then the transport.
      cleanups.add('close transport', () => link.close(), true);
      cleanups.add('close queues', () => autoscale?.close(), true);
      cleanups.addBeforeDrain('stop job-arrival wake-ups', () => autoscale?.stopWaking());
    },
    onDependencyError: (error) => {
      dependencyError = error;
    },
  });
  deps.opened.supervisor(supervisor);
  const started = supervisor;
  started.start();
  started.send({ type: 'START', at: startedAt });
  const settled = () => started.getSnapshot().matches('running') || started.getSnapshot().matches('failed');
  await deps.fleet.until(settled, 'dependencies started');
  if (started.getSnapshot().matches('failed')) {
    throw (
      dependencyError ?? new WorkerStartFailedError('dependencies', started.getSnapshot().context.reason ?? 'unknown')
    );
  }
  const samplers: SamplerDeps = { runner: deps.runner, scriptTypes: catalog.scriptTypes, ...options };
  autoscale = startAutoscaleSampler(samplers, started, link.transport.redis, {
    queue: parts.openQueue,
    ...(parts.openQueueEvents !== undefined && { arrivals: parts.openQueueEvents }),
  });
  startMemorySampler(samplers, registry);
  await autoscale.listening;
}
