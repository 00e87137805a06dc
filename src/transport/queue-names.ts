/**
 * Every queue name, Redis key and pub/sub channel hero-supervisor uses, built in one place (as BullMQ's
 * `QueueKeys` does). This is the wire protocol's address book: a worker in another language, or a plain
 * BullMQ producer, needs only these names.
 *
 * BullMQ refuses `:` in queue names (it separates the key parts: `<prefix>:<queue>:<kind>`), so our queue names
 * use `.` and the BullMQ `prefix` option carries our key prefix:
 *
 * | what                     | BullMQ queue / Redis name          | Redis keys (prefix `hero`)        |
 * |--------------------------|------------------------------------|-----------------------------------|
 * | jobs of a script type    | queue `jobs.<scriptType>`          | `hero:jobs.python:*`              |
 * | a worker's control queue | queue `control.<workerId>`         | `hero:control.python_worker_0:*`  |
 * | job activity events      | pub/sub channel `<prefix>:activity`| channel `hero:activity`           |
 * | ping replies (fast path) | pub/sub channel `<prefix>:ping-replies.<clientId>` |                   |
 * | stored (created) jobs    | key `<prefix>:sup:created:<jobId>` |                                   |
 * | caller-side timeouts     | key `<prefix>:sup:timed-out:<jobId>` |                                 |
 */
import { ConfigError } from '../errors.js';

/** The key prefix when none is configured: every key and channel starts with `hero:`. */
export const DEFAULT_PREFIX = 'hero';

/** Worker ids and script types become part of queue names: no `:` (BullMQ's separator), no spaces, bounded length. */
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Prefixes are BullMQ key prefixes: `:` inside would shift BullMQ's key parsing. A name in braces (`{hero}`) is a
 * Redis Cluster hash tag: every key of the prefix then lands in one slot, as BullMQ's scripts need on a Cluster.
 */
const PREFIX_PATTERN = /^([A-Za-z0-9_.-]{1,64}|\{[A-Za-z0-9_.-]{1,62}\})$/;

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `\`${shown}\` (${typeof value})`;
}

/** Throws a ConfigError unless `workerId` can be part of a queue name. */
export function assertWorkerId(workerId: unknown): asserts workerId is string {
  if (typeof workerId !== 'string' || !NAME_PATTERN.test(workerId)) {
    throw new ConfigError(
      `Expected \`workerId\` to be 1-128 letters, digits, \`_\`, \`.\` or \`-\`, got ${describe(workerId)}.`,
      [{ path: 'workerId', message: 'invalid worker id' }],
    );
  }
}

/** Throws a ConfigError unless `prefix` can be a BullMQ key prefix. */
export function assertPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(
      `Expected \`prefix\` to be 1-64 letters, digits, \`_\`, \`.\` or \`-\`, got ${describe(prefix)}.`,
      [{ path: 'prefix', message: 'invalid key prefix' }],
    );
  }
}

/** The BullMQ queue (under BullMQ option `prefix`) that holds jobs of one script type: `jobs.python`. */
export function jobQueueName(scriptType: string): string {
  return `jobs.${scriptType}`;
}

/** The BullMQ queue only one worker consumes: pings (and future control messages). `control.python_worker_0`. */
export function controlQueueName(workerId: string): string {
  assertWorkerId(workerId);
  return `control.${workerId}`;
}

/** The pub/sub channel on which workers publish job started/finished events. */
export function activityChannel(prefix: string = DEFAULT_PREFIX): string {
  return `${prefix}:activity`;
}

/** The pub/sub channel on which workers answer one ping client's pings (the job's return value holds the same reply). */
export function pingReplyChannel(prefix: string, clientId: string): string {
  return `${prefix}:ping-replies.${clientId}`;
}

/** Where `createJob` stores a job until `startJob` enqueues it. */
export function createdJobKey(prefix: string, jobId: string): string {
  return `${prefix}:sup:created:${jobId}`;
}

/** Marks a job whose caller gave up waiting (see `getJobStatus`: `timed-out`). */
export function timedOutJobKey(prefix: string, jobId: string): string {
  return `${prefix}:sup:timed-out:${jobId}`;
}

/** Claims a job id for the job sent first with it, so a second job with that id is refused (see `job-id-claim.ts`). */
export function claimedJobKey(prefix: string, jobId: string): string {
  return `${prefix}:sup:claimed:${jobId}`;
}
