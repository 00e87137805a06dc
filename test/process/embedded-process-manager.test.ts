/**
 * EmbeddedProcessManager against real child processes (issue 3; issue 8 items 4, 6, 10): the shared contract, then
 * what only this backend does (restart policy, group leftovers, spawn failure reasons, state-file reaping...).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, ConfigError, InvalidSpecError, SpawnError } from '../../src/errors.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import type { ProcessEvent } from '../../src/process/process-events.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { describeProcessManager, fixtureCommand, uniqueServiceName } from './process-manager.contract.js';

describeProcessManager('EmbeddedProcessManager', async () => ({
  manager: new EmbeddedProcessManager({ healthCheckIntervalMs: 100 }),
}));

describe('EmbeddedProcessManager', () => {
  let manager: EmbeddedProcessManager;
  let events: ProcessEvent[];
  let workDir: string;

  beforeEach(() => {
    manager = new EmbeddedProcessManager({ healthCheckIntervalMs: 100 });
    events = [];
    manager.subscribe((event) => events.push(event));
    workDir = mkdtempSync(join(tmpdir(), 'hero-embedded-'));
  });

  afterEach(async () => {
    await manager.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const eventsOf = (service: string, type: ProcessEvent['type']) =>
    events.filter((event) => event.service === service && event.type === type);

  describe('options', () => {
    it('rejects a logRingSize that is not a positive integer, naming it', () => {
      const create = () => new EmbeddedProcessManager({ logRingSize: 0 });

      expect(create).toThrow(ConfigError);
      expect(create).toThrow('Expected `logRingSize` to be a positive integer, got `0` (number).');
    });
  });

  describe('spawn failures', () => {
    it('rejects start() of a missing binary with a SpawnError naming the binary and ENOENT', async () => {
      const binary = join(workDir, 'missing-binary');
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: [binary] });

      const error = await manager.start(service).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(SpawnError);
      expect((error as SpawnError).message).toBe(
        `Cannot start \`${binary}\` for service "${service}": ENOENT (no such file or directory, or the cwd does not exist)`,
      );
      expect(await manager.status(service)).toMatchObject({
        state: 'failure',
        pid: 0,
        reason: (error as Error).message,
      });
    });

    it('reports a file without execute permission as spawnFailed with EACCES', async () => {
      const binary = join(workDir, 'not-executable.sh');
      writeFileSync(binary, '#!/bin/sh\necho never\n');
      chmodSync(binary, 0o644);
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: [binary] });

      await expect(manager.start(service)).rejects.toBeInstanceOf(SpawnError);

      const [failed] = eventsOf(service, 'process.spawnFailed');
      expect(failed).toMatchObject({ reason: expect.stringContaining(`\`${binary}\``) });
      expect(failed).toMatchObject({ reason: expect.stringContaining('EACCES') });
      expect(eventsOf(service, 'process.exited')).toEqual([]);
    });

    it('says a directory given as the binary is a directory, not a missing execute bit (issue 11 item 6)', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: [workDir] });

      await expect(manager.start(service)).rejects.toThrow(
        `Cannot start \`${workDir}\` for service "${service}": EACCES (it is a directory, not a program)`,
      );
    });

    it('does not restart a service whose binary cannot be started', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: [join(workDir, 'missing')], restart: { mode: 'always' } });

      await manager.start(service).catch(() => undefined);

      expect(eventsOf(service, 'process.spawnFailed')).toHaveLength(1);
      expect((await manager.status(service)).state).toBe('failure');
    });
  });

  describe('restart policy', () => {
    it('passes the attempt number to backoffMs and restarts a crash-looping binary until stopped', async () => {
      const attempts: number[] = [];
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('crash-loop.js'),
        restart: {
          mode: 'always',
          backoffMs: (attempt) => {
            attempts.push(attempt);
            return 10;
          },
        },
      });

      await manager.start(service);
      await waitFor(() => eventsOf(service, 'process.exited').length >= 3, { description: 'three crashes' });
      await manager.stop(service);

      expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
      expect(await manager.status(service)).toMatchObject({ pid: 0, target: 'down' });
    });

    it('with mode on-failure, leaves a service down after a clean exit', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('exits-with-code.js', '0'),
        restart: { mode: 'on-failure' },
      });

      await manager.start(service);
      const status = await waitFor(async () => {
        const current = await manager.status(service);
        return current.state === 'success' ? current : undefined;
      });

      expect(status).toMatchObject({ pid: 0, target: 'up' });
      expect(eventsOf(service, 'process.spawned')).toHaveLength(1);
    });

    it('with mode never, records the exit reason and stays in error', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('exits-with-code.js', '7'),
        restart: { mode: 'never' },
      });

      await manager.start(service);
      await waitFor(() => eventsOf(service, 'process.exited').length === 1);

      expect(await manager.status(service)).toMatchObject({ state: 'error', pid: 0, reason: 'exited with code 7' });
    });
  });

  describe('stop', () => {
    it('reports the SIGKILL escalation of a process ignoring SIGTERM in its exited event', async () => {
      const ready = join(workDir, 'ready');
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('ignores-sigterm.js', ready),
        stopTimeoutMs: 200,
      });
      await manager.start(service);
      await waitFor(() => existsSync(ready));

      await manager.stop(service);

      expect(eventsOf(service, 'process.exited')).toMatchObject([{ code: null, signal: 'SIGKILL' }]);
      expect(eventsOf(service, 'process.stopped')).toHaveLength(1);
    });

    it('waits for grandchildren ignoring SIGTERM after their parent died, then SIGKILLs the group', async () => {
      const pidFile = join(workDir, 'grandchildren.json');
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('forks-grandchildren.js', '2', pidFile, '--stubborn-grandchildren'),
        stopTimeoutMs: 300,
      });
      await manager.start(service);
      const grandchildren = await waitFor(
        () => existsSync(pidFile) && (JSON.parse(readFileSync(pidFile, 'utf8')) as number[]),
      );
      await waitFor(() => grandchildren.every((pid) => existsSync(`${pidFile}.${pid}.ready`)), {
        description: 'handlers installed',
      });

      await manager.stop(service);

      expect(eventsOf(service, 'process.exited')).toMatchObject([{ signal: 'SIGTERM' }]);
      expect(grandchildren.filter(isProcessAlive)).toEqual([]);
    });

    it('uses the stop signal given in the spec', async () => {
      const ready = join(workDir, 'ready');
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('ignores-sigterm.js', ready),
        stopSignal: 'SIGUSR2',
      });
      await manager.start(service);
      await waitFor(() => existsSync(ready));

      await manager.stop(service);

      expect(eventsOf(service, 'process.exited')).toMatchObject([{ signal: 'SIGUSR2' }]);
    });

    it('ends the grandchildren left behind when a service forks them and exits', async () => {
      const pidFile = join(workDir, 'grandchildren.json');
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('forks-grandchildren.js', '2', pidFile, '--exit'),
        oneshot: true,
      });

      await manager.start(service);
      await waitFor(async () => (await manager.status(service)).state === 'success');
      const grandchildren = JSON.parse(readFileSync(pidFile, 'utf8')) as number[];

      await waitFor(() => !grandchildren.some(isProcessAlive), { description: 'grandchildren gone' });
      expect(grandchildren.some(isProcessAlive)).toBe(false);
    });

    it('rejects stop() with an unknown signal, naming it', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: fixtureCommand('sleeps-forever.js') });

      await expect(manager.stop(service, { signal: 'SIGBOGUS' as NodeJS.Signals })).rejects.toThrow(
        new InvalidSpecError(
          'signal',
          'Expected `signal` to be a signal name such as SIGTERM, got "SIGBOGUS" (string).',
        ),
      );
    });
  });

  describe('health check', () => {
    it('reports test-failure with the check binary and errno when the check cannot run', async () => {
      const check = join(workDir, 'missing-check');
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: fixtureCommand('sleeps-forever.js'),
        healthCheck: [check],
      });

      await manager.start(service);
      const status = await waitFor(async () => {
        const current = await manager.status(service);
        return current.state === 'test-failure' ? current : undefined;
      });

      expect(status.reason).toContain(`\`${check}\``);
      expect(status.reason).toContain('ENOENT');
      expect(status.pid).toBeGreaterThan(0);
    });
  });

  describe('logs', () => {
    it('prefixes stderr lines with [stderr]', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: fixtureCommand('prints-lines.js', 'p', '1', '0') });
      await manager.start(service);

      const lines = await waitFor(async () => {
        const all: string[] = [];
        for await (const line of manager.logs(service)) all.push(line);
        return all.length === 2 ? all : undefined;
      });

      expect(lines).toEqual(['p-1', '[stderr] p-stderr']);
    });

    it('forwards output lines to the pino logger with forwardOutput', async () => {
      const captured: Record<string, unknown>[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => captured.push(JSON.parse(line)) });
      const logged = new EmbeddedProcessManager({ logger, forwardOutput: true });
      const service = uniqueServiceName();
      await logged.ensureService({
        name: service,
        command: fixtureCommand('prints-lines.js', 'f', '1', '0'),
        oneshot: true,
      });

      await logged.start(service);
      await waitFor(() => captured.some((entry) => entry.msg === 'f-stderr'), {
        description: 'the stderr line logged',
      });
      await logged.close();

      expect(captured.find((entry) => entry.msg === 'f-1')).toMatchObject({ service, stream: 'stdout', level: 30 });
      expect(captured.find((entry) => entry.msg === 'f-stderr')).toMatchObject({
        service,
        stream: 'stderr',
        level: 40,
      });
    });

    it('keeps only the last logRingSize lines', async () => {
      const small = new EmbeddedProcessManager({ logRingSize: 5 });
      const service = uniqueServiceName();
      await small.ensureService({
        name: service,
        command: fixtureCommand('prints-lines.js', 'r', '20', '0'),
        oneshot: true,
      });
      await small.start(service);

      const lines = await waitFor(async () => {
        const all: string[] = [];
        for await (const line of small.logs(service)) all.push(line);
        return all.includes('[stderr] r-stderr') ? all : undefined;
      });
      await small.close();

      expect(lines).toEqual(['r-17', 'r-18', 'r-19', 'r-20', '[stderr] r-stderr']);
    });

    it('passes an empty argument and a unicode argument literally', async () => {
      const argv = ['', 'ünïcødé ✓', '--flag=a b'];
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: fixtureCommand('prints-argv.js', ...argv), oneshot: true });

      await manager.start(service);
      const line = await waitFor(async () => {
        for await (const candidate of manager.logs(service)) if (candidate.startsWith('ARGV ')) return candidate;
        return undefined;
      });

      expect(JSON.parse(line.slice(5)).argv).toEqual(argv);
    });
  });

  describe('least privilege (issue 8, item 10)', () => {
    it('runs the service with the uid and gid of the spec', async () => {
      const isRoot = process.getuid?.() === 0;
      const service = uniqueServiceName();
      await manager.ensureService({
        name: service,
        command: [process.execPath, '-e', 'console.log("IDS", process.getuid(), process.getgid())'],
        uid: 65534,
        gid: 65534,
        oneshot: true,
        cwd: '/',
      });

      const started = await manager.start(service).then(
        () => 'started',
        (error: unknown) => error,
      );

      if (isRoot) {
        expect(started).toBe('started');
        const line = await waitFor(async () => {
          for await (const candidate of manager.logs(service)) if (candidate.startsWith('IDS ')) return candidate;
          return undefined;
        });
        expect(line).toBe('IDS 65534 65534');
      } else {
        expect(started).toBeInstanceOf(SpawnError);
        expect((started as SpawnError).message).toContain('only root can switch user');
      }
    });
  });

  describe('close', () => {
    it('stops dependents before their dependencies', async () => {
      const dependency = uniqueServiceName('dep');
      const dependent = uniqueServiceName('app');
      await manager.ensureService({ name: dependency, command: fixtureCommand('sleeps-forever.js') });
      await manager.ensureService({
        name: dependent,
        command: fixtureCommand('sleeps-forever.js'),
        after: [dependency],
      });
      await manager.start(dependency);
      await manager.start(dependent);
      await waitFor(() => eventsOf(dependent, 'process.running').length === 1);

      await manager.close();

      const stoppedOrder = events.filter((event) => event.type === 'process.stopped').map((event) => event.service);
      expect(stoppedOrder).toEqual([dependent, dependency]);
    });

    it('refuses to start services once closed', async () => {
      const service = uniqueServiceName();
      await manager.ensureService({ name: service, command: fixtureCommand('sleeps-forever.js') });
      await manager.close();

      await expect(manager.start(service)).rejects.toThrow('This EmbeddedProcessManager is closed');
    });
  });
});

describe('EmbeddedProcessManager orphan reaping (issue 8, item 4)', () => {
  const runner = fileURLToPath(new URL('../fixtures/workers/runs-embedded-manager.js', import.meta.url));
  let workDir: string;
  let reaper: EmbeddedProcessManager | undefined;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'hero-reap-'));
  });

  afterEach(async () => {
    await reaper?.close();
    reaper = undefined;
    rmSync(workDir, { recursive: true, force: true });
  });

  it('ends the children of a supervisor killed with SIGKILL when a new manager reads its state file', async () => {
    const stateFile = join(workDir, 'state.json');
    const grandchildrenFile = join(workDir, 'grandchildren.json');
    // A separate supervisor process: starts one service (which forks two grandchildren) and records it.
    const supervisor = spawn(
      process.execPath,
      [
        runner,
        'idle',
        stateFile,
        grandchildrenFile,
        ...fixtureCommand('forks-grandchildren.js', '2', grandchildrenFile),
      ],
      { stdio: 'ignore' },
    );
    const children = await waitFor(() => {
      if (!existsSync(grandchildrenFile)) return undefined;
      const recorded = (JSON.parse(readFileSync(stateFile, 'utf8')) as { children: { pid: number }[] }).children;
      return recorded.length === 1 ? recorded : undefined;
    });
    const pids = [children[0]?.pid ?? 0, ...(JSON.parse(readFileSync(grandchildrenFile, 'utf8')) as number[])];

    supervisor.kill('SIGKILL');
    await new Promise((resolve) => supervisor.once('exit', resolve));
    expect(pids.every(isProcessAlive)).toBe(true);

    reaper = new EmbeddedProcessManager({ stateFile, orphanStopTimeoutMs: 500 });
    const reports = await reaper.reapOrphans();

    expect(reports).toMatchObject([{ pid: pids[0], outcome: 'terminated' }]);
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).children).toEqual([]);
  });

  it('leaves the children of a supervisor that still runs alone, and starts nothing on its state file', async () => {
    const stateFile = join(workDir, 'state.json');
    const grandchildrenFile = join(workDir, 'grandchildren.json');
    const supervisor = spawn(
      process.execPath,
      [
        runner,
        'idle',
        stateFile,
        grandchildrenFile,
        ...fixtureCommand('forks-grandchildren.js', '2', grandchildrenFile),
      ],
      { stdio: 'ignore' },
    );
    const children = await waitFor(() => {
      if (!existsSync(grandchildrenFile)) return undefined;
      const recorded = (JSON.parse(readFileSync(stateFile, 'utf8')) as { children: { pid: number }[] }).children;
      return recorded.length === 1 ? recorded : undefined;
    });
    const pids = [children[0]?.pid ?? 0, ...(JSON.parse(readFileSync(grandchildrenFile, 'utf8')) as number[])];
    const stateBefore = readFileSync(stateFile, 'utf8');
    try {
      reaper = new EmbeddedProcessManager({ stateFile, orphanStopTimeoutMs: 500 });
      const name = uniqueServiceName('second');
      await reaper.ensureService({ name, command: fixtureCommand('sleeps-forever.js') });

      expect(await reaper.reapOrphans()).toEqual([]);
      await expect(reaper.start(name)).rejects.toThrow(
        new BackendUnavailableError(
          `The state file ${stateFile} belongs to a running supervisor (pid ${supervisor.pid}): this process manager starts nothing. Stop that supervisor, or give this one its own stateFile.`,
        ),
      );
      expect(pids.every(isProcessAlive)).toBe(true);
      expect(readFileSync(stateFile, 'utf8')).toBe(stateBefore);
    } finally {
      supervisor.kill('SIGKILL');
      await new Promise((resolve) => supervisor.once('exit', resolve));
    }
    await reaper.close();

    // Once that supervisor is dead, its children are orphans: the next manager ends them.
    reaper = new EmbeddedProcessManager({ stateFile, orphanStopTimeoutMs: 500 });
    expect(await reaper.reapOrphans()).toMatchObject([{ pid: pids[0], outcome: 'terminated' }]);
    expect(pids.filter(isProcessAlive)).toEqual([]);
  });

  it.each(['exit', 'throw'])('leaves no child running when the supervisor process ends by %s', async (mode) => {
    const grandchildrenFile = join(workDir, 'grandchildren.json');
    const supervisor = spawn(
      process.execPath,
      [runner, mode, '-', grandchildrenFile, ...fixtureCommand('forks-grandchildren.js', '2', grandchildrenFile)],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let output = '';
    supervisor.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });

    const exitCode = await new Promise((resolve) => supervisor.once('exit', resolve));
    const leader = Number(/SERVICE (\d+)/.exec(output)?.[1]);
    const pids = [leader, ...(JSON.parse(readFileSync(grandchildrenFile, 'utf8')) as number[])];

    expect(exitCode).toBe(mode === 'exit' ? 0 : 1);
    expect(leader).toBeGreaterThan(0);
    await waitFor(() => !pids.some(isProcessAlive), { description: 'every child of the ended supervisor gone' });
    expect(pids.filter(isProcessAlive)).toEqual([]);
  });

  it('leaves alone a recorded pid that now runs another program', async () => {
    const stateFile = join(workDir, 'state.json');
    const stranger = spawn(process.execPath, fixtureCommand('sleeps-forever.js').slice(1), {
      detached: true,
      stdio: 'ignore',
    });
    const pid = stranger.pid ?? 0;
    writeFileSync(
      stateFile,
      JSON.stringify({
        version: 1,
        children: [{ name: 'old', pid, pgid: pid, startedAt: 0, command: ['/usr/bin/other-program'] }],
      }),
    );

    reaper = new EmbeddedProcessManager({ stateFile });
    const reports = await reaper.reapOrphans();

    expect(reports).toMatchObject([{ pid, outcome: 'skipped' }]);
    expect(isProcessAlive(pid)).toBe(true);
    stranger.kill('SIGKILL');
  });
});
