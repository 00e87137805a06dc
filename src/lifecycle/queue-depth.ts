/** The backlog that drives autoscaling, read through BullMQ's getters (never raw keys). */
import type { Queue } from 'bullmq';

/** Waiting and prioritized jobs: delayed ones are not due yet, active ones are already taken. */
export async function readQueueDepth(queue: Queue): Promise<number> {
  const [waiting, prioritized] = await Promise.all([queue.getWaitingCount(), queue.getPrioritizedCount()]);
  return waiting + prioritized;
}
