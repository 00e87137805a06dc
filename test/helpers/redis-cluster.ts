/**
 * A real local Redis Cluster of three masters for a test: three `redis-server --cluster-enabled yes` on free
 * loopback ports, each with its own directory (nodes.conf), joined by `redis-cli --cluster create ... --cluster-yes`,
 * ready once every node reports `cluster_state:ok`. `stop()` ends the servers and removes the directories.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertRedisServerInstalled, findFreePort } from './redis-server.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export class RedisClusterProcess {
  readonly #children: ChildProcess[];

  private constructor(
    readonly ports: readonly number[],
    readonly dir: string,
    children: ChildProcess[],
  ) {
    this.#children = children;
  }

  /** `host:port` of every master, as the config's `redis.cluster` takes them. */
  get nodes(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  /** One node's URL (`redis.url`): where a client starts discovering the cluster. */
  get url(): string {
    return `redis://127.0.0.1:${this.ports[0]}`;
  }

  static async start(masters = 3): Promise<RedisClusterProcess> {
    assertRedisServerInstalled();
    const dir = await mkdtemp(join(tmpdir(), 'hero-redis-cluster-'));
    const ports: number[] = [];
    while (ports.length < masters) {
      const port = await findFreePort();
      // The cluster bus listens on port + 10000: it must be free (and below 65536) too.
      if (!ports.includes(port) && port + 10_000 < 65_536) ports.push(port);
    }
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--loglevel',
          'warning',
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new RedisClusterProcess(ports, dir, children);
    try {
      for (const port of ports) {
        await waitFor(async () => (await cli(port, ['ping'])).trim() === 'PONG', {
          timeoutMs: 10_000,
          description: `redis-server on ${port}`,
        });
      }
      await run('redis-cli', ['--cluster', 'create', ...cluster.nodes, '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: 30_000,
      });
      for (const port of ports) {
        await waitFor(async () => (await cli(port, ['cluster', 'info'])).includes('cluster_state:ok'), {
          timeoutMs: 20_000,
          description: `cluster_state:ok on ${port}`,
        });
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function cli(port: number, args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 })).stdout;
  } catch {
    return '';
  }
}
