/**
 * What the job client's roles share (producing, waiting for results, reading status): the Redis connections, one
 * BullMQ `Queue` and one `QueueEvents` per script type, created on first use, and the way a Redis outage is
 * reported. See supervisor.ts for why there are two connections.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisUnavailableError } from '../errors.js';
import { jobQueueName } from '../transport/queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  resolveRedisConnection,
} from '../transport/redis-connection.js';
import { COMMAND_CONNECTION_OVERRIDES, type DeadlineOutcome } from '../transport/redis-deadline.js';
import { withinMs } from '../within-ms.js';
import { redisUnreachable } from './job-errors.js';
import type { ScriptType } from './script-type.js';

export type Unreachable = Extract<DeadlineOutcome<unknown>, { type: 'unreachable' }>;

/** How long one cleanup step of `close()` may take before the next runs: close must end even after an outage. */
export const CLOSE_STEP_TIMEOUT_MS = 2_000;

export class JobQueues {
  readonly resolved: ResolvedRedisConnection;
  /** Commands wait for Redis: the ping client and the QueueEvents (which duplicate it for their blocking reads). */
  readonly connection: Redis;
  /** Job queues and keys: refuses commands while Redis is away instead of queueing them. */
  readonly commands: Redis;
  readonly logger: Logger | undefined;
  readonly #queues = new Map<ScriptType, Queue>();
  readonly #events = new Map<ScriptType, Promise<QueueEvents>>();

  constructor(redis: RedisConnectionOptions, logger: Logger | undefined) {
    this.logger = logger;
    this.resolved = resolveRedisConnection(redis);
    this.connection = createRedisConnection(this.resolved, { name: 'hero-supervisor', logger });
    this.commands = createRedisConnection(this.resolved, {
      name: 'hero-supervisor-commands',
      logger,
      overrides: COMMAND_CONNECTION_OVERRIDES,
    });
  }

  get prefix(): string {
    return this.resolved.prefix;
  }

  /** A `RedisUnavailableError` for this Redis; `message` words the situation (job-errors.ts). */
  unreachable(
    outcome: Unreachable,
    jobId: string | undefined,
    enqueued: 'no' | 'maybe' | 'yes' | undefined,
    message: (redis: string) => string,
  ): RedisUnavailableError {
    return redisUnreachable(this.resolved.display, outcome.detail, jobId, enqueued, message);
  }

  queueFor(scriptType: ScriptType): Queue {
    let queue = this.#queues.get(scriptType);
    if (!queue) {
      const created = new Queue(jobQueueName(scriptType), { connection: this.commands, prefix: this.prefix });
      created.on('error', (error: Error) =>
        this.logger?.warn({ scriptType, err: { message: error.message } }, 'job queue error'),
      );
      // BullMQ trap: a queue whose first connection attempt failed keeps that failure forever; start a new one.
      created.waitUntilReady().catch(() => {
        if (this.#queues.get(scriptType) === created) this.#queues.delete(scriptType);
        void created.close().catch(() => {});
      });
      this.#queues.set(scriptType, created);
      queue = created;
    }
    return queue;
  }

  /** One QueueEvents per script type, shared by every caller (one blocking connection each). */
  eventsFor(scriptType: ScriptType): Promise<QueueEvents> {
    let events = this.#events.get(scriptType);
    if (!events) {
      const created = new QueueEvents(jobQueueName(scriptType), { connection: this.connection, prefix: this.prefix });
      created.on('error', (error: Error) =>
        this.logger?.warn({ scriptType, err: { message: error.message } }, 'queue events error'),
      );
      // Many callers may wait on one job queue at once; each adds two listeners.
      created.setMaxListeners(0);
      events = created.waitUntilReady().then(
        () => created,
        (error: unknown) => {
          // Not cached: the next caller tries again.
          if (this.#events.get(scriptType) === events) this.#events.delete(scriptType);
          void created.close().catch(() => {});
          throw error;
        },
      );
      this.#events.set(scriptType, events);
    }
    return events;
  }

  /** The cleanup steps of the queue events, then the queues (run by the façade's `close()`, in this order). */
  closeSteps(): [string, () => Promise<unknown>][] {
    return [
      ...[...this.#events.values()].map(
        (events) =>
          [
            'queue events',
            async () => {
              const created = await events;
              // After a Redis outage the blocking XREAD of QueueEvents can be stranded and close() never
              // resolves: give it a bounded chance, then drop its connection.
              const closed = await settlesWithin(created.close(), CLOSE_STEP_TIMEOUT_MS);
              if (!closed) await created.disconnect();
            },
          ] as [string, () => Promise<unknown>],
      ),
      ...[...this.#queues.values()].map((queue) => ['queue', () => queue.close()] as [string, () => Promise<unknown>]),
    ];
  }
}

/** True when `work` settles within `ms` (rejections pass through): `withinMs` cannot tell a late void from done. */
export function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return withinMs(
    work.then(() => true),
    ms,
  ).then((done) => done === true);
}
