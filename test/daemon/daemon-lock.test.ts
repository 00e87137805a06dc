/**
 * The daemon lock (issue 11 item 2) on real files and real processes: held by a live process, it refuses; left by a
 * dead one (SIGKILL), it is taken over; a link at its path is refused; released, it is gone.
 */
import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonLock } from '../../src/daemon/daemon-lock.js';
import { ConfigError, DaemonAlreadyRunningError } from '../../src/errors.js';
import { processStartTicks } from '../../src/process/process-identity.js';

describe('DaemonLock', () => {
  let dir: string;
  let lockPath: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hero-lock-'));
    lockPath = join(dir, 'children.json.lock');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A live process standing for another daemon, recorded in the lock as that daemon would. */
  async function otherProcess() {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid as number;
    const record = { pid, startTicks: processStartTicks(pid), startedAt: Date.now() };
    return { child, pid, record };
  }

  it('refuses while a live process holds it, naming that pid and the path, and leaves the lock as it was', async () => {
    const other = await otherProcess();
    try {
      writeFileSync(lockPath, JSON.stringify(other.record));
      const before = readFileSync(lockPath, 'utf8');

      const refused = DaemonLock.acquire(lockPath);

      await expect(refused).rejects.toBeInstanceOf(DaemonAlreadyRunningError);
      await expect(refused).rejects.toThrow(
        `Another hero-supervisor daemon (pid ${other.pid}) already runs on this config: it holds the lock ${lockPath}.`,
      );
      expect(readFileSync(lockPath, 'utf8')).toBe(before);
    } finally {
      other.child.kill('SIGKILL');
    }
  });

  it('takes over a lock whose process is dead, and removes it on release', async () => {
    const other = await otherProcess();
    other.child.kill('SIGKILL');
    await new Promise((resolve) => other.child.once('exit', resolve));
    writeFileSync(lockPath, JSON.stringify(other.record));

    const lock = await DaemonLock.acquire(lockPath);

    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(() => readFileSync(lockPath)).toThrow(/ENOENT/);
  });

  it('takes over a lock whose pid now belongs to another process (another start time)', async () => {
    const other = await otherProcess();
    try {
      writeFileSync(lockPath, JSON.stringify({ ...other.record, startTicks: '1' }));

      const lock = await DaemonLock.acquire(lockPath);

      expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
      await lock.release();
    } finally {
      other.child.kill('SIGKILL');
    }
  });

  it('refuses a lock path that is a symbolic link, leaving its target untouched', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'precious');
    symlinkSync(target, lockPath);

    await expect(DaemonLock.acquire(lockPath)).rejects.toBeInstanceOf(ConfigError);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });
});
