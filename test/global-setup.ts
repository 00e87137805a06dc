/**
 * Gives each test run its own real Redis: REDIS_URL when set, otherwise a redis-server from PATH on a free
 * loopback port with persistence off, stopped at the end. Tests read it with `inject('redisUrl')`.
 * First it makes sure dist/ (the binaries many tests spawn) is not older than src/: rebuilt, or the run fails.
 */
import { fileURLToPath } from 'node:url';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { ensureFreshDist } from './helpers/dist-freshness.js';
import { RedisServerProcess } from './helpers/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { rebuilt } = await ensureFreshDist({ root: fileURLToPath(new URL('..', import.meta.url)) });
  if (rebuilt) process.stderr.write('global setup: dist/ was older than src/; rebuilt it (npm run build)\n');
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return async () => {};
  }
  const server = await RedisServerProcess.start();
  project.provide('redisUrl', server.url);
  return async () => {
    await server.stop('SIGTERM');
  };
}
