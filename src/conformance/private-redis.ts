/**
 * The conformance kit's own Redis: a redis-server from PATH on a free loopback port, persistence off, stopped at the
 * end. Never a shared one: the kit floods queues and kills workers, and must not touch anybody's jobs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect, findFreePort } from '../net/loopback.js';

/** How long a redis-server may take to accept connections. */
const START_TIMEOUT_MS = 10_000;
/** Poll step while waiting for the port to accept connections. */
const PROBE_INTERVAL_MS = 20;

export class PrivateRedisUnavailableError extends Error {
  override name = 'PrivateRedisUnavailableError';
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startPrivateRedis(redisServer = 'redis-server'): Promise<PrivateRedis> {
  const port = await findFreePort();
  const child: ChildProcess = spawn(
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new PrivateRedisUnavailableError(
          `The conformance kit runs its own Redis and could not start \`${redisServer}\` (${error.message}). ` +
            'Install it (Debian/Ubuntu: `apt-get install redis-server`) or pass --redis-server <path>.',
        ),
      ),
    ),
  );
  spawnFailed.catch(() => {});
  const accepting = (async () => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new PrivateRedisUnavailableError(`redis-server exited with code ${child.exitCode} on port ${port}.`);
      if (await canConnect(port)) return;
      await sleep(PROBE_INTERVAL_MS);
    }
    child.kill('SIGKILL');
    throw new PrivateRedisUnavailableError(
      `redis-server did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms.`,
    );
  })();
  await Promise.race([accepting, spawnFailed]);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
