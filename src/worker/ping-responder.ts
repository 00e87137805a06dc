/**
 * The worker's side of a ping: a BullMQ Worker on `control.<workerId>` that answers at once, without running a
 * script, with `{ workerId, pid, uptimeMs, jobsProcessed, activeJobs, version }`: as the job's return value and,
 * when the ping names a `replyChannel`, published there too (the ping client's fast path). Pings older than their
 * own timeout are failed unanswered: their sender has given up, and a late answer would be misread.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PingReply } from '../../machines/worker.events.js';
import { controlQueueName } from '../transport/queue-names.js';
import { PING_JOB_NAME, type PingJobData, type PingReplyMessage } from '../transport/wire-protocol.js';
import { loadBullmq } from './load-bullmq.js';

export interface PingResponderOptions {
  workerId: string;
  prefix: string;
  /** Used for BullMQ (duplicated for its blocking reads) and for publishing replies. */
  connection: Redis;
  /** `performance.now()` when the worker started. */
  startedAt: number;
  version: string;
  stats: () => { jobsProcessed: number; activeJobs: number };
  logger?: Logger;
}

/** Control messages are tiny; a few in parallel keep a burst of pings from queueing behind one another. */
const CONTROL_CONCURRENCY = 4;

/** Answered and ignored pings are kept briefly (debugging), then trimmed. */
const CONTROL_JOB_RETENTION = { age: 60, count: 100 } as const;

export function startPingResponder(options: PingResponderOptions): Worker {
  const { workerId, connection, logger } = options;
  const worker = new (loadBullmq().Worker)(
    controlQueueName(workerId),
    async (job) => {
      if (job.name !== PING_JOB_NAME) throw new Error(`unknown control message \`${job.name}\``);
      const data = job.data as Partial<PingJobData>;
      const sentAt = typeof data.sentAt === 'number' ? data.sentAt : 0;
      const timeoutMs = typeof data.timeoutMs === 'number' ? data.timeoutMs : 0;
      const ageMs = Date.now() - sentAt;
      if (sentAt + timeoutMs < Date.now()) {
        logger?.debug({ jobId: job.id, ageMs, timeoutMs }, 'stale ping ignored');
        throw new Error(`stale ping ignored: sent ${ageMs} ms ago, its timeout was ${timeoutMs} ms`);
      }
      const reply: PingReply = {
        workerId,
        pid: process.pid,
        uptimeMs: Math.round(performance.now() - options.startedAt),
        ...options.stats(),
        version: options.version,
      };
      if (typeof data.replyChannel === 'string' && job.id !== undefined) {
        const message: PingReplyMessage = { jobId: job.id, reply };
        // Not awaited: the return value below is the reply of record; the publish only makes it faster.
        connection.publish(data.replyChannel, JSON.stringify(message)).catch(() => {});
      }
      return reply;
    },
    {
      connection,
      prefix: options.prefix,
      name: workerId,
      concurrency: CONTROL_CONCURRENCY,
      removeOnComplete: CONTROL_JOB_RETENTION,
      removeOnFail: CONTROL_JOB_RETENTION,
    },
  );
  worker.on('error', (error: Error) => logger?.warn({ err: { message: error.message } }, 'control queue error'));
  return worker;
}
