/**
 * Lists the jobs in Redis by script type and state: what `hero-supervisor jobs` prints, and the replacement of the
 * design's debug command `redis-cli keys "hero:job:*"` (job queues are `jobs.<type>`, so each job is the hash
 * `<prefix>:jobs.<type>:<id>`). Reads Redis directly; the daemon need not run.
 */
import { type JobType, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import { jobQueueName } from '../transport/queue-names.js';
import { type RedisConnectionOptions, resolveRedisConnection } from '../transport/redis-connection.js';
import { decodeFailure } from '../transport/wire-protocol.js';

/** BullMQ states a job can be listed in, in the order they are shown. */
export const LISTED_JOB_STATES = ['active', 'waiting', 'prioritized', 'delayed', 'failed', 'completed'] as const;
export type ListedJobState = (typeof LISTED_JOB_STATES)[number];

/** Jobs per type and state when no limit is given (newest first). */
export const DEFAULT_LIST_LIMIT = 50;

/** How long Redis may take to accept the connection. */
const CONNECT_TIMEOUT_MS = 3_000;

/** Keys read per SCAN step when finding the job queues. */
const SCAN_COUNT = 1_000;

export interface ListJobsOptions {
  redis: RedisConnectionOptions;
  /** Only these script types. @defaultValue every `jobs.<type>` queue found in Redis */
  scriptTypes?: readonly string[];
  /** Only these states. @defaultValue all of LISTED_JOB_STATES */
  states?: readonly ListedJobState[];
  /** Per type and state, newest first. @defaultValue 50 */
  limit?: number;
}

export interface ListedJob {
  scriptType: string;
  state: ListedJobState;
  id: string;
  /** Epoch ms when the job was added. */
  createdAt: number;
  finishedAt: number | null;
  attemptsMade: number;
  /** The worker that took it (BullMQ `processedBy`), when one did. */
  workerId: string | null;
  /** The first line of its failure reason, for failed jobs. */
  reason: string | null;
}

export function isListedJobState(value: string): value is ListedJobState {
  return (LISTED_JOB_STATES as readonly string[]).includes(value);
}

/** Script types that have a job queue under `prefix` (`<prefix>:jobs.<type>:…` keys exist). */
async function findScriptTypes(connection: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>();
  const head = `${prefix}:jobs.`;
  let cursor = '0';
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${head}*`, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (const key of keys) {
      const end = key.indexOf(':', head.length);
      if (end > head.length) found.add(key.slice(head.length, end));
    }
  } while (cursor !== '0');
  return [...found].sort();
}

export async function listJobs(options: ListJobsOptions): Promise<ListedJob[]> {
  const resolved = resolveRedisConnection(options.redis);
  const connection = new Redis({
    ...resolved.ioredisOptions,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  connection.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw new RedisUnavailableError(
      resolved.display,
      undefined,
      undefined,
      `Cannot list jobs: Redis at ${resolved.display} is unreachable (${(lastError ?? (error as Error)).message}).`,
    );
  }
  const queues: Queue[] = [];
  try {
    const types = options.scriptTypes ?? (await findScriptTypes(connection, resolved.prefix));
    const states = options.states ?? LISTED_JOB_STATES;
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    const listed: ListedJob[] = [];
    for (const scriptType of types) {
      const queue = new Queue(jobQueueName(scriptType), { connection, prefix: resolved.prefix });
      queues.push(queue);
      for (const state of states) {
        const jobs = await queue.getJobs([state as JobType], 0, limit - 1, false);
        for (const job of jobs) {
          if (job?.id === undefined) continue;
          listed.push({
            scriptType,
            state,
            id: job.id,
            createdAt: job.timestamp,
            finishedAt: job.finishedOn ?? null,
            attemptsMade: job.attemptsMade,
            workerId: job.processedBy ?? null,
            reason: job.failedReason ? decodeFailure(job.failedReason).reason : null,
          });
        }
      }
    }
    return listed;
  } finally {
    for (const queue of queues) await queue.close().catch(() => {});
    connection.disconnect();
  }
}
