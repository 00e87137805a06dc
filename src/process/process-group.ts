/**
 * Process-group helpers shared by the embedded backend and its orphan reaper. Every service runs as the leader of its
 * own process group (pgid = pid), so one signal to `-pgid` reaches the service and everything it forked.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * How often a stop re-checks whether a group's last members are gone. Grandchildren give no exit event to their
 * grandparent, so this one wait polls; 25 ms keeps stop() prompt without busy-looping.
 */
export const GROUP_POLL_INTERVAL_MS = 25;

/** Sends `signal` to every process in the group. Returns false when the group no longer exists (ESRCH). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function readProcStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) members of a process group, read from /proc. Empty off Linux. */
export function listGroupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(pid);
  }
  return members;
}

/**
 * True while any process of the group lives. `kill(-pgid, 0)` also succeeds for zombies: grandchildren reparented to
 * an init that never reaps them (as in some containers) would look alive forever, so on Linux /proc has the last word.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  return listGroupMembers(pgid).length > 0;
}

/** The argv of a running process from /proc/<pid>/cmdline, or undefined when it is gone or unreadable. */
export function readCommandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw.length === 0) return undefined;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/** The process group of a live, non-zombie process, or undefined. */
export function readProcessGroup(pid: number): number | undefined {
  const stat = readProcStat(pid);
  return stat && stat.state !== 'Z' ? stat.pgrp : undefined;
}

/** Resolves once the group is gone, or with false when `timeoutMs` passes first. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, GROUP_POLL_INTERVAL_MS));
  }
  return true;
}
