/**
 * Redis connection settings for the supervisor, the ping client and hero-worker: URL parsing (`redis://`,
 * `rediss://` for TLS, ACL user and password, db number), the key prefix, and ioredis options that survive a
 * Redis restart. Passwords never leave this module in printable form: use `redactRedisUrl` / `describeRedis`.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { assertPrefix, DEFAULT_PREFIX } from './queue-names.js';

export interface RedisConnectionOptions {
  /**
   * `redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS. Fields given below win over the URL's.
   * @defaultValue 'redis://127.0.0.1:6379'
   */
  url?: string;
  host?: string;
  port?: number;
  /** Redis 6 ACL user. */
  username?: string;
  password?: string;
  db?: number;
  /** `true` (or node:tls options) for TLS; implied by `rediss://`. */
  tls?: boolean | TlsOptions;
  /**
   * Key prefix for every queue, key and channel (BullMQ's `prefix` option; never ioredis' `keyPrefix`, which BullMQ refuses).
   * @defaultValue 'hero'
   */
  prefix?: string;
  /** Extra ioredis options, merged last (e.g. `connectTimeout`, `family`). */
  ioredis?: RedisOptions;
  /**
   * Redis Cluster nodes (`host:port`): connections are ioredis `Cluster` clients started from these (the URL's
   * credentials, TLS and prefix still apply). The prefix must then be a hash tag (`{hero}`).
   */
  cluster?: readonly string[];
}

/** Options resolved once: what every connection of one component is built from. */
export interface ResolvedRedisConnection {
  readonly prefix: string;
  readonly ioredisOptions: Readonly<RedisOptions>;
  /** `redis://user:***@host:port/db`: safe to log or print. */
  readonly display: string;
  /** Redis Cluster nodes, when connecting to a Cluster. */
  readonly cluster?: readonly { host: string; port: number }[];
}

/** Reconnect backoff: first retry after 50 ms, doubling, capped so a restarted Redis is found within about a second. */
const RETRY_BASE_DELAY_MS = 50;
const RETRY_MAX_DELAY_MS = 1_000;

/** How long a TCP connect may take before ioredis retries; short, so an unreachable Redis is reported quickly. */
const CONNECT_TIMEOUT_MS = 5_000;

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** ioredis `retryStrategy`: never gives up (a supervisor outlives Redis restarts), backs off exponentially with jitter. */
export function reconnectDelayMs(attempt: number): number {
  const exponential = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  // Jitter spreads reconnects of many workers after a Redis restart.
  return Math.round(exponential * (0.75 + Math.random() * 0.25));
}

/** Replaces the password of a Redis URL with `***`, keeping the rest as written (also when it is not a valid URL). */
export function redactRedisUrl(url: string): string {
  // Greedy up to the last `@`: an unencoded `@` in a password must not leak its tail.
  return url.replace(/\/\/([^:/@]*):(.*)@/, (_match, user: string, password: string) =>
    password === '' ? `//${user}:@` : `//${user}:***@`,
  );
}

export interface ParsedRedisUrl {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

/** Parses `redis://` and `rediss://` URLs; throws a ConfigError (with the password redacted) otherwise. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError(
      `Expected a Redis URL like redis://host:6379, got \`${redactRedisUrl(url)}\`.`,
      [{ path: 'redisUrl', message: 'not a URL' }],
      { cause },
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(
      `Expected a Redis URL with scheme redis:// or rediss:// (TLS), got \`${redactRedisUrl(url)}\`.`,
      [{ path: 'redisUrl', message: 'unsupported scheme' }],
    );
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? undefined : Number(dbText);
  if (db !== undefined && (!Number.isInteger(db) || db < 0)) {
    throw new ConfigError(
      `Expected the Redis URL's path to be a database number like /0, got \`/${dbText}\` in \`${redactRedisUrl(url)}\`.`,
      [{ path: 'redisUrl', message: 'invalid database number' }],
    );
  }
  return {
    // URL keeps IPv6 brackets; ioredis wants the bare address.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port,
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db,
    tls: parsed.protocol === 'rediss:',
  };
}

/** Merges URL, fields and defaults once. Accepts a URL string as shorthand for `{ url }`. */
export function resolveRedisConnection(input: string | RedisConnectionOptions = {}): ResolvedRedisConnection {
  const options: RedisConnectionOptions = typeof input === 'string' ? { url: input } : input;
  const fromUrl = parseRedisUrl(options.url ?? DEFAULT_URL);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  assertPrefix(prefix);
  const tlsSetting = options.tls ?? fromUrl.tls;
  const tls: TlsOptions | undefined = tlsSetting === true ? {} : tlsSetting === false ? undefined : tlsSetting;
  const host = options.host ?? fromUrl.host;
  const port = options.port ?? fromUrl.port;
  const username = options.username ?? fromUrl.username;
  const password = options.password ?? fromUrl.password;
  const db = options.db ?? fromUrl.db;
  if (options.ioredis?.keyPrefix) {
    throw new ConfigError('ioredis `keyPrefix` is not supported (BullMQ refuses it): set `prefix` instead.', [
      { path: 'ioredis.keyPrefix', message: 'use prefix' },
    ]);
  }
  const ioredisOptions: RedisOptions = {
    host,
    port,
    username,
    password,
    db,
    tls,
    // BullMQ requires null for its blocking connections; for ours it means "wait for Redis to come back" rather
    // than failing a job submission during a Redis restart.
    maxRetriesPerRequest: null,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelayMs,
    ...options.ioredis,
  };
  const userPart =
    username === undefined && password === undefined ? '' : `${username ?? ''}${password ? ':***' : ''}@`;
  const display = `${tls ? 'rediss' : 'redis'}://${userPart}${host.includes(':') ? `[${host}]` : host}:${port}${db === undefined ? '' : `/${db}`}`;
  if (options.cluster === undefined) return { prefix, ioredisOptions, display };
  return {
    prefix,
    ioredisOptions,
    display: `cluster ${options.cluster.join(',')}`,
    cluster: clusterNodes(options.cluster, prefix),
  };
}

/** A Cluster's per-node options: where to connect comes from its nodes, and it reconnects by its own strategy. */
function clusterRedisOptions(options: RedisOptions) {
  const { host: _host, port: _port, db: _db, retryStrategy: _retry, enableOfflineQueue: _queue, ...rest } = options;
  return rest;
}

/** `host:port` strings → ioredis Cluster start nodes; a Cluster needs a hash-tag prefix (BullMQ's scripts). */
function clusterNodes(nodes: readonly string[], prefix: string): { host: string; port: number }[] {
  if (!/^\{.+\}$/.test(prefix)) {
    throw new ConfigError(
      `A Redis Cluster needs a hash-tag key prefix such as \`{${prefix}}\`, got \`${prefix}\`: set redis.keyPrefix to \`{${prefix}}\`.`,
      [{ path: 'redis.keyPrefix', message: 'expected a hash tag for a Redis Cluster' }],
    );
  }
  return nodes.map((node) => {
    const match = /^(.+):(\d{1,5})$/.exec(node);
    if (match === null) {
      throw new ConfigError(`Expected a Redis Cluster node as \`host:port\`, got \`${node}\`.`, [
        { path: 'redis.cluster', message: 'expected host:port' },
      ]);
    }
    return { host: match[1] as string, port: Number(match[2]) };
  });
}

/**
 * Everything another process needs to reach the same Redis under the same prefix, credentials included: what a
 * supervisor hands to the workers it starts (`url` as their `--redis-url`). It CARRIES SECRETS (`url`, `password`,
 * `tlsOptions` keys): never log it, print it or put it in a service spec shown to users; log `display` instead, and
 * pass `url` to a worker through its environment or a redacted spec.
 */
export interface RedisConnectionInfo {
  /** `redis[s]://[user[:password]@]host:port[/db]`, percent-encoded, password included. Secret. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly db: number | undefined;
  /** Redis 6 ACL user. */
  readonly username: string | undefined;
  /** Secret. */
  readonly password: string | undefined;
  /** True for TLS (`rediss://`). */
  readonly tls: boolean;
  /** node:tls options given in-process (CA, client certificate...): a URL cannot carry them. */
  readonly tlsOptions: Readonly<TlsOptions> | undefined;
  readonly prefix: string;
  /** `redis://user:***@host:port/db`: safe to log or print. */
  readonly display: string;
}

/** The connection settings of `resolved` as a full URL and its parts (see `RedisConnectionInfo`: secrets inside). */
export function redisConnectionInfo(resolved: ResolvedRedisConnection): RedisConnectionInfo {
  const options = resolved.ioredisOptions;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 6379;
  const { username, password, db } = options;
  const tlsOptions = options.tls;
  const tls = tlsOptions !== undefined;
  const credentials =
    username === undefined && password === undefined
      ? ''
      : `${encodeURIComponent(username ?? '')}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  const url = `${tls ? 'rediss' : 'redis'}://${credentials}${host.includes(':') ? `[${host}]` : host}:${port}${db === undefined ? '' : `/${db}`}`;
  const hasTlsSettings = tlsOptions !== undefined && Object.keys(tlsOptions).length > 0;
  return {
    url,
    host,
    port,
    db,
    username,
    password,
    tls,
    tlsOptions: hasTlsSettings ? tlsOptions : undefined,
    prefix: resolved.prefix,
    display: resolved.display,
  };
}

export interface CreateConnectionOptions {
  /** Shown in `CLIENT LIST` and in logs: `hero-supervisor`, `hero-worker:python_worker_0`... */
  name: string;
  logger?: Logger;
  /** Extra ioredis options for this one connection (e.g. `enableOfflineQueue: false`). */
  overrides?: RedisOptions;
}

/**
 * A new ioredis connection that never crashes its process: `error` is always handled (logged once per outage,
 * password-free), and it reconnects with backoff forever.
 */
export function createRedisConnection(
  resolved: ResolvedRedisConnection,
  { name, logger, overrides }: CreateConnectionOptions,
): Redis {
  const options: RedisOptions = {
    ...resolved.ioredisOptions,
    // CLIENT SETNAME refuses spaces.
    connectionName: name.replace(/\s/g, '_'),
    ...overrides,
  };
  const connection =
    resolved.cluster === undefined
      ? new Redis(options)
      : // A Cluster client offers the same commands, events, `status` and `duplicate()` the callers use, and BullMQ
        // takes either; typed as Redis so that the single-Redis code paths stay as they are.
        (new Cluster([...resolved.cluster], {
          redisOptions: clusterRedisOptions(options),
          clusterRetryStrategy: reconnectDelayMs,
        }) as unknown as Redis);
  watchConnection(connection, { name, display: resolved.display, logger });
  return connection;
}

/** Handles `error` on a connection (an unhandled one would crash the process) and logs outages once each. */
export function watchConnection(
  connection: Redis,
  { name, display, logger }: { name: string; display: string; logger?: Logger },
): void {
  let down = false;
  connection.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger?.warn({ connection: name, redis: display, err: { message: error.message } }, 'redis connection lost');
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    logger?.info({ connection: name, redis: display }, 'redis connection restored');
  });
}

/** True when the connection is up now (commands would not be queued). */
export function isConnectionReady(connection: Redis): boolean {
  return connection.status === 'ready';
}
