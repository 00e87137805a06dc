/** Redis URL parsing, TLS, ACL users, prefixes and password redaction (issues #4, #8). */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { activityChannel, assertWorkerId, controlQueueName, jobQueueName } from '../../src/transport/queue-names.js';
import {
  parseRedisUrl,
  reconnectDelayMs,
  redactRedisUrl,
  redisConnectionInfo,
  resolveRedisConnection,
} from '../../src/transport/redis-connection.js';

describe('parseRedisUrl', () => {
  it('reads host, port, ACL user, password and db', () => {
    expect(parseRedisUrl('redis://alice:p%40ss@redis.example:6380/2')).toEqual({
      host: 'redis.example',
      port: 6380,
      username: 'alice',
      password: 'p@ss',
      db: 2,
      tls: false,
    });
  });

  it('turns on TLS for rediss://', () => {
    expect(parseRedisUrl('rediss://:pw@h')).toMatchObject({ host: 'h', port: 6379, password: 'pw', tls: true });
  });

  it('strips the brackets of an IPv6 host', () => {
    expect(parseRedisUrl('redis://[::1]:7000').host).toBe('::1');
  });

  it('refuses another scheme, redacting the password', () => {
    const error = (() => {
      try {
        parseRedisUrl('http://u:topsecret@h:1');
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Expected a Redis URL with scheme redis:// or rediss:// (TLS), got `http://u:***@h:1`.',
    );
  });

  it('refuses a path that is not a database number', () => {
    expect(() => parseRedisUrl('redis://h/abc')).toThrow(
      "Expected the Redis URL's path to be a database number like /0, got `/abc` in `redis://h/abc`.",
    );
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://:secret@h:1', 'redis://:***@h:1'],
    ['rediss://user:secret@h:1/0', 'rediss://user:***@h:1/0'],
    ['redis://h:1', 'redis://h:1'],
    ['not a url //user:secret@host', 'not a url //user:***@host'],
    ['redis://u:p@ss@host:1', 'redis://u:***@host:1'],
  ])('redacts %s', (url, redacted) => {
    expect(redactRedisUrl(url)).toBe(redacted);
  });
});

describe('resolveRedisConnection', () => {
  it('defaults the prefix to hero and sets what BullMQ and reconnects need', () => {
    const resolved = resolveRedisConnection('redis://u:pw@h:1/3');

    expect(resolved.prefix).toBe('hero');
    expect(resolved.display).toBe('redis://u:***@h:1/3');
    expect(resolved.ioredisOptions).toMatchObject({ host: 'h', port: 1, username: 'u', password: 'pw', db: 3 });
    expect(resolved.ioredisOptions.maxRetriesPerRequest).toBeNull();
    expect(resolved.ioredisOptions.retryStrategy).toBe(reconnectDelayMs);
  });

  it('gives TLS options to ioredis for rediss:// and for tls: true', () => {
    expect(resolveRedisConnection('rediss://h').ioredisOptions.tls).toEqual({});
    expect(resolveRedisConnection({ url: 'redis://h', tls: true }).display).toBe('rediss://h:6379');
  });

  it('lets explicit fields win over the URL', () => {
    const resolved = resolveRedisConnection({ url: 'redis://a:1', host: 'b', password: 'x', prefix: 'p1' });

    expect(resolved.ioredisOptions).toMatchObject({ host: 'b', port: 1, password: 'x' });
    expect(resolved.prefix).toBe('p1');
  });

  it('refuses a prefix with a colon', () => {
    expect(() => resolveRedisConnection({ prefix: 'a:b' })).toThrow(
      'Expected `prefix` to be 1-64 letters, digits, `_`, `.` or `-`, got `a:b` (string).',
    );
  });

  it('refuses ioredis keyPrefix, which BullMQ cannot use', () => {
    expect(() => resolveRedisConnection({ ioredis: { keyPrefix: 'x:' } })).toThrow(
      'ioredis `keyPrefix` is not supported (BullMQ refuses it): set `prefix` instead.',
    );
  });
});

describe('redisConnectionInfo', () => {
  it('rebuilds a full URL, password included and percent-encoded, that parses back to the same settings', () => {
    const resolved = resolveRedisConnection({ url: 'rediss://al%40ice:p%3Ass@redis.example:6380/2', prefix: 'prod' });

    const info = redisConnectionInfo(resolved);

    expect(info).toMatchObject({
      url: 'rediss://al%40ice:p%3Ass@redis.example:6380/2',
      host: 'redis.example',
      port: 6380,
      db: 2,
      username: 'al@ice',
      password: 'p:ss',
      tls: true,
      tlsOptions: undefined,
      prefix: 'prod',
      display: 'rediss://al@ice:***@redis.example:6380/2',
    });
    expect(parseRedisUrl(info.url)).toEqual(parseRedisUrl('rediss://al%40ice:p%3Ass@redis.example:6380/2'));
  });

  it('carries a password given apart from the URL, and an IPv6 host in brackets', () => {
    const info = redisConnectionInfo(resolveRedisConnection({ url: 'redis://[::1]:7000', password: 's3cret' }));

    expect(info.url).toBe('redis://:s3cret@[::1]:7000');
    expect(info.prefix).toBe('hero');
  });

  it('keeps in-process TLS options apart, since a URL cannot carry them', () => {
    const info = redisConnectionInfo(
      resolveRedisConnection({ url: 'redis://h', tls: { servername: 'redis.internal' } }),
    );

    expect(info).toMatchObject({ url: 'rediss://h:6379', tls: true, tlsOptions: { servername: 'redis.internal' } });
  });
});

describe('reconnectDelayMs', () => {
  it('backs off exponentially up to one second', () => {
    expect(reconnectDelayMs(1)).toBeLessThanOrEqual(50);
    expect(reconnectDelayMs(3)).toBeGreaterThanOrEqual(150);
    expect(reconnectDelayMs(50)).toBeLessThanOrEqual(1_000);
    expect(reconnectDelayMs(50)).toBeGreaterThanOrEqual(750);
  });
});

describe('queue names', () => {
  it('builds colon-free BullMQ queue names and prefixed channels', () => {
    expect(jobQueueName('python')).toBe('jobs.python');
    expect(controlQueueName('python_worker_0')).toBe('control.python_worker_0');
    expect(activityChannel('hero')).toBe('hero:activity');
  });

  it.each(['', 'a:b', 'a b', 'a/b', 'x'.repeat(129), 'é'])('refuses worker id %j', (workerId) => {
    expect(() => assertWorkerId(workerId)).toThrow(ConfigError);
  });
});
