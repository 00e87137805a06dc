/**
 * A private Redis: a redis-server from PATH on a free loopback port, persistence off, stopped at the end. The
 * conformance kit runs one (it floods queues and kills workers, and must not touch anybody's jobs), and so does the
 * bench when no REDIS_URL is given. (The tests have their own, which can also restart on the same port.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect, findFreePort } from '../net/loopback.js';

/** How long a redis-server may take to accept connections. */
const START_TIMEOUT_MS = 10_000;
/** Poll step while waiting for the port to accept connections. */
const PROBE_INTERVAL_MS = 20;

export class RedisServerUnavailableError extends Error {
  override name = 'RedisServerUnavailableError';
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** @defaultValue 'redis-server' (from PATH) */
  binary?: string;
  /** Said after the install hint when the binary cannot be started (`or set REDIS_URL=…`). */
  alternative?: string;
}

export async function startRedisServer({
  binary: redisServer = 'redis-server',
  alternative,
}: StartRedisServerOptions = {}): Promise<RedisServer> {
  const port = await findFreePort();
  const child: ChildProcess = spawn(
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new RedisServerUnavailableError(
          `Could not start \`${redisServer}\` for a private Redis (${error.message}). Install it ` +
            `(Debian/Ubuntu: \`apt-get install redis-server\`)${alternative === undefined ? '' : `, ${alternative}`}.`,
        ),
      ),
    ),
  );
  spawnFailed.catch(() => {});
  const accepting = (async () => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new RedisServerUnavailableError(`redis-server exited with code ${child.exitCode} on port ${port}.`);
      if (await canConnect(port)) return;
      await sleep(PROBE_INTERVAL_MS);
    }
    child.kill('SIGKILL');
    throw new RedisServerUnavailableError(
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
