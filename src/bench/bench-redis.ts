/**
 * The bench's own Redis: REDIS_URL when set, otherwise a redis-server from PATH on a free loopback port with
 * persistence off, stopped when the bench ends. (The test harness has its own; src/ never imports from test/.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect, findFreePort } from '../net/loopback.js';

/** How long a redis-server may take to accept connections before the bench gives up. */
const REDIS_START_TIMEOUT_MS = 10_000;
/** Poll step while waiting for the port to accept connections. */
const REDIS_PROBE_INTERVAL_MS = 20;

export interface BenchRedis {
  url: string;
  /** True when the bench started this server (and may flush it). */
  owned: boolean;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const external = process.env.REDIS_URL;
  if (external) return { url: external, owned: false, stop: async () => {} };

  const port = await findFreePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new Error(
          `The bench needs a real Redis and could not start redis-server (${error.message}). ` +
            'Install it (`apt-get install redis-server`) or set REDIS_URL=redis://host:port.',
        ),
      ),
    ),
  );
  spawnError.catch(() => {});
  const ready = (async () => {
    const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
      if (await canConnect(port)) return;
      await sleep(REDIS_PROBE_INTERVAL_MS);
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not accept connections on port ${port} within ${REDIS_START_TIMEOUT_MS} ms`);
  })();
  await Promise.race([ready, spawnError]);

  return {
    url: `redis://127.0.0.1:${port}`,
    owned: true,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
