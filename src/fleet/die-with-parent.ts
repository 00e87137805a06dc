/**
 * In a fleet, a SIGKILLed supervisor's share is started again on the other members; workers it leaves behind
 * would keep taking jobs beside them and push the fleet above its max. With the embedded backend the workers are
 * the supervisor's children, so they run under util-linux `setpriv --pdeathsig TERM`: when the supervisor dies,
 * each gets SIGTERM and stops as at a graceful stop (its active job finishes or goes back to the queue).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The path of `setpriv` on PATH, or undefined. */
export function findSetpriv(path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `binary args…` → `setpriv --pdeathsig TERM -- binary args…` (the pid stays the worker's: setpriv execs). */
export function dieWithParent(
  command: { binaryPath: string; prefixArgs: string[] },
  setpriv: string,
): { binaryPath: string; prefixArgs: string[] } {
  return { binaryPath: setpriv, prefixArgs: ['--pdeathsig', 'TERM', '--', command.binaryPath, ...command.prefixArgs] };
}
