/**
 * The periodic samplers of the lifecycle, each a task of the periodic runner: queue depth for autoscaling script
 * types (fed to the supervisor as `queue.depthObserved`), and resident memory for script types with `maxMemoryMb`
 * (a worker over its limit for several readings in a row is sent RESTART with reason `memory-limit`).
 */
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isUpState } from '../../machines/scaler-policy.js';
import type { WorkerSnapshot } from '../../machines/worker.machine.js';
import { settlesWithin } from '../within-ms.js';
import type { SupervisorActor } from './actor-tree.js';
import type { Clock } from './clock.js';
import type { LifecycleTimings, ResolvedScriptType } from './lifecycle-options.js';
import { MemoryLimitTracker, readRssMb } from './memory-limit.js';
import type { PeriodicRunner } from './periodic-runner.js';
import { readQueueLoad } from './queue-depth.js';
import type { WorkerRegistry } from './worker-registry.js';

/** How long closing a queue or a QueueEvents may take before its connection is dropped. */
const CLOSE_TIMEOUT_MS = 2_000;
/** A start-up never waits longer than this for the arrival listeners (Redis slow or away: the poll still runs). */
const ARRIVALS_READY_TIMEOUT_MS = 2_000;

export interface SamplerDeps {
  runner: PeriodicRunner;
  scriptTypes: ReadonlyMap<string, ResolvedScriptType>;
  timings: LifecycleTimings;
  clock: Clock;
  logger: Logger;
}

/** What the autoscale sampler opened: closed at shutdown. */
export interface AutoscaleSampler {
  /**
   * Resolves once every job-arrival listener reads its queue's events (at most `ARRIVALS_READY_TIMEOUT_MS`), after one
   * more read of the load: start-up waits for it, so a burst sent right after `startAllWorkers()` wakes the
   * autoscaler instead of waiting for the next poll (the builder's listener also starts a second back, not at `$`).
   */
  readonly listening: Promise<void>;
  /**
   * Stops listening for job arrivals: called when a shutdown begins, before the supervisor stops its dependencies
   * (Redis may be one): a QueueEvents whose Redis is gone blocks in a read that close() never ends.
   */
  stopWaking(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Reads the load (waiting + prioritized, and active jobs) of every autoscaling script type and tells the supervisor:
 * every `autoscalePollIntervalMs`, and at once when a job arrives (BullMQ's `waiting` event), so that a burst on an
 * empty pool does not wait for the next poll.
 */
export function startAutoscaleSampler(
  deps: SamplerDeps,
  supervisor: SupervisorActor,
  redis: Redis,
  open: { queue(scriptType: string, connection: Redis): Queue; arrivals?(scriptType: string): QueueEvents },
): AutoscaleSampler {
  const queues = new Map<string, Queue>();
  const arrivals: QueueEvents[] = [];
  let listening: Promise<void> = Promise.resolve();
  const autoscaled = [...deps.scriptTypes.values()].filter((type) => type.autoscale.enabled === true);
  for (const type of autoscaled) queues.set(type.scriptType, open.queue(type.scriptType, redis));
  if (queues.size > 0) {
    const task = deps.runner.every('poll queue depth', deps.timings.autoscalePollIntervalMs, async () => {
      for (const [scriptType, queue] of queues) {
        if (redis.status !== 'ready') continue;
        const { depth, active } = await readQueueLoad(queue);
        supervisor.send({ type: 'queue.depthObserved', scriptType, depth, active, at: deps.clock.now() });
      }
    });
    for (const scriptType of queues.keys()) {
      const events = open.arrivals?.(scriptType);
      if (events === undefined) continue;
      events.on('waiting', () => task.runNow());
      events.on('error', () => {}); // its connection reconnects by itself; the poll carries on meanwhile
      arrivals.push(events);
    }
    // Jobs that arrived before the listeners read are counted by one more read once they do.
    listening = settlesWithin(
      Promise.all(arrivals.map((events) => events.waitUntilReady())).catch(() => {}),
      ARRIVALS_READY_TIMEOUT_MS,
    ).then(() => task.runNow());
  }
  const bounded = async (closable: { close(): Promise<void>; disconnect(): Promise<void> }) => {
    // Redis may be unreachable for reasons of its own at shutdown: a bounded chance, then the connection goes.
    if (!(await settlesWithin(closable.close(), CLOSE_TIMEOUT_MS))) void closable.disconnect().catch(() => {});
  };
  return {
    listening,
    stopWaking: async () => {
      await Promise.allSettled(arrivals.splice(0).map(bounded));
    },
    close: async () => {
      await Promise.allSettled([...arrivals.splice(0), ...queues.values()].map(bounded));
    },
  };
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
