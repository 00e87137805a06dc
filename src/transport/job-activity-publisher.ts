/**
 * The worker's side of job activity: one PUBLISH per job start and finish. Apart from job-activity.ts (the
 * supervisor's subscriber) so that a worker does not load the subscriber's message checks (zod) at start-up.
 */
import type { Redis } from 'ioredis';
import { activityChannel } from './queue-names.js';
import type { JobActivity } from './wire-protocol.js';

/** Publishes one activity event (used by the worker runtime; any worker may do the same). */
export async function publishJobActivity(connection: Redis, prefix: string, activity: JobActivity): Promise<void> {
  await connection.publish(activityChannel(prefix), JSON.stringify(activity));
}
