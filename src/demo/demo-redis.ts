/**
 * The demo's Redis: `REDIS_URL` when set; otherwise a `redis-server` from PATH, run as a managed dependency
 * service of the supervisor (loopback, a free port, no persistence). Without either, say exactly what to do.
 */
import { spawnSync } from 'node:child_process';
import type { ServiceConfig } from '../config/config-types.js';
import { findFreePort } from '../net/loopback.js';

export class DemoRedisUnavailableError extends Error {
  override name = 'DemoRedisUnavailableError';
}

export type DemoRedis =
  | { kind: 'external'; url: string }
  | { kind: 'managed'; url: string; port: number; service: ServiceConfig };

/** The demo's jobs are Python scripts, run by hero-worker with `python3`. */
export function python3Available(): boolean {
  const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

export function redisServerAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

/** A health check that needs nothing but Node: exits 0 once the port accepts connections and answers PING. */
function pingCheck(port: number): string[] {
  const script = `const s=require('net').connect(${port},'127.0.0.1');s.setTimeout(1000);s.on('connect',()=>s.write('PING\\r\\n'));s.on('data',d=>process.exit(String(d).startsWith('+PONG')?0:1));s.on('error',()=>process.exit(1));s.on('timeout',()=>process.exit(1));`;
  return [process.execPath, '-e', script];
}

export async function chooseDemoRedis(env: Readonly<Record<string, string | undefined>>): Promise<DemoRedis> {
  const url = env.REDIS_URL;
  if (url !== undefined && url !== '') return { kind: 'external', url };
  if (!redisServerAvailable()) {
    throw new DemoRedisUnavailableError(
      'The demo needs Redis. Either install redis-server (Debian/Ubuntu: `sudo apt-get install redis-server`; ' +
        'macOS: `brew install redis`) so the demo can run its own, or point it at one: `REDIS_URL=redis://127.0.0.1:6379 npm start`.',
    );
  }
  const port = await findFreePort();
  return {
    kind: 'managed',
    url: `redis://127.0.0.1:${port}`,
    port,
    service: {
      name: 'redis',
      command: ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      env: {},
      secretEnv: [],
      healthCheck: pingCheck(port),
      after: [],
      oneshot: false,
      stopTimeoutMs: 5_000,
    },
  };
}
