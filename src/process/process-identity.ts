/**
 * Whether a recorded process is still the one that was recorded: a pid alone may have been reused by another
 * program since. On Linux the process's start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) tells
 * a reused pid apart; elsewhere only liveness (signal 0) is known.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** From /proc/<pid>/stat; absent off Linux. */
  startTicks?: string;
}

/** State (field 3) and start time (field 22) from /proc/<pid>/stat, or undefined (gone, or not Linux). */
function readStat(pid: number): { state: string; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTicks: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** The start time of a process in clock ticks since boot, or undefined (gone, or not Linux). */
export function processStartTicks(pid: number): string | undefined {
  return readStat(pid)?.startTicks;
}

/** This process, as another one would record it. */
export function ownIdentity(): ProcessIdentity {
  const startTicks = processStartTicks(process.pid);
  return { pid: process.pid, ...(startTicks !== undefined && { startTicks }) };
}

/** True while the recorded process lives and has not been replaced by another with the same pid. */
export function isSameProcessAlive(identity: ProcessIdentity): boolean {
  if (!Number.isInteger(identity.pid) || identity.pid <= 0) return false;
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(identity.pid);
  // A zombie has exited: only its parent has not collected its status yet.
  if (stat === undefined) return true;
  if (stat.state === 'Z') return false;
  return identity.startTicks === undefined || stat.startTicks === identity.startTicks;
}
