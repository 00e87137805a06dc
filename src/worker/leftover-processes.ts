/**
 * Naming what a script left running after it exited, from /proc: a process's command line, and (where the worker has
 * no cgroup per script) the processes that carry the script's environment marker. Linux only; elsewhere every
 * function answers "nothing found".
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface LeftoverProcess {
  pid: number;
  command: string;
}

/** `sleep 305` for a pid (its argv joined by spaces), `?` when it is gone or unreadable. */
export function commandOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return argv.length > 0 ? argv.join(' ') : '?';
  } catch {
    return '?';
  }
}

/** The process group of a pid (field 5 of /proc/<pid>/stat, after the parenthesised command), if readable. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

export function describeProcesses(pids: readonly number[]): LeftoverProcess[] {
  return pids.map((pid) => ({ pid, command: commandOf(pid) }));
}

/**
 * Every process whose environment holds `entry` (`NAME=value`): a script's descendants inherit the marker the worker
 * put in its environment, even after leaving its process group. Scans /proc: for the rare slow path only.
 */
export function processesWithEnv(entry: string): LeftoverProcess[] {
  const found: LeftoverProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) {
        found.push({ pid, command: commandOf(pid) });
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** `pid 4242 (sleep 305), pid 4243 (…)`. */
export function listProcesses(processes: readonly LeftoverProcess[]): string {
  return processes.map(({ pid, command }) => `pid ${pid} (${command})`).join(', ');
}
