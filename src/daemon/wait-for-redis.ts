/**
 * At start, Redis may not be up yet (issue 8 item 3): say so clearly, retry with backoff, and go on as soon as
 * it answers. Nothing else starts before that, so a missing Redis never leaves a half-started supervisor.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ResolvedRedisConnection } from '../transport/redis-connection.js';

/** First retry after 250 ms, doubling up to 10 s: quick when Redis is starting, quiet when it is long gone. */
export const REDIS_WAIT_BASE_MS = 250;
export const REDIS_WAIT_MAX_MS = 10_000;
/** One probe may take this long: a Redis that does not answer PING in 2 s counts as not there yet. */
const PROBE_TIMEOUT_MS = 2_000;

export class RedisWaitAborted extends Error {
  override name = 'RedisWaitAborted';
}

/** One PING on a fresh connection that neither retries nor queues. Resolves with the error text, or undefined when up. */
export async function probeRedis(resolved: ResolvedRedisConnection): Promise<string | undefined> {
  const connection = new Redis({
    ...resolved.ioredisOptions,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: PROBE_TIMEOUT_MS,
    connectionName: 'hero-supervisor-probe',
  });
  // The `error` event carries the reason (ECONNREFUSED, WRONGPASS...); the rejection may only say "Connection is closed."
  let reported: Error | undefined;
  connection.on('error', (error: Error) => {
    reported ??= error;
  });
  try {
    await connection.connect();
    await connection.ping();
    return undefined;
  } catch (error) {
    const cause = reported ?? (error as Error);
    return (cause as NodeJS.ErrnoException).code ?? cause.message;
  } finally {
    connection.disconnect();
  }
}

/** Resolves once Redis answers; logs the first failure as an error with what to do, then each retry briefly. */
export async function waitForRedis(
  resolved: ResolvedRedisConnection,
  { logger, signal }: { logger: Logger; signal?: AbortSignal },
): Promise<void> {
  let delay = REDIS_WAIT_BASE_MS;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new RedisWaitAborted('stopped while waiting for Redis');
    const failure = await probeRedis(resolved);
    if (failure === undefined) {
      if (attempt > 1) logger.info({ redis: resolved.display, attempts: attempt }, 'redis is reachable; starting');
      return;
    }
    const fields = { redis: resolved.display, reason: failure, retryInMs: delay, attempt };
    if (attempt === 1) {
      const hint = /WRONGPASS|NOAUTH|NOPERM|AUTH/.test(failure)
        ? 'Check redis.username and the password (redis.password or redis.passwordEnv)'
        : 'Start redis-server, or fix redis.url in the config';
      logger.error(fields, `cannot reach Redis at ${resolved.display} (${failure}); waiting for it. ${hint}`);
    } else logger.warn(fields, 'redis still unreachable; retrying');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    delay = Math.min(REDIS_WAIT_MAX_MS, delay * 2);
  }
}
