/** The backlog that drives autoscaling, read through BullMQ's getters (never raw keys). */
import type { Queue } from 'bullmq';

/** Waiting and prioritized jobs: delayed ones are not due yet, active ones are already taken. */
export async function readQueueDepth(queue: Queue): Promise<number> {
  const [waiting, prioritized] = await Promise.all([queue.getWaitingCount(), queue.getPrioritizedCount()]);
  return waiting + prioritized;
}

/**
 * The queue's load: `depth` (waiting + prioritized) and `active` (jobs in flight), both counted by the need. Read in
 * one BullMQ call (one Lua script): separate reads could count a job that moves from waiting to active twice.
 */
export async function readQueueLoad(queue: Queue): Promise<{ depth: number; active: number }> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active');
  return { depth: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0 };
}
