/**
 * Spawns the real `hero-worker` binary (dist/src/cli/hero-worker.js: run `npm run build` first) and collects its
 * JSON log lines from stderr. `ready()` resolves on the worker's own "consuming" line (an event, not a sleep).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HERO_WORKER_BIN = fileURLToPath(new URL('../../dist/src/cli/hero-worker.js', import.meta.url));

export interface HeroWorkerArgs {
  scriptType?: string;
  workerId: string;
  redisUrl: string;
  prefix: string;
  interpreter?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export class HeroWorkerProcess {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: HeroWorkerArgs) {
    if (!existsSync(HERO_WORKER_BIN)) throw new Error(`${HERO_WORKER_BIN} is missing: run \`npm run build\` first.`);
    const argv = [
      HERO_WORKER_BIN,
      '--script-type',
      args.scriptType ?? 'python',
      '--worker-id',
      args.workerId,
      '--redis-url',
      args.redisUrl,
      '--prefix',
      args.prefix,
      ...(args.interpreter === undefined ? [] : ['--interpreter', args.interpreter]),
      ...(args.extraArgs ?? []),
    ];
    this.child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: args.env ?? process.env });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.child.stdout?.resume();
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal: signal as NodeJS.Signals | null })),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get log(): string {
    return this.stderr.join('');
  }

  /** Resolves once the worker logs that it consumes its queues; rejects if it exits first. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.log.includes('"msg":"consuming"')) {
          this.child.stderr?.off('data', check);
          resolve();
        }
      };
      this.child.stderr?.on('data', check);
      check();
      this.exited.then(({ code, signal }) =>
        reject(new Error(`hero-worker exited (code ${code}, signal ${signal}) before it was ready:\n${this.log}`)),
      );
    });
  }

  /** SIGKILL unless already gone; resolves once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
