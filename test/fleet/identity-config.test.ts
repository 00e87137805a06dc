/** Fleet identity (host-qualified worker ids) and the `fleet` / `redis.cluster` config: values and clear errors (#14). */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { fleetWorkerId, localWorkerName, qualifyPlaceholder, resolveHostId } from '../../src/fleet/identity.js';
import { controlQueueName } from '../../src/transport/queue-names.js';
import { resolveRedisConnection } from '../../src/transport/redis-connection.js';

describe('identity', () => {
  it('qualifies worker ids with the host id, a valid queue name, and splits only its own host’s ids', () => {
    const id = fleetWorkerId('build-1.example.org', 'python_worker_0');
    expect(id).toBe('build-1.example.org.python_worker_0');
    expect(controlQueueName(id)).toBe('control.build-1.example.org.python_worker_0');
    expect(localWorkerName('build-1.example.org', id)).toBe('python_worker_0');
    expect(localWorkerName('build-1', id)).toBeUndefined();
    expect(localWorkerName('build-1.example.org', 'python_worker_0')).toBeUndefined();
    expect(qualifyPlaceholder('--worker-id={workerId}', 'hostA')).toBe('--worker-id=hostA.{workerId}');
  });

  it('defaults to the hostname, and says which value is wrong', () => {
    expect(resolveHostId(undefined, 'node-7')).toBe('node-7');
    expect(resolveHostId('hostA', 'node-7')).toBe('hostA');
    expect(() => resolveHostId(undefined, 'bad host')).toThrow(
      'Expected `fleet.hostId` to be 1-63 letters, digits, `_`, `.` or `-` starting with a letter or digit, got the hostname `bad host`: set fleet.hostId.',
    );
    expect(() => resolveHostId('a|b')).toThrow(ConfigError);
  });
});

describe('config', () => {
  const base = { scriptTypes: { python: { binary: 'hero-worker', min: 1, max: 4 } } };

  it('without `fleet`, nothing changes; with it, defaults apply', () => {
    expect(parseConfig(base).fleet).toBeUndefined();
    expect(parseConfig({ ...base, fleet: {} }).fleet).toEqual({ heartbeatMs: 1_000, ttlMs: 3_000, scriptTypes: {} });
    expect(
      parseConfig({
        ...base,
        fleet: { hostId: 'hostA', heartbeatMs: '250ms', ttlMs: '1s', scriptTypes: { python: { max: 6 } } },
      }).fleet,
    ).toEqual({ hostId: 'hostA', heartbeatMs: 250, ttlMs: 1_000, scriptTypes: { python: { max: 6 } } });
  });

  it('refuses a TTL shorter than two heartbeats, a bad host id, and an unknown key, naming each', () => {
    const error = (() => {
      try {
        parseConfig({ ...base, fleet: { hostId: 'a b', heartbeatMs: 1_000, ttlMs: 1_500, colour: 1 } });
      } catch (caught) {
        return caught as ConfigError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const paths = error?.issues.map((issue) => issue.path) ?? [];
    expect(paths).toContain('fleet.hostId');
    expect(paths).toContain('fleet.colour');
  });

  it('refuses fleet bounds of an unknown script type, or with min above max', () => {
    const issues = (fleet: unknown) => {
      try {
        parseConfig({ ...base, fleet });
      } catch (caught) {
        return (caught as ConfigError).issues;
      }
      return [];
    };
    expect(issues({ scriptTypes: { pyhton: { max: 6 } } })).toContainEqual({
      path: 'fleet.scriptTypes.pyhton',
      message: 'unknown script type; expected one of `python`',
    });
    expect(issues({ scriptTypes: { python: { min: 7, max: 6 } } })).toContainEqual({
      path: 'fleet.scriptTypes.python',
      message: '`min` (7) is greater than `max` (6); expected min <= max',
    });
  });

  it('accepts a hash-tag prefix and cluster nodes; a Cluster without a hash tag is refused with the fix', () => {
    const config = parseConfig({
      ...base,
      redis: { url: 'redis://127.0.0.1:7000', keyPrefix: '{hero}', cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] },
    });
    expect(config.redis).toMatchObject({ keyPrefix: '{hero}', cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] });
    expect(() => resolveRedisConnection({ prefix: 'hero', cluster: ['127.0.0.1:7000'] })).toThrow(
      'A Redis Cluster needs a hash-tag key prefix such as `{hero}`, got `hero`: set redis.keyPrefix to `{hero}`.',
    );
    expect(resolveRedisConnection({ prefix: '{hero}', cluster: ['127.0.0.1:7000'] }).cluster).toEqual([
      { host: '127.0.0.1', port: 7000 },
    ]);
    expect(() => parseConfig({ ...base, redis: { keyPrefix: '{he:ro}' } })).toThrow(ConfigError);
  });
});
