/**
 * Gives each test run its own real Redis: REDIS_URL when set, otherwise a redis-server from PATH on a free
 * loopback port with persistence off, stopped at the end. Tests read it with `inject('redisUrl')`.
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { RedisServerProcess } from './helpers/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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
