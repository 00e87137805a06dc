/** Probes real processes for tests: is a pid alive? A zombie (exited, not yet reaped) counts as gone. */
import { readFileSync } from 'node:fs';

/** True while `pid` runs. `kill(pid, 0)` succeeds for zombies too, so on Linux the state in /proc decides. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}
