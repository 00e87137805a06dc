/**
 * The periodic samplers of the lifecycle, each a task of the periodic runner: queue depth for autoscaling script
 * types (fed to the supervisor as `queue.depthObserved`), and resident memory for script types with `maxMemoryMb`
 * (a worker over its limit for several readings in a row is sent RESTART with reason `memory-limit`).
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isUpState } from '../../machines/scaler-policy.js';
import type { WorkerSnapshot } from '../../machines/worker.machine.js';
import type { SupervisorActor } from './actor-tree.js';
import type { Clock } from './clock.js';
import type { LifecycleTimings, ResolvedScriptType } from './lifecycle-options.js';
import { MemoryLimitTracker, readRssMb } from './memory-limit.js';
import type { PeriodicRunner } from './periodic-runner.js';
import { readQueueDepth } from './queue-depth.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface SamplerDeps {
  runner: PeriodicRunner;
  scriptTypes: ReadonlyMap<string, ResolvedScriptType>;
  timings: LifecycleTimings;
  clock: Clock;
  logger: Logger;
}

/** Reads the queue of every autoscaling script type and tells the supervisor; returns the queues it opened. */
export function startAutoscaleSampler(
  deps: SamplerDeps,
  supervisor: SupervisorActor,
  redis: Redis,
  openQueue: (scriptType: string, connection: Redis) => Queue,
): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  const autoscaled = [...deps.scriptTypes.values()].filter((type) => type.autoscale.enabled === true);
  if (autoscaled.length === 0) return queues;
  for (const type of autoscaled) queues.set(type.scriptType, openQueue(type.scriptType, redis));
  deps.runner.every('poll queue depth', deps.timings.autoscalePollIntervalMs, async () => {
    for (const [scriptType, queue] of queues) {
      if (redis.status !== 'ready') continue;
      const depth = await readQueueDepth(queue);
      supervisor.send({ type: 'queue.depthObserved', scriptType, depth, at: deps.clock.now() });
    }
  });
  return queues;
}

/** Restarts workers that stay over their script type's `maxMemoryMb`. */
export function startMemorySampler(deps: SamplerDeps, registry: WorkerRegistry): void {
  const limits = new Map<string, number>();
  for (const type of deps.scriptTypes.values()) {
    if (type.maxMemoryMb !== undefined) limits.set(type.scriptType, type.maxMemoryMb);
  }
  if (limits.size === 0) return;
  const tracker = new MemoryLimitTracker(deps.timings.memoryLimitReadings);
  deps.runner.every('read worker memory', deps.timings.memoryCheckIntervalMs, async () => {
    for (const [scriptType, limit] of limits) {
      for (const entry of registry.liveEntries(scriptType)) {
        const { pid } = (entry.ref.getSnapshot() as WorkerSnapshot).context;
        if (pid === null || !isUpState(entry.state)) continue;
        const rssMb = await readRssMb(pid);
        if (!tracker.record(entry.name, rssMb, limit)) continue;
        deps.logger.warn(
          { worker: entry.name, scriptType, rssMb: Math.round(rssMb ?? 0), limitMb: limit, reason: 'memory-limit' },
          'restarting worker over its memory limit',
        );
        entry.ref.send({ type: 'RESTART', reason: 'memory-limit', at: deps.clock.now() });
      }
    }
  });
}
