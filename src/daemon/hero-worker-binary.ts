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

/** argv prefix of a script type's binary: `[node, …/hero-worker.js]` for the bundled worker, else `[binary]`. */
export function workerCommand(binary: string): { binaryPath: string; prefixArgs: string[] } {
  if (binary === BUNDLED_WORKER_NAME) return { binaryPath: process.execPath, prefixArgs: [bundledWorkerPath()] };
  return { binaryPath: binary, prefixArgs: [] };
}

/**
 * Arguments of the bundled worker when the config gives none. The Redis URL goes in the environment
 * (`REDIS_URL`), never in argv: argv of every process is readable by every user through `ps`.
 */
export function defaultWorkerArgs(scriptType: string, prefix: string): string[] {
  return ['--script-type', scriptType, '--worker-id', '{workerId}', '--prefix', prefix];
}
