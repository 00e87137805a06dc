/**
 * The reaper: a tiny `/bin/sh` process beside each worker that SIGKILLs the worker's script process groups when the
 * worker dies, however it dies (SIGKILL and the OOM killer included). The parent-death signal (parent-death-signal.ts)
 * kills only the interpreter; whatever the script started (`sleep 120 &`, a pipeline, a subprocess) stays in the
 * script's group, re-parented to init, while BullMQ re-runs the job elsewhere. The reaper closes that gap.
 *
 * How: the worker writes `+<pgid>` when a script starts and `-<pgid>` once its group is gone, one line each, to the
 * reaper's stdin (a pipe). When the worker dies the kernel closes the pipe; the reaper's `read` sees end-of-file and
 * kills every group still listed, then exits. No file, no polling, no restart needed, and no pid-reuse risk: a group
 * is listed only while its script runs (its `-` line follows the worker's own kill of the group).
 *
 * Traps, handled here:
 * - The reaper runs in its own process group (`detached`): a signal to the worker's group (the embedded backend's
 *   leftover kill, Zinit's stop) must not kill it before it reads end-of-file.
 * - It gets an empty environment but PATH: the worker's may hold the Redis password.
 * - It is started lazily, with the first script, so a worker's spawn-to-ready time is untouched; `unref()` keeps it
 *   from holding the worker's event loop open. If it dies (someone killed it), the next script starts another and
 *   hands it every group still running.
 * - A script started in the instant before a SIGKILL of the worker may not be listed yet: its interpreter still dies
 *   by its parent-death signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const REAPER_SHELL = '/bin/sh';

/**
 * A POSIX sh program: keeps the listed groups in one string, kills them all at end-of-file. A `c<dir>` line names the
 * worker's cgroup of script cgroups (script-cgroup.ts): at end-of-file everything in them is killed too (daemons that
 * left their group included) and the directories are removed, retried for up to a second while processes die.
 */
const REAPER_SCRIPT = `groups=' '
cgroup=''
while IFS= read -r line; do
  case $line in
    +*) groups="$groups\${line#+} " ;;
    -*) g=" \${line#-} "; case $groups in *"$g"*) groups="\${groups%%"$g"*} \${groups#*"$g"}" ;; esac ;;
    c*) cgroup="\${line#c}" ;;
  esac
done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
if [ -n "$cgroup" ] && [ -d "$cgroup" ]; then
  for d in "$cgroup"/script-*; do [ -d "$d" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null; done
  i=0
  while [ $i -lt 20 ]; do
    for d in "$cgroup"/script-*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
    rmdir "$cgroup" 2>/dev/null && break
    i=$((i + 1))
    sleep 0.05
  done
fi
`;

/** Shown in `ps` as the reaper's `$0`. */
const REAPER_NAME = 'hero-worker-reaper';

export class GroupReaper {
  #child: ChildProcess | undefined;
  #unavailable = false;
  #cgroup: string | undefined;

  /** The worker's cgroup of script cgroups: killed and removed when the worker dies (told to every reaper started). */
  reapCgroup(dir: string): void {
    this.#cgroup = dir;
    if (this.#child) this.#write(`c${dir}\n`);
  }

  /**
   * Lists a group with the reaper, starting the reaper if needed (then `current` lists every group running now).
   * Never throws: without a reaper, scripts are still killed on every exit path the worker sees.
   */
  add(pgid: number, current: Iterable<number>): void {
    if (!this.running(current, pgid)) return;
    this.#write(`+${pgid}\n`);
  }

  /**
   * Whether a reaper runs (starting one if none does; a new one is handed every group in `current` but `except`).
   * The script runner asks before each spawn: with a reaper, a script needs no parent-death signal of its own.
   */
  running(current: Iterable<number> = [], except?: number): boolean {
    if (this.#unavailable) return false;
    if (!this.#child) {
      this.#child = this.#start();
      if (!this.#child) return false;
      if (this.#cgroup !== undefined) this.#write(`c${this.#cgroup}\n`);
      for (const group of current) if (group !== except) this.#write(`+${group}\n`);
    }
    return true;
  }

  /** Unlists a group (its script ended and the worker killed what was left of it). */
  remove(pgid: number): void {
    if (this.#child) this.#write(`-${pgid}\n`);
  }

  /** The reaper's pid, while one runs (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #start(): ChildProcess | undefined {
    // Checked first: a failed spawn is only reported later, and the runner decides on a parent-death signal now.
    if (!existsSync(REAPER_SHELL)) {
      this.#unavailable = true;
      return undefined;
    }
    let child: ChildProcess;
    try {
      child = spawn(REAPER_SHELL, ['-c', REAPER_SCRIPT, REAPER_NAME], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
    } catch {
      this.#unavailable = true;
      return undefined;
    }
    // Node trap: a failed spawn (no /bin/sh) emits `error` and never `exit`.
    child.once('error', () => {
      if (this.#child === child) this.#child = undefined;
      this.#unavailable = true;
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    // EPIPE when the reaper was killed: the next script starts another.
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  #write(line: string): void {
    const stdin = this.#child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line);
  }
}
