/**
 * Job activity: which worker started and finished which job, pushed by the workers themselves on one pub/sub
 * channel (`<prefix>:activity`), so the supervisor updates each worker's `lastJobAt` with no per-job polling and no
 * per-job lookup of `processedBy`. One subscriber connection serves every listener.
 *
 * Delivery is at most once (pub/sub): an event published while the subscriber is reconnecting is lost. That is
 * acceptable for its one use, idle detection, and it keeps workers free of bookkeeping.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeJobActivity } from './protocol-check.js';
import { activityChannel } from './queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  resolveRedisConnection,
} from './redis-connection.js';
import type { JobActivity } from './wire-protocol.js';

export { publishJobActivity } from './job-activity-publisher.js';
export type { JobActivity } from './wire-protocol.js';

export type JobActivityListener = (activity: JobActivity) => void;

export interface JobActivityStreamOptions {
  /** Where Redis is. @defaultValue 'redis://127.0.0.1:6379' */
  redis?: string | RedisConnectionOptions;
  /** @defaultValue the `redis` options' prefix, else 'hero' */
  prefix?: string;
  logger?: Logger;
}

export class JobActivityStream {
  readonly #resolved: ResolvedRedisConnection;
  readonly #logger: Logger | undefined;
  readonly #listeners = new Set<JobActivityListener>();
  #subscriber: Redis | undefined;
  #subscribed: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: JobActivityStreamOptions = {}) {
    const redis = typeof options.redis === 'string' ? { url: options.redis } : (options.redis ?? {});
    this.#resolved = resolveRedisConnection({ ...redis, prefix: options.prefix ?? redis.prefix });
    this.#logger = options.logger;
  }

  /** Calls `listener` for every activity event from now on; returns the unsubscribe function. */
  subscribe(listener: JobActivityListener): () => void {
    this.#listeners.add(listener);
    this.#start();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Resolves once the channel subscription is active (events published before that are not seen). */
  async ready(): Promise<void> {
    this.#start();
    await this.#subscribed;
  }

  #start(): void {
    if (this.#subscriber || this.#closing) return;
    const subscriber = createRedisConnection(this.#resolved, { name: 'hero-job-activity', logger: this.#logger });
    subscriber.on('message', (_channel: string, message: string) => this.#dispatch(message));
    this.#subscriber = subscriber;
    // ioredis re-subscribes after a reconnect by itself (autoResubscribe).
    this.#subscribed = subscriber.subscribe(activityChannel(this.#resolved.prefix)).then(() => undefined);
    this.#subscribed.catch((error: Error) =>
      this.#logger?.warn({ err: { message: error.message } }, 'job activity subscription failed'),
    );
  }

  #dispatch(message: string): void {
    const activity = decodeJobActivity(message);
    if (!activity) return;
    for (const listener of this.#listeners) {
      try {
        listener(activity);
      } catch (error) {
        this.#logger?.error({ err: { message: (error as Error).message } }, 'job activity listener threw');
      }
    }
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#listeners.clear();
      this.#subscriber?.disconnect();
    })();
    return this.#closing;
  }
}
