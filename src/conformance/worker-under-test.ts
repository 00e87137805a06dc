/**
 * The worker command the kit checks, run as the supervisor runs it: argv with `{workerId}`, `{redisUrl}`,
 * `{scriptType}` and `{prefix}` filled in (no shell), `REDIS_URL` in its environment, in a process group of its own
 * (a stop is SIGTERM to that group, as the backends send it). The last lines of its output are kept for failure lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fillPlaceholders, type TemplateValues } from '../lifecycle/worker-template.js';

/** Output lines kept for a failure message. */
const KEPT_LINES = 20;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function fillCommand(command: readonly string[], values: TemplateValues): string[] {
  return command.map((word) => fillPlaceholders(word, values));
}

export class WorkerUnderTest {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;

  constructor(argv: readonly string[], env: NodeJS.ProcessEnv) {
    const [file, ...args] = argv as [string, ...string[]];
    this.#child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    const keep = (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') this.#lines.push(line);
      this.#lines.splice(0, Math.max(0, this.#lines.length - KEPT_LINES));
    };
    this.#child.stdout?.setEncoding('utf8').on('data', keep);
    this.#child.stderr?.setEncoding('utf8').on('data', keep);
    this.exited = new Promise<Exit>((resolve) => {
      this.#child.once('error', (error) => {
        keep(`could not start: ${error.message}`);
        this.#exit = { code: null, signal: null };
        resolve(this.#exit);
      });
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Undefined while it runs. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** The last lines it wrote, for a failure message. */
  outputTail(lines = 5): string {
    return this.#lines.slice(-lines).join('\n');
  }

  /** A signal to the worker's whole process group (as a stop by the supervisor sends it). */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.#exit !== undefined || this.#child.pid === undefined) return;
    try {
      process.kill(-this.#child.pid, signal);
    } catch {
      // gone already
    }
  }
}

/** Runs a command to its end (the health check); `null` code when it did not end within `timeoutMs` (then killed). */
export async function runToEnd(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Exit & { output: string; ms: number }> {
  const started = performance.now();
  const worker = new WorkerUnderTest(argv, env);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const ended = await Promise.race([worker.exited, timedOut]);
  clearTimeout(timer);
  if (ended === 'timeout') {
    worker.signalGroup('SIGKILL');
    await worker.exited;
    return { code: null, signal: null, output: worker.outputTail(), ms: Math.round(performance.now() - started) };
  }
  return { ...ended, output: worker.outputTail(), ms: Math.round(performance.now() - started) };
}
