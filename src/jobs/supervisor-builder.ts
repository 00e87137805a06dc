/**
 * `new SupervisorBuilder().redisUrl(url).callerId(id).contextId(id).build()` → a `Supervisor`. Redis settings:
 * the URL (`rediss://` for TLS, `redis://user:password@host`), or each part alone; the key prefix defaults to `hero`.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { type RedisConnectionOptions, resolveRedisConnection } from '../transport/redis-connection.js';
import { Supervisor } from './supervisor.js';

export class SupervisorBuilder {
  #redis: RedisConnectionOptions = {};
  #callerId = 'hero-supervisor';
  #contextId = 'default';
  #logger: Logger | undefined;

  /** `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS). @defaultValue 'redis://127.0.0.1:6379' */
  redisUrl(url: string): this {
    this.#redis = { ...this.#redis, url };
    return this;
  }

  /** All Redis settings at once (merged over earlier calls). */
  redis(options: RedisConnectionOptions): this {
    this.#redis = { ...this.#redis, ...options };
    return this;
  }

  /** Redis 6 ACL user. */
  username(username: string): this {
    this.#redis = { ...this.#redis, username };
    return this;
  }

  password(password: string): this {
    this.#redis = { ...this.#redis, password };
    return this;
  }

  /** TLS on (`true`) or with node:tls options (CA, client certificate...). */
  tls(tls: boolean | TlsOptions = true): this {
    this.#redis = { ...this.#redis, tls };
    return this;
  }

  /** Extra ioredis options (`connectTimeout`, `family`...), merged last. */
  ioredisOptions(options: RedisOptions): this {
    this.#redis = { ...this.#redis, ioredis: { ...this.#redis.ioredis, ...options } };
    return this;
  }

  /** Key prefix of every queue and key. @defaultValue 'hero' */
  prefix(prefix: string): this {
    this.#redis = { ...this.#redis, prefix };
    return this;
  }

  /** Who sends the jobs (stored in each job). @defaultValue 'hero-supervisor' */
  callerId(id: string): this {
    this.#callerId = id;
    return this;
  }

  /** The context the jobs belong to (stored in each job). @defaultValue 'default' */
  contextId(id: string): this {
    this.#contextId = id;
    return this;
  }

  logger(logger: Logger): this {
    this.#logger = logger;
    return this;
  }

  /** Validates the settings (throws `ConfigError`) and connects (in the background: Redis may come later). */
  build(): Supervisor {
    for (const [field, value] of [
      ['callerId', this.#callerId],
      ['contextId', this.#contextId],
    ] as const) {
      if (typeof value !== 'string' || value === '') {
        throw new ConfigError(`Expected \`${field}\` to be a non-empty string, got \`${String(value)}\`.`, [
          { path: field, message: 'empty' },
        ]);
      }
    }
    resolveRedisConnection(this.#redis);
    return new Supervisor({
      redis: this.#redis,
      callerId: this.#callerId,
      contextId: this.#contextId,
      logger: this.#logger,
    });
  }
}
