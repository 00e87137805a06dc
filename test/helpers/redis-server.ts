/**
 * A real redis-server owned by the tests: started on a free loopback port with persistence off,
 * stoppable and restartable on the same port (fault tests need Redis to go away and come back).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { canConnect, findFreePort } from '../../src/net/loopback.js';

export { findFreePort };

/** How long a redis-server may take to accept connections before the harness gives up. */
const REDIS_START_TIMEOUT_MS = 10_000;

export class RedisServerUnavailableError extends Error {
  override name = 'RedisServerUnavailableError';
}

export function assertRedisServerInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new RedisServerUnavailableError(
      'The tests need a real Redis: redis-server was not found on PATH. ' +
        'Install it (`apt-get install redis-server`) or set REDIS_URL=redis://host:port to a Redis the tests may use.',
    );
  }
}

export class RedisServerProcess {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<RedisServerProcess> {
    assertRedisServerInstalled();
    const server = new RedisServerProcess(port ?? (await findFreePort()));
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts (again) on the same port and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`redis-server exited with code ${child.exitCode} on port ${this.port}`);
      if (await canConnect(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not accept connections on port ${this.port} within ${REDIS_START_TIMEOUT_MS} ms`);
  }

  /** Stops the server (SIGKILL: tests want an abrupt loss) and resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
