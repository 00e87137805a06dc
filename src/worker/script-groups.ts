/**
 * The process groups of the scripts this process runs, so that none outlives the worker on an exit path the worker
 * can see: a normal exit (`process.exit`, the end of the event loop) and an uncaught exception or unhandled rejection
 * that will end the process. Each hook SIGKILLs every recorded group synchronously (nothing asynchronous runs after
 * `exit`). A SIGKILL of the worker runs no hook: there, the interpreter dies by its parent-death signal
 * (parent-death-signal.ts) and the reaper (group-reaper.ts), which is told of every group recorded here (but those in
 * a cgroup it kills whole: script-cgroup.ts `reapedOnDeath`), kills the rest of each group when it sees the worker gone.
 */
import { GroupReaper } from './group-reaper.js';

const groups = new Set<number>();
/** The groups listed with the reaper: those not in a cgroup it kills anyway (a subset of `groups`). */
const listed = new Set<number>();
const reaper = new GroupReaper();
let hooksInstalled = false;

/** SIGKILLs a whole process group; quiet when it is already gone. */
export function killGroup(pgid: number | undefined): void {
  if (pgid === undefined || pgid <= 0) return;
  // After every script the group is usually gone already, and Node throws for ESRCH: an error without a stack
  // trace costs about a third as much, on a path every job takes.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already.
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** SIGKILLs every recorded script group now. Returns how many there were. */
export function killScriptGroups(): number {
  const count = groups.size;
  for (const pgid of groups) {
    killGroup(pgid);
    if (listed.has(pgid)) reaper.remove(pgid);
  }
  groups.clear();
  listed.clear();
  return count;
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killScriptGroups());
  // Node trap: `exit` is not emitted when an uncaught exception ends the process. The monitor sees it first; kill only
  // when nobody handles it (an `uncaughtException` listener keeps the process, and its scripts, alive).
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') === 0) killScriptGroups();
  });
}

export interface TrackOptions {
  /**
   * The script is in a cgroup the reaper kills when the worker dies (script-cgroup.ts `reapedOnDeath`): the reaper
   * needs no line for its group. Two writes to the reaper per job (and two wake-ups of its shell) saved.
   */
  inReapedCgroup?: boolean;
}

/** Records a script's group (its leader's pid, spawned detached) until the returned function forgets it. */
export function trackScriptGroup(pgid: number, { inReapedCgroup = false }: TrackOptions = {}): () => void {
  installHooks();
  groups.add(pgid);
  if (inReapedCgroup) {
    return () => {
      groups.delete(pgid);
    };
  }
  listed.add(pgid);
  reaper.add(pgid, listed);
  return () => {
    groups.delete(pgid);
    if (listed.delete(pgid)) reaper.remove(pgid);
  };
}

/**
 * True when a reaper runs for this process (started now if needed): then every script group recorded is SIGKILLed
 * when this process dies, however it dies, and a script needs no parent-death signal of its own.
 */
export function scriptGroupsReaped(): boolean {
  return reaper.running(listed);
}

/** Has the reaper kill and remove the worker's script cgroups when the worker dies unseen (script-cgroup.ts). */
export function reapCgroupOnDeath(dir: string): void {
  reaper.reapCgroup(dir);
}

/** The pid of the reaper that kills the recorded groups if this process is killed (for tests and diagnostics). */
export function scriptGroupReaperPid(): number | undefined {
  return reaper.pid;
}

/** The groups recorded now (for tests and diagnostics). */
export function trackedScriptGroups(): number[] {
  return [...groups];
}
