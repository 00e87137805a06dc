/**
 * One daemon per config: before it touches anything (state file, orphans, token file, workers), a daemon creates its
 * lock file exclusively (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600) and writes its pid and start time into it. A
 * second daemon finds the file held by a live process and stops at once, naming that pid and the lock path; a lock
 * whose recorded process is dead (a daemon killed with SIGKILL) is stale and taken over.
 *
 * Where: beside the embedded backend's state file (`<stateFile>.lock`, so one lock per set of recorded children),
 * or, with Zinit, one per Zinit socket under ~/.hero-supervisor/ (two daemons on one Zinit would manage the same
 * services).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SupervisorConfig } from '../config/config-types.js';
import { ConfigError, DaemonAlreadyRunningError } from '../errors.js';
import { isSameProcessAlive, ownIdentity, type ProcessIdentity } from '../process/process-identity.js';

/** Written by a starting daemon between its exclusive create and its write: an empty lock this young is held. */
const FRESH_LOCK_GRACE_MS = 2_000;
/** Attempts to take over a stale lock that another starting daemon may be taking over at the same moment. */
const MAX_ATTEMPTS = 3;

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The lock of a config: `<stateFile>.lock` (embedded), or one per Zinit socket. */
export function daemonLockPath(config: SupervisorConfig, defaultStateFile: string): string {
  const pm = config.processManager;
  if (pm.type === 'embedded') return `${pm.stateFile ?? defaultStateFile}.lock`;
  return join(homedir(), '.hero-supervisor', `zinit_${slug(pm.socketPath)}.lock`);
}

interface LockRecord extends ProcessIdentity {
  /** Epoch ms. */
  startedAt: number;
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockRecord>;
    if (!Number.isInteger(value.pid) || (value.pid ?? 0) <= 0) return undefined;
    return {
      pid: value.pid as number,
      startedAt: typeof value.startedAt === 'number' ? value.startedAt : 0,
      ...(typeof value.startTicks === 'string' && { startTicks: value.startTicks }),
    };
  } catch {
    return undefined;
  }
}

export class DaemonLock {
  #released = false;

  private constructor(
    readonly path: string,
    readonly record: LockRecord,
  ) {}

  /**
   * Takes the lock at `path` or throws `DaemonAlreadyRunningError` (a live daemon holds it). Creates the directory
   * (mode 0700) when missing; refuses a lock path that is a symbolic link.
   */
  static async acquire(path: string): Promise<DaemonLock> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const record: LockRecord = { ...ownIdentity(), startedAt: Date.now() };
    for (let attempt = 1; ; attempt++) {
      if (await DaemonLock.#create(path, record)) {
        // Read back: a daemon that removed the same stale lock a moment later would have replaced ours.
        const written = parseRecord(await readFile(path, 'utf8').catch(() => ''));
        if (written?.pid === record.pid) return new DaemonLock(path, record);
      }
      const holder = await DaemonLock.#holder(path);
      if (holder !== undefined) {
        const who = holder.pid === 0 ? 'is starting' : `(pid ${holder.pid}) already runs`;
        throw new DaemonAlreadyRunningError(
          holder.pid,
          path,
          `Another hero-supervisor daemon ${who} on this config: it holds the lock ${path}. ` +
            'This one starts nothing and changes nothing. Stop that daemon first, or give this config its own ' +
            '`processManager.stateFile` (or Zinit socket) and admin endpoint.',
        );
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new DaemonAlreadyRunningError(0, path, `Cannot take the lock ${path}: it keeps changing hands.`);
      }
      // Stale: its daemon is dead (SIGKILL leaves the file behind). Remove it and try again.
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }

  /** Creates the lock file exclusively with our record; false when it already exists. */
  static async #create(path: string, record: LockRecord): Promise<boolean> {
    let handle: import('node:fs/promises').FileHandle;
    try {
      handle = await open(
        path,
        constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await handle.writeFile(`${JSON.stringify(record)}\n`);
    } finally {
      await handle.close();
    }
    return true;
  }

  /** The live daemon holding the lock at `path`, or undefined when the lock is stale (or gone). */
  static async #holder(path: string): Promise<LockRecord | undefined> {
    let info: import('node:fs').Stats;
    try {
      info = await lstat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (info.isSymbolicLink() || !info.isFile()) {
      throw new ConfigError(
        `The daemon lock ${path} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}: refusing to use it. Remove it, or choose another state file.`,
        [{ path: 'processManager.stateFile', message: `${path} is not a regular file` }],
      );
    }
    const record = parseRecord(await readFile(path, 'utf8').catch(() => ''));
    if (record === undefined) {
      // Created by a daemon starting this very moment and not written yet: held; an old empty file: stale.
      return Date.now() - info.mtimeMs < FRESH_LOCK_GRACE_MS ? { pid: 0, startedAt: info.mtimeMs } : undefined;
    }
    if (record.pid === process.pid) return undefined;
    return isSameProcessAlive(record) ? record : undefined;
  }

  /** Removes the lock if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const current = parseRecord(await readFile(this.path, 'utf8').catch(() => ''));
    if (current?.pid === this.record.pid && current.startTicks === this.record.startTicks) {
      await unlink(this.path).catch(() => undefined);
    }
  }
}
