/** The backlog that drives autoscaling, read through BullMQ's getters (never raw keys). */
import type { Queue } from 'bullmq';

/** Waiting and prioritized jobs: delayed ones are not due yet, active ones are already taken. */
export async function readQueueDepth(queue: Queue): Promise<number> {
  const [waiting, prioritized] = await Promise.all([queue.getWaitingCount(), queue.getPrioritizedCount()]);
  return waiting + prioritized;
}

/** The queue's load: `depth` (waiting + prioritized) and `active` (jobs in flight), both counted by the need. */
export async function readQueueLoad(queue: Queue): Promise<{ depth: number; active: number }> {
  const [depth, active] = await Promise.all([readQueueDepth(queue), queue.getActiveCount()]);
  return { depth, active };
}
