/**
 * `binary: hero-worker` in a config means the worker bundled with this hero-supervisor (same version, same wire
 * protocol), run by the same Node.js; any other value is run as written.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUNDLED_WORKER_NAME = 'hero-worker';

/** dist/src/cli/hero-worker.js, next to this module's own dist/src/ (or src/ under tsx, then dist/ if built). */
export function bundledWorkerPath(): string {
  const built = fileURLToPath(new URL('../cli/hero-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  return fileURLToPath(new URL('../../dist/src/cli/hero-worker.js', import.meta.url));
}

/**
 * Node flags the bundled worker runs with. Every job forks the worker (the spawn of its interpreter), and a fork costs
 * in proportion to the worker's memory and threads: its page tables are copied, the CPUs its threads ran on are told
 * to flush their TLBs, and every page it writes afterwards faults once. A young generation of 1 MB instead of 16 and
 * one V8 helper thread instead of four make the worker smaller on both counts; its event loop only shuttles pipes and
 * small Redis replies, so it needs neither. Measured in src/bench/README.md (`dispatch`).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--v8-pool-size=1'];

/** argv prefix of a script type's binary: `[node, …flags, …/hero-worker.js]` for the bundled worker, else `[binary]`. */
export function workerCommand(binary: string): { binaryPath: string; prefixArgs: string[] } {
  if (binary === BUNDLED_WORKER_NAME) {
    return { binaryPath: process.execPath, prefixArgs: [...WORKER_NODE_FLAGS, bundledWorkerPath()] };
  }
  return { binaryPath: binary, prefixArgs: [] };
}

/**
 * Arguments of the bundled worker when the config gives none. The Redis URL goes in the environment
 * (`REDIS_URL`), never in argv: argv of every process is readable by every user through `ps`.
 */
export function defaultWorkerArgs(scriptType: string, prefix: string): string[] {
  return ['--script-type', scriptType, '--worker-id', '{workerId}', '--prefix', prefix];
}
