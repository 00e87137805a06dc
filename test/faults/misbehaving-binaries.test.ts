/**
 * Issue 8, scenario 6: a crash-looping binary, a binary that does not exist, one without execute permission, one that
 * ignores SIGTERM, one that forks grandchildren and exits. Each ends in its documented state with a reason, and
 * nothing is left running after stop. Checked twice: at the process-manager level (EmbeddedProcessManager) and at
 * the worker-actor level (WorkerLifecycleManager over the embedded backend, real Redis).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { SpawnError } from '../../src/errors.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import type { WorkerLifecycleManager } from '../../src/lifecycle/worker-lifecycle-manager.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import type { ProcessEvent } from '../../src/process/process-events.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  alivePids,
  cleanUp,
  faultFixture,
  killLeftovers,
  reportCounts,
  scaled,
  workerFixture,
} from './fault-helpers.js';

/** Pids written by forks-and-exits.js: one line per run, `<leader> <grandchildren...>`. */
function pidsFromLog(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(Number);
}

/** A file that exists but has no execute bit for anyone (even root cannot exec it: EACCES). */
function writeNonExecutable(dir: string): string {
  const file = join(dir, 'not-executable.sh');
  writeFileSync(file, '#!/bin/sh\necho never\n');
  chmodSync(file, 0o644);
  return file;
}

describe('scenario 6: misbehaving binaries, process-manager level (embedded)', () => {
  let manager: EmbeddedProcessManager;
  let events: ProcessEvent[];
  let dir: string;
  const seenPids = new Set<number>();

  beforeEach(() => {
    manager = new EmbeddedProcessManager();
    events = [];
    manager.subscribe((event) => {
      events.push(event);
      if ((event.type === 'process.spawned' || event.type === 'process.running') && event.pid > 0) {
        seenPids.add(event.pid);
      }
    });
    dir = mkdtempSync(join(tmpdir(), 'hero-fault6-'));
  });

  afterEach(async () => {
    await manager.close();
    killLeftovers(seenPids);
    seenPids.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  const of = (service: string, type: ProcessEvent['type']) =>
    events.filter((event) => event.service === service && event.type === type);

  it('restarts a crash-looping binary with its backoff, each exit with code 1; stop() in a backoff ends it stopped', async () => {
    const name = `crash-${randomUUID().slice(0, 8)}`;
    const wantedExits = scaled(5, 3);
    const attempts: number[] = [];
    await manager.ensureService({
      name,
      command: [process.execPath, workerFixture('crash-loop.js')],
      restart: {
        mode: 'always',
        backoffMs: (attempt) => {
          attempts.push(attempt);
          // The last backoff is long so that stop() lands in it (no process, a restart pending), every run.
          return attempt < wantedExits ? 20 * attempt : 60_000;
        },
      },
    });

    await manager.start(name);
    await waitFor(() => of(name, 'process.exited').length >= wantedExits, {
      timeoutMs: 30_000,
      description: `${wantedExits} exits of the crash loop`,
    });
    await manager.stop(name);

    const exits = of(name, 'process.exited');
    const status = await manager.status(name);
    reportCounts('6 crash-loop (process manager)', {
      spawns: of(name, 'process.spawned').length,
      exits: exits.length,
      stateAfterStop: status.state,
      leftAlive: alivePids(seenPids).length,
    });

    expect(exits.every((exit) => exit.type === 'process.exited' && exit.code === 1 && exit.signal === null)).toBe(true);
    expect(attempts).toEqual(Array.from({ length: wantedExits }, (_, i) => i + 1));
    expect(alivePids(seenPids)).toEqual([]);
    // Documented: "any ─stop→ stopped" (embedded-process-manager.ts header); a stop in a backoff once left `error`.
    expect(status).toMatchObject({ state: 'stopped', pid: 0, target: 'down' });
    expect(of(name, 'process.stopped')).toHaveLength(1);
  });

  it('reports a missing binary as failure with ENOENT and the path, and never retries it', async () => {
    const name = `missing-${randomUUID().slice(0, 8)}`;
    const binary = join(dir, 'does-not-exist');
    await manager.ensureService({ name, command: [binary], restart: { mode: 'always' } });

    const error = await manager.start(name).catch((caught: unknown) => caught);
    const status = await manager.status(name);
    await manager.stop(name);

    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).message).toContain(binary);
    expect((error as SpawnError).message).toContain('ENOENT');
    expect(status).toMatchObject({ state: 'failure', pid: 0 });
    expect(status.reason).toContain('ENOENT');
    expect(of(name, 'process.spawnFailed')).toHaveLength(1);
    expect(of(name, 'process.spawned')).toHaveLength(0);
    reportCounts('6 missing binary (process manager)', { spawnFailures: 1, spawns: 0, leftAlive: 0 });
  });

  it('reports a binary without execute permission as failure with EACCES', async () => {
    const name = `noexec-${randomUUID().slice(0, 8)}`;
    const binary = writeNonExecutable(dir);
    await manager.ensureService({ name, command: [binary] });

    const error = await manager.start(name).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).message).toContain('EACCES');
    const status = await manager.status(name);
    expect(status).toMatchObject({ state: 'failure', pid: 0 });
    expect(status.reason).toContain(binary);
    expect(of(name, 'process.spawnFailed')).toHaveLength(1);
    reportCounts('6 no execute permission (process manager)', { spawnFailures: 1, spawns: 0, leftAlive: 0 });
  });

  it('stops a binary that ignores SIGTERM by SIGKILL after the stop timeout; it is gone when stop() resolves', async () => {
    const name = `stubborn-${randomUUID().slice(0, 8)}`;
    const ready = join(dir, 'stubborn.ready');
    await manager.ensureService({
      name,
      command: [process.execPath, workerFixture('ignores-sigterm.js'), ready],
      stopTimeoutMs: 300,
    });
    await manager.start(name);
    await waitFor(() => existsSync(ready), { description: 'the SIGTERM handler installed' });
    const { pid } = await manager.status(name);

    await manager.stop(name);

    expect(alivePids([pid])).toEqual([]);
    expect(of(name, 'process.exited').at(-1)).toMatchObject({ signal: 'SIGKILL', pid });
    expect(await manager.status(name)).toMatchObject({ state: 'stopped', pid: 0 });
    reportCounts('6 ignores SIGTERM (process manager)', { escalatedToSigkill: 1, leftAlive: alivePids([pid]).length });
  });

  it('ends the grandchildren a binary forks before it exits, as soon as it exits', async () => {
    const name = `forker-${randomUUID().slice(0, 8)}`;
    const log = join(dir, 'forks.log');
    const grandchildren = scaled(3, 2);
    await manager.ensureService({
      name,
      command: [process.execPath, faultFixture('forks-and-exits.js'), String(grandchildren), log],
      restart: { mode: 'never' },
    });

    await manager.start(name);
    await waitFor(() => of(name, 'process.exited').length === 1, { description: 'the forker to exit' });
    const pids = pidsFromLog(log);
    await waitFor(() => alivePids(pids).length === 0, { description: 'the orphaned grandchildren to be ended' });

    expect(pids).toHaveLength(grandchildren + 1);
    expect(await manager.status(name)).toMatchObject({ state: 'success', pid: 0 });
    reportCounts('6 forks grandchildren and exits (process manager)', {
      grandchildren,
      leftAlive: alivePids(pids).length,
    });
  });

  it('stop() after a forker exited resolves only once the grandchildren it left are gone (a SIGKILLed process takes time to go)', async () => {
    const name = `forker-${randomUUID().slice(0, 8)}`;
    const log = join(dir, 'forks.log');
    await manager.ensureService({
      name,
      command: [process.execPath, faultFixture('forks-and-exits.js'), String(scaled(3, 2)), log],
      restart: { mode: 'never' },
    });
    await manager.start(name);
    await waitFor(() => of(name, 'process.exited').length === 1, { description: 'the forker to exit' });

    await manager.stop(name);

    // No polling here: a stopped service has nothing left running, however loaded the machine.
    expect(alivePids(pidsFromLog(log))).toEqual([]);
  });
});

describe('scenario 6: misbehaving binaries, worker-actor level (lifecycle manager, embedded)', () => {
  let processes: EmbeddedProcessManager;
  let lifecycle: WorkerLifecycleManager | undefined;
  let dir: string;
  const seenPids = new Set<number>();

  beforeEach(() => {
    processes = new EmbeddedProcessManager();
    processes.subscribe((event) => {
      if ((event.type === 'process.spawned' || event.type === 'process.running') && event.pid > 0) {
        seenPids.add(event.pid);
      }
    });
    dir = mkdtempSync(join(tmpdir(), 'hero-fault6w-'));
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

  /** One manager with one worker, fast restart settings, a fresh key prefix. */
  function build(config: WorkerConfig): WorkerLifecycleManager {
    lifecycle = new WorkerLifecycleManagerBuilder(processes)
      .withRedis(inject('redisUrl'), { prefix: `fault6-${randomUUID().slice(0, 8)}` })
      .withLogger(pino({ level: 'silent' }))
      .withSettings({
        backoffBaseMs: 20,
        backoffMaxMs: 100,
        maxRestarts: 3,
        restartWindowMs: 60_000,
        startTimeoutMs: 5_000,
      })
      .withStopTimeout(300)
      .addWorker(config)
      .build();
    return lifecycle;
  }

  it('gives up on a crash-looping worker with reason restart-intensity, and nothing runs after shutdown', async () => {
    const name = `crashy-${randomUUID().slice(0, 6)}`;
    const manager = build(
      new WorkerConfig(name, process.execPath, 'faultsix').withArgs([workerFixture('crash-loop.js')]),
    );
    let gaveUp = 0;
    manager.on('worker:gaveUp', () => {
      gaveUp += 1;
    });

    await manager.startAllWorkers().catch(() => undefined);
    const status = await waitFor(
      () => {
        const current = manager.listWorkers()[0];
        return current?.gaveUp ? current : undefined;
      },
      { timeoutMs: 30_000, description: 'the crash-looping worker to give up' },
    );
    await manager.shutdown();

    expect(status).toMatchObject({ state: 'failed', gaveUp: true, reason: 'restart-intensity' });
    expect(status.restarts).toBeGreaterThanOrEqual(3);
    expect(gaveUp).toBe(1);
    expect(alivePids(seenPids)).toEqual([]);
    reportCounts('6 crash-loop (worker actor)', {
      worker: name,
      restartsBeforeGivingUp: status.restarts,
      spawns: seenPids.size,
      leftAlive: alivePids(seenPids).length,
    });
  });

  it.each([
    ['a missing binary', (dir: string) => join(dir, 'does-not-exist'), 'ENOENT'],
    ['a binary without execute permission', writeNonExecutable, 'EACCES'],
  ])('fails %s with a reason naming the errno, and starts no process', async (_label, makeBinary, errno) => {
    const binary = makeBinary(dir);
    const manager = build(new WorkerConfig(`bad-${randomUUID().slice(0, 6)}`, binary, 'faultsix'));
    const reasons: string[] = [];
    manager.on('worker:stateChanged', (event) => {
      if (event.to === 'failed' && event.reason) reasons.push(event.reason);
    });

    const error = await manager.startAllWorkers().catch((caught: unknown) => caught);
    const status = await waitFor(() => manager.listWorkers().find((worker) => worker.state === 'failed'), {
      description: 'the worker to be failed',
    });
    await manager.shutdown();

    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain(errno);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons[0]).toContain(errno);
    expect(status.pid ?? 0).toBe(0);
    expect(seenPids.size).toBe(0);
    reportCounts(`6 ${errno} (worker actor)`, { failedTransitions: reasons.length, spawns: seenPids.size });
  });

  it('stops a worker that ignores SIGTERM within its stop timeout, by SIGKILL', async () => {
    const ready = join(dir, 'stubborn-worker.ready');
    const name = `stubborn-${randomUUID().slice(0, 6)}`;
    const manager = build(
      new WorkerConfig(name, process.execPath, 'faultsix').withArgs([workerFixture('ignores-sigterm.js'), ready]),
    );

    await manager.startAllWorkers();
    await waitFor(() => existsSync(ready), { description: 'the SIGTERM handler installed' });
    const pid = manager.getWorkerStatus(name).pid ?? 0;
    await manager.stopWorker(name);

    expect(pid).toBeGreaterThan(0);
    expect(manager.getWorkerStatus(name)).toMatchObject({ state: 'stopped' });
    expect(alivePids([pid])).toEqual([]);
    reportCounts('6 ignores SIGTERM (worker actor)', { stopped: 1, leftAlive: alivePids([pid]).length });
  });

  it('restarts a worker that forks grandchildren and exits, ending every generation of grandchildren', async () => {
    const log = join(dir, 'forks.log');
    const manager = build(
      new WorkerConfig(`forker-${randomUUID().slice(0, 6)}`, process.execPath, 'faultsix').withArgs([
        faultFixture('forks-and-exits.js'),
        '2',
        log,
      ]),
    );

    await manager.startAllWorkers().catch(() => undefined);
    await waitFor(() => manager.listWorkers()[0]?.gaveUp, {
      timeoutMs: 30_000,
      description: 'the forking worker to give up',
    });
    await manager.shutdown();
    const pids = pidsFromLog(log);

    expect(pids.length).toBeGreaterThanOrEqual(3 * 3);
    expect(alivePids(pids)).toEqual([]);
    reportCounts('6 forks grandchildren and exits (worker actor)', {
      generations: pids.length / 3,
      processes: pids.length,
      leftAlive: alivePids(pids).length,
    });
  });
});
