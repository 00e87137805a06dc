/**
 * Routes the outside facts to the worker actors by name, stamped with the injected clock like every event an actor
 * gets: process events from the backend, and job activity from the workers (also told to the worker's scaler, since
 * a scale-down must know who is busy).
 */
import type { AnyActorRef } from 'xstate';
import type { ScalerEvent } from '../../machines/scaler.machine.js';
import type { WorkerEvent } from '../../machines/worker.events.js';
import type { ProcessEvent } from '../process/process-events.js';
import type { JobActivity } from '../transport/wire-protocol.js';
import type { Clock } from './clock.js';
import type { WorkerRegistry } from './worker-registry.js';

export function routeProcessEvent(registry: WorkerRegistry, clock: Clock, event: ProcessEvent): void {
  // The backend's fact as it is (`service` rides along).
  registry.live(event.service)?.ref.send({ ...event, at: clock.now() } satisfies WorkerEvent);
}

export function routeJobActivity(
  registry: WorkerRegistry,
  clock: Clock,
  scalerOf: (scriptType: string) => AnyActorRef | undefined,
  activity: JobActivity,
): void {
  const entry = registry.live(activity.workerId);
  if (entry === undefined) return;
  const busy = registry.recordJob(entry, activity.jobId, activity.phase);
  const at = clock.now();
  entry.ref.send({ type: 'job.activity', jobId: activity.jobId, at } satisfies WorkerEvent);
  const report: ScalerEvent = { type: 'worker.stateChanged', workerId: entry.name, state: entry.state, busy, at };
  scalerOf(entry.scriptType)?.send(report);
}
