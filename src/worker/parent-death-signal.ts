/**
 * The fallback where no reaper can run (group-reaper.ts, which since #16 makes this exec per job unnecessary).
 * Makes a script die with its worker. Each interpreter runs in its own process group (so the worker's graceful stop
 * does not kill scripts it wants to finish, and a job timeout can kill the script's whole group), which also means
 * nothing sent to the worker's group reaches it. Linux's parent-death signal closes that gap: run through
 * `setpriv --pdeathsig KILL -- <interpreter argv>` (util-linux), the interpreter is SIGKILLed by the kernel when
 * the worker dies, even by SIGKILL.
 *
 * Traps, handled or accepted here:
 * - The signal fires when the *thread* that forked the child dies, not the process. Node's child_process forks from
 *   the main thread (libuv's `uv_spawn` runs on the event loop), which lives as long as the process: do not spawn
 *   scripts from a `worker_threads` thread.
 * - It covers the interpreter only. Its own children stay in its group and survive a SIGKILL of the worker unless the
 *   interpreter's death ends them (closed pipes, their own pdeathsig); the worker's exit hooks (script-groups.ts)
 *   kill whole groups on every exit path it can see.
 * - A worker killed between fork and setpriv's `prctl` (microseconds) leaves that one interpreter behind.
 * - Without `setpriv` (not Linux, util-linux older than 2.33, or missing), scripts run as before and a SIGKILLed
 *   worker leaves them running: logged once, as a warning.
 */
import { execFile } from 'node:child_process';
import { resolveExecutable } from './resolve-executable.js';

export type ParentDeathWrapper = { type: 'setpriv'; path: string } | { type: 'unavailable'; reason: string };

/** The probe runs `setpriv --pdeathsig KILL -- true` once; a healthy one answers in milliseconds. */
const PROBE_TIMEOUT_MS = 5_000;

let cached: Promise<ParentDeathWrapper> | undefined;

function probe(path: string): Promise<ParentDeathWrapper> {
  return new Promise((resolve) => {
    execFile(path, ['--pdeathsig', 'KILL', '--', 'true'], { timeout: PROBE_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) resolve({ type: 'setpriv', path });
      else
        resolve({
          type: 'unavailable',
          reason: `\`${path} --pdeathsig KILL\` failed: ${stderr.trim() || error.message}`,
        });
    });
  });
}

/** Finds and checks `setpriv` on the worker's PATH, once per process (lazily, on the first script), and caches it. */
export function parentDeathWrapper(): Promise<ParentDeathWrapper> {
  cached ??= (async (): Promise<ParentDeathWrapper> => {
    if (process.platform !== 'linux') return { type: 'unavailable', reason: `not Linux (${process.platform})` };
    const found = await resolveExecutable('setpriv');
    if (found.type === 'missing') return { type: 'unavailable', reason: 'setpriv (util-linux) not found on PATH' };
    return probe(found.path);
  })();
  return cached;
}

/** The argv that runs `interpreter` (an absolute path) with `args` under the wrapper, when there is one. */
export function wrapWithParentDeathSignal(
  wrapper: ParentDeathWrapper,
  interpreter: string,
  args: readonly string[],
): { file: string; args: string[] } {
  if (wrapper.type === 'unavailable') return { file: interpreter, args: [...args] };
  return { file: wrapper.path, args: ['--pdeathsig', 'KILL', '--', interpreter, ...args] };
}
