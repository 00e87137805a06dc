/**
 * A cgroup v2 per running script, where the worker may make one (root, a writable cgroup2 mount): everything the
 * script starts stays in its cgroup, even a daemon that left its process group with `setsid`, so when the script
 * exits the worker can name what it left behind and kill it (`cgroup.kill`). Elsewhere (not root, no cgroup2, a
 * read-only mount) `scriptCgroups()` says why, and the script runner falls back to naming the processes that still
 * hold the script's output (leftover-processes.ts).
 *
 * Layout: `<the worker's own cgroup>/hero-worker-<pid>/script-<n>`. Directories are reused for later scripts (a
 * mkdir/rmdir per job costs more than the job layer's whole budget) and removed when the worker exits; when it dies
 * unseen (SIGKILL), its reaper (group-reaper.ts) kills everything in them, daemons included, and removes them.
 *
 * Traps:
 * - The script is moved into its cgroup right after `spawn` returns, when its interpreter has just exec'd: a process it
 *   forks and detaches in that first instant (before the interpreter has even read its script) is not tracked.
 * - cgroup v2's "no internal processes" rule: a cgroup whose `cgroup.subtree_control` enables controllers cannot hold
 *   processes of its own; the worker's cgroup holds the worker, so it must enable none (checked: then unavailable).
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmdirSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { reapCgroupOnDeath } from './script-groups.js';

export type CgroupSupport =
  | {
      type: 'available';
      root: string;
      /** The kernel has `cgroup.kill` (Linux 5.14+). */
      killable: boolean;
    }
  | { type: 'unavailable'; reason: string };

/** One script's cgroup while the script runs. */
export interface ScriptCgroup {
  readonly path: string;
  /**
   * Moves a process into it (the script's interpreter, right after spawn). False when it could not (the process is
   * gone already, or the kernel refused): then the process is not tracked by the cgroup.
   */
  adopt(pid: number): boolean;
  /**
   * True when the worker's reaper kills everything in this cgroup if the worker dies unseen (Linux 5.14+, which has
   * `cgroup.kill`): a script moved into it needs no other record with the reaper.
   */
  readonly reapedOnDeath: boolean;
  /** Pids still in it (after the interpreter exited: what the script left running). */
  members(): number[];
  /** SIGKILLs every process in it. */
  kill(): void;
  /** Gives the directory back for the next script (after the script's exit was handled); idempotent. */
  release(): void;
}

let support: CgroupSupport | undefined;
/** Directories given back, for the next script. */
const free: string[] = [];
const made: string[] = [];
/**
 * Each directory's `cgroup.procs`, opened once (read and write) and kept: a move is a write and the members are a read
 * at offset 0, not an open and a close per job.
 */
const procsFiles = new Map<string, number>();
let next = 0;
let exitHookInstalled = false;
/** Where `members()` reads a `cgroup.procs`: a few pids fit many times over. */
const membersBuffer = Buffer.alloc(4096);

/** The cgroup2 mount point, from /proc/self/mountinfo (`… <mount point> … - cgroup2 …`). */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (after?.startsWith('cgroup2 ')) return before?.split(' ')[4];
  }
  return undefined;
}

function detect(): CgroupSupport {
  if (process.platform !== 'linux') return { type: 'unavailable', reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { type: 'unavailable', reason: 'the worker does not run as root' };
  try {
    const mount = cgroup2Mount();
    if (mount === undefined) return { type: 'unavailable', reason: 'no cgroup2 file system is mounted' };
    const own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('0::'))
      ?.slice(3);
    if (own === undefined) return { type: 'unavailable', reason: 'the worker is in no cgroup v2' };
    const mine = join(mount, own);
    if (own !== '/' && readFileSync(join(mine, 'cgroup.subtree_control'), 'utf8').trim() !== '') {
      return { type: 'unavailable', reason: `cgroup ${mine} enables controllers for its children` };
    }
    const root = join(mine, `hero-worker-${process.pid}`);
    mkdirSync(root, { recursive: true });
    made.push(root);
    // A worker killed unseen (SIGKILL) runs no exit hook: its reaper kills what is in these cgroups and removes them.
    reapCgroupOnDeath(root);
    return { type: 'available', root, killable: existsSync(join(root, 'cgroup.kill')) };
  } catch (error) {
    return { type: 'unavailable', reason: (error as Error).message };
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Empty directories only (the script groups are killed by script-groups.ts's own hook); deepest first.
  process.on('exit', () => {
    for (const fd of procsFiles.values()) {
      try {
        closeSync(fd);
      } catch {
        // Closed already: nothing holds the directory.
      }
    }
    procsFiles.clear();
    for (const dir of made.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Busy (a process is still dying in it) or gone: nothing more to do on the way out.
      }
    }
  });
}

/** Whether scripts get a cgroup here; detected once, on the first script. */
export function scriptCgroupSupport(): CgroupSupport {
  support ??= detect();
  return support;
}

/** A cgroup for one script, or `undefined` where there are none. Never throws. */
export function acquireScriptCgroup(): ScriptCgroup | undefined {
  const found = scriptCgroupSupport();
  if (found.type === 'unavailable') return undefined;
  installExitHook();
  let path = free.pop();
  if (path === undefined) {
    path = join(found.root, `script-${next++}`);
    try {
      mkdirSync(path);
    } catch {
      return undefined;
    }
    made.push(path);
  }
  return cgroupAt(path, found.killable);
}

/** The kept descriptor of a directory's `cgroup.procs` (opened on its first script), or undefined if it cannot be. */
function procsFileOf(path: string): number | undefined {
  let fd = procsFiles.get(path);
  if (fd === undefined) {
    try {
      fd = openSync(join(path, 'cgroup.procs'), 'r+');
    } catch {
      return undefined;
    }
    procsFiles.set(path, fd);
  }
  return fd;
}

function cgroupAt(path: string, killable: boolean): ScriptCgroup {
  let released = false;
  const members = (): number[] => {
    try {
      const fd = procsFileOf(path);
      // Nearly always empty (the script left nothing): one read into a kept buffer, no allocation. A full buffer
      // (hundreds of processes left) is read again whole.
      const length = fd === undefined ? membersBuffer.length : readSync(fd, membersBuffer, 0, membersBuffer.length, 0);
      if (length === 0) return [];
      const text =
        length < membersBuffer.length
          ? membersBuffer.toString('latin1', 0, length)
          : readFileSync(join(path, 'cgroup.procs'), 'latin1');
      return text.split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  return {
    path,
    reapedOnDeath: killable,
    adopt(pid) {
      const fd = procsFileOf(path);
      if (fd === undefined) return false;
      // Synchronous, on a kept descriptor: a move costs about 20 µs here (0.7 ms at the 99th percentile, when the
      // kernel waits for an RCU grace period), and it lands before the interpreter has read its script. Through
      // libuv's thread pool it cost more per job than the move itself (a thread hand-off, and the pool's threads and
      // their malloc arenas make every later fork of the worker copy more page tables). At offset 0 each time: the
      // kernel reads each write as one pid, whatever the file position.
      try {
        writeSync(fd, String(pid), 0, 'utf8');
        return true;
      } catch {
        // The interpreter exited already (ESRCH), or the kernel refused the move.
        return false;
      }
    },
    members,
    kill() {
      try {
        writeFileSync(join(path, 'cgroup.kill'), '1');
      } catch {
        // No cgroup.kill before Linux 5.14: one by one.
        for (const pid of members()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
      }
    },
    release() {
      // Once per acquisition: a second release would hand one directory to two scripts.
      if (released) return;
      released = true;
      free.push(path);
    },
  };
}
