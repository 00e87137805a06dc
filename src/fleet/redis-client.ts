/** The fleet talks to a single Redis or to a Redis Cluster through the same few commands. */
import type { Cluster, Redis } from 'ioredis';

export type FleetRedis = Redis | Cluster;

/** Runs a Lua script (EVAL); the keys must share a slot on a Cluster (a hash-tag prefix does that). */
export function evalScript(
  redis: FleetRedis,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
) {
  return redis.eval(script, keys.length, ...keys, ...args.map(String)) as Promise<unknown>;
}

/** Redis's own clock (ms), so that hosts with skewed clocks agree on when a heartbeat lapses. */
export const REDIS_NOW_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
