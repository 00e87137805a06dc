/**
 * Child processes for the bench: each in its own process group (so a SIGKILL takes its grandchildren too),
 * tracked so that nothing outlives the bench, whatever happens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tracked = new Set<ChildProcess>();
const stderrTails = new WeakMap<ChildProcess, string>();
/** How much of a child's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 2000;

/** Absolute path of a compiled file under dist/src, e.g. `cli/hero-worker.js`. */
export function distPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

export const HERO_WORKER_BIN = distPath('cli/hero-worker.js');
export const RAW_BULLMQ_WORKER = distPath('bench/raw-bullmq-worker.js');

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Keep stdout as a pipe (to read a ready line); stderr is always piped and drained. */
  pipeStdout?: boolean;
  /** Node flags before the script (`--expose-gc`, `--max-old-space-size=...`). */
  nodeOptions?: readonly string[];
}

export function spawnNode(script: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), script, ...args], {
    detached: true,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.pipeStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  // stderr is drained so a chatty child never blocks on a full pipe; the tail is kept for error messages.
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTails.set(child, ((stderrTails.get(child) ?? '') + chunk.toString()).slice(-STDERR_TAIL_CHARS));
  });
  tracked.add(child);
  child.once('exit', () => tracked.delete(child));
  return child;
}

export function stderrTail(child: ChildProcess): string {
  return stderrTails.get(child) ?? '';
}

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals the child's whole process group; ignores a group that is already gone. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

export function waitExit(child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const exited = waitExit(child);
  killGroup(child, signal);
  await exited;
}

/** Resolves with the time (performance.now()) at which the child printed a line containing `marker`. */
export function waitForLine(
  child: ChildProcess,
  marker: string,
  timeoutMs: number,
  streamName: 'stdout' | 'stderr' = 'stdout',
): Promise<number> {
  const stream = child[streamName];
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no "${marker}" line within ${timeoutMs} ms; stderr: ${stderrTail(child)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const at = performance.now();
      buffer += chunk.toString();
      if (buffer.includes(marker)) {
        cleanup();
        resolve(at);
      }
      buffer = buffer.slice(-marker.length * 4 - 4096);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`exited (code ${code}, signal ${signal}) before "${marker}"; stderr: ${stderrTail(child)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      stream?.off('data', onData);
      child.off('exit', onExit);
    };
    stream?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGKILLs every process group still tracked; used at the end of each figure and on bench exit. */
export async function killAllTracked(): Promise<void> {
  await Promise.all([...tracked].map((child) => killAndWait(child)));
}

/** Synchronous variant for `process.on('exit')`. */
export function killAllTrackedSync(): void {
  for (const child of tracked) killGroup(child);
}
