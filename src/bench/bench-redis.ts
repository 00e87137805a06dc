/**
 * The bench's own Redis: REDIS_URL when set, otherwise a redis-server from PATH on a free loopback port with
 * persistence off, stopped when the bench ends. (The test harness has its own; src/ never imports from test/.)
 */
import { startRedisServer } from '../net/redis-server.js';

export interface BenchRedis {
  url: string;
  /** True when the bench started this server (and may flush it). */
  owned: boolean;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const external = process.env.REDIS_URL;
  if (external) return { url: external, owned: false, stop: async () => {} };
  const server = await startRedisServer({ alternative: 'or set REDIS_URL=redis://host:port' });
  return { url: server.url, owned: true, stop: () => server.stop() };
}
