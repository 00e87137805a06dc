/**
 * A private redis-server for fault tests that must keep their data across a restart: append-only file, fsync on
 * every write, in its own temp dir. (test/helpers/redis-server.ts runs Redis without persistence: a restart there
 * empties it, which is right for most tests and wrong for "every accepted job finishes".)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect } from '../../src/net/loopback.js';
import { assertRedisServerInstalled, findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

export class DurableRedisServer {
  #child: ChildProcess | undefined;
  readonly #dir: string;
  /** Times start() brought it up (1 after the first start). */
  starts = 0;

  private constructor(
    readonly port: number,
    readonly extraArgs: readonly string[],
  ) {
    this.#dir = mkdtempSync(join(tmpdir(), 'hero-durable-redis-'));
  }

  /** Starts on a free port (or `port`) and resolves once it accepts connections. */
  static async start(options: { port?: number; extraArgs?: readonly string[] } = {}): Promise<DurableRedisServer> {
    assertRedisServerInstalled();
    const server = new DurableRedisServer(options.port ?? (await findFreePort()), options.extraArgs ?? []);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.#dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--loglevel',
        'warning',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
        return canConnect(this.port);
      },
      { timeoutMs: 15_000, description: `redis-server on port ${this.port}` },
    );
    this.starts += 1;
  }

  /** Stops it abruptly (SIGKILL by default) and resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Freezes it (SIGSTOP): connections stay open but nothing is answered, as in a network partition. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Lets a paused server run again (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Stops it and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
