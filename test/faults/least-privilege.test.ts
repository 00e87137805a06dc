/**
 * Issue 8, scenario 10: least privilege and integrity. Workers run as a configured unprivileged user and group (the
 * embedded backend sets uid/gid), and an optional sha256 per worker binary is verified before every start: a
 * mismatch refuses to start with a clear error, and no process is spawned.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { sha256File } from '../../src/lifecycle/integrity.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import type { WorkerLifecycleManager } from '../../src/lifecycle/worker-lifecycle-manager.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import { waitFor } from '../helpers/wait-for.js';
import { alivePids, cleanUp, killLeftovers, reportCounts } from './fault-helpers.js';

/** The conventional unprivileged `nobody` user and `nogroup` group. */
const NOBODY = 65_534;

/** Real and effective uid/gid of a live process, from /proc/<pid>/status. */
function idsOf(pid: number): { uid: number[]; gid: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    (status.match(new RegExp(`^${name}:\\s+(.*)$`, 'm'))?.[1] ?? '').split(/\s+/).map(Number);
  return { uid: field('Uid'), gid: field('Gid') };
}

describe('scenario 10: least privilege and integrity (embedded backend)', () => {
  let processes: EmbeddedProcessManager;
  let lifecycle: WorkerLifecycleManager | undefined;
  let dir: string;
  const seenPids = new Set<number>();

  beforeEach(() => {
    processes = new EmbeddedProcessManager();
    processes.subscribe((event) => {
      if (event.type === 'process.spawned') seenPids.add(event.pid);
    });
    dir = mkdtempSync(join(tmpdir(), 'hero-fault10-'));
  });

  afterEach(async () => {
    await cleanUp([
      ['shut the lifecycle manager down', () => lifecycle?.shutdown()],
      ['close the process manager', () => processes.close()],
      ['kill leftovers', () => killLeftovers(seenPids)],
      ['remove the work dir', () => rmSync(dir, { recursive: true, force: true })],
    ]);
    lifecycle = undefined;
    seenPids.clear();
  }, 90_000);

  function build(config: WorkerConfig): WorkerLifecycleManager {
    lifecycle = new WorkerLifecycleManagerBuilder(processes)
      .withRedis(inject('redisUrl'), { prefix: `fault10-${randomUUID().slice(0, 8)}` })
      .withLogger(pino({ level: 'silent' }))
      .withSettings({ backoffBaseMs: 50, backoffMaxMs: 200, maxRestarts: 2, startTimeoutMs: 5_000 })
      .withStopTimeout(500)
      .addWorker(config)
      .build();
    return lifecycle;
  }

  /** An executable worker "binary" in the temp dir: a shell script that sleeps. */
  function writeBinary(body = 'exec sleep 100000'): string {
    const file = join(dir, 'worker-binary');
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('runs a worker as the configured unprivileged uid and gid (as root; otherwise refuses with the reason)', async () => {
    const name = `nobody-${randomUUID().slice(0, 6)}`;
    const manager = build(
      new WorkerConfig(name, '/bin/sleep', 'faultten').withArgs(['100000']).withUser(NOBODY, NOBODY),
    );

    const started = await manager.startAllWorkers().then(
      () => undefined,
      (error: Error) => error,
    );

    if (process.getuid?.() === 0) {
      const ids = idsOf(manager.getWorkerStatus(name).pid ?? 0);
      reportCounts('10 uid/gid', { uid: ids.uid[0] ?? -1, gid: ids.gid[0] ?? -1 });
      expect(started).toBeUndefined();
      expect(ids.uid.slice(0, 2)).toEqual([NOBODY, NOBODY]);
      expect(ids.gid.slice(0, 2)).toEqual([NOBODY, NOBODY]);
    } else {
      // Only root can switch user: the start is refused, saying so, and nothing runs as the wrong user.
      reportCounts('10 uid/gid (not root)', { refused: started !== undefined, spawned: seenPids.size });
      expect(started?.message).toContain('only root can switch user');
      expect(seenPids.size).toBe(0);
    }
  });

  it('starts a worker whose binary matches its sha256', async () => {
    const binary = writeBinary();
    const name = `sha-ok-${randomUUID().slice(0, 6)}`;
    const manager = build(new WorkerConfig(name, binary, 'faultten').withSha256(await sha256File(binary)));

    await manager.startAllWorkers();

    expect(manager.getWorkerStatus(name).state).toBe('running');
    expect(alivePids(seenPids)).toHaveLength(1);
  });

  it('refuses to start a worker whose binary does not match, naming both digests, and spawns nothing', async () => {
    const binary = writeBinary();
    const expected = 'a'.repeat(64);
    const name = `sha-bad-${randomUUID().slice(0, 6)}`;
    const manager = build(new WorkerConfig(name, binary, 'faultten').withSha256(expected));

    const error = await manager.startAllWorkers().catch((caught: unknown) => caught);
    // It keeps retrying with its backoff (the binary may be fixed); each attempt is refused the same way.
    const status = await waitFor(
      () => {
        const current = manager.getWorkerStatus(name);
        return current.state === 'failed' && (current.reason ?? '').includes('sha256') ? current : undefined;
      },
      { description: 'the worker to be failed for its sha256' },
    );
    reportCounts('10 sha256 mismatch at start', { spawned: seenPids.size, state: status.state });

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(expected);
    expect((error as Error).message).toContain(await sha256File(binary));
    expect(status.pid ?? 0).toBe(0);
    expect(seenPids.size).toBe(0);
  });

  it('checks the sha256 again before a restart: a binary replaced while running is refused', async () => {
    const binary = writeBinary();
    const name = `sha-swap-${randomUUID().slice(0, 6)}`;
    const manager = build(new WorkerConfig(name, binary, 'faultten').withSha256(await sha256File(binary)));
    await manager.startAllWorkers();
    const firstPid = manager.getWorkerStatus(name).pid ?? 0;

    // An attacker (or a careless deploy) replaces the binary; then the worker crashes.
    writeBinary('echo replaced; exec sleep 100000');
    process.kill(firstPid, 'SIGKILL');
    const status = await waitFor(
      () => {
        const current = manager.getWorkerStatus(name);
        return current.state === 'failed' && (current.reason ?? '').includes('sha256') ? current : undefined;
      },
      { timeoutMs: 15_000, description: 'the restart to be refused for its sha256' },
    );
    reportCounts('10 sha256 mismatch at restart', { spawned: seenPids.size, restartsRefused: 1 });

    expect([...seenPids]).toEqual([firstPid]);
    // No process runs, so none should be reported: finding F3 (fixed) in test/faults/README.md.
    expect(status.pid ?? 0).toBe(0);
  });
});
