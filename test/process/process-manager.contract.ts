/**
 * The behavioural contract every ProcessManager backend honours (issue 3), run against real child processes started
 * from test/fixtures/workers/. `embedded-process-manager.test.ts` and `zinit-process-manager.test.ts` call
 * `describeProcessManager()`; backend-specific cases stay in their own files.
 *
 * Where backends legitimately differ (Zinit restarts a non-oneshot service 2 s after any exit, its client polls every
 * 250 ms, its `close()` only disconnects), the difference is a capability flag in `ContractOptions`, never an `if` on the
 * backend's name.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidSpecError, ServiceNotStoppedError, UnknownServiceError } from '../../src/errors.js';
import type { ProcessEvent } from '../../src/process/process-events.js';
import type { ProcessManager, ServiceSpec } from '../../src/process/process-manager.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';

/** What a backend can or cannot do; every flag defaults to the embedded backend's behaviour. */
export interface ContractOptions {
  /**
   * Delay between the exit of a non-oneshot service and its automatic restart (Zinit: 2000). Lengthens deadlines.
   * @defaultValue 0
   */
  restartDelayMs?: number;
  /**
   * Longest time between a change in a process and the event/status that shows it (Zinit client: its poll interval).
   * @defaultValue 0
   */
  observeDelayMs?: number;
  /** How often a failing health check is retried (Zinit: 2000). Lengthens deadlines. @defaultValue 500 */
  healthCheckRetryMs?: number;
  /** `restart: { mode: 'never' }` leaves an exited service down (Zinit: false, it always restarts). @defaultValue true */
  honoursRestartNever?: boolean;
  /** close() stops every service (Zinit: false, close() only disconnects). @defaultValue true */
  closeStopsServices?: boolean;
  /** A failing health check that cannot even be run ends in `process.healthFailed`. @defaultValue true */
  reportsHealthCheckSpawnFailure?: boolean;
}

export interface CreatedManager {
  manager: ProcessManager;
  cleanup?: () => Promise<void>;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/workers/', import.meta.url));

/** argv running a fixture from test/fixtures/workers/ with the current node binary. */
export function fixtureCommand(fixture: string, ...args: string[]): string[] {
  return [process.execPath, join(FIXTURES, fixture), ...args];
}

/** Fresh, valid service name per test: parallel files and repeated runs never collide. */
export function uniqueServiceName(prefix = 'svc'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function describeProcessManager(
  name: string,
  create: () => Promise<CreatedManager>,
  options: ContractOptions = {},
): void {
  const restartDelayMs = options.restartDelayMs ?? 0;
  const observeDelayMs = options.observeDelayMs ?? 0;
  const healthCheckRetryMs = options.healthCheckRetryMs ?? 500;
  const honoursRestartNever = options.honoursRestartNever ?? true;
  const closeStopsServices = options.closeStopsServices ?? true;
  const reportsHealthCheckSpawnFailure = options.reportsHealthCheckSpawnFailure ?? true;
  /** Deadline for anything the backend should do "soon": generous, CI has two shared cores. */
  const soonMs = 15_000 + 2 * restartDelayMs + 4 * observeDelayMs + 2 * healthCheckRetryMs;

  describe(`ProcessManager contract: ${name}`, () => {
    let manager: ProcessManager;
    let cleanup: (() => Promise<void>) | undefined;
    let events: ProcessEvent[];
    let unsubscribe: () => void;
    let declared: string[];
    let workDir: string;

    beforeEach(async () => {
      ({ manager, cleanup } = await create());
      events = [];
      declared = [];
      unsubscribe = manager.subscribe((event) => events.push(event));
      workDir = mkdtempSync(join(tmpdir(), 'hero-contract-'));
    });

    afterEach(async () => {
      unsubscribe();
      for (const service of declared.reverse()) {
        await manager.stop(service, { timeoutMs: 1_000 }).catch(() => undefined);
        await manager.remove(service).catch(() => undefined);
      }
      await manager.close();
      await cleanup?.();
      rmSync(workDir, { recursive: true, force: true });
    });

    /** ensureService that remembers the name for cleanup. */
    async function declare(spec: ServiceSpec): Promise<string> {
      await manager.ensureService(spec);
      declared.push(spec.name);
      return spec.name;
    }

    function waitForEvent<T extends ProcessEvent['type']>(
      service: string,
      type: T,
      where: (event: Extract<ProcessEvent, { type: T }>) => boolean = () => true,
    ): Promise<Extract<ProcessEvent, { type: T }>> {
      return waitFor(
        () =>
          events.find(
            (event): event is Extract<ProcessEvent, { type: T }> =>
              event.service === service && event.type === type && where(event as Extract<ProcessEvent, { type: T }>),
          ),
        { timeoutMs: soonMs, description: `${type} from ${service}` },
      );
    }

    function waitForState(service: string, state: string) {
      return waitFor(
        async () => {
          const status = await manager.status(service);
          return status.state === state ? status : undefined;
        },
        { timeoutMs: soonMs, description: `${service} in state ${state}` },
      );
    }

    function readyFile(): string {
      return join(workDir, `ready-${randomUUID()}`);
    }

    async function waitForFile(path: string): Promise<string> {
      return waitFor(
        () => {
          try {
            return readFileSync(path, 'utf8') || undefined;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: soonMs, description: `file ${path}` },
      );
    }

    async function collectLogs(service: string, tail?: number): Promise<string[]> {
      const lines: string[] = [];
      for await (const line of manager.logs(service, tail === undefined ? {} : { tail })) lines.push(line);
      return lines;
    }

    describe('ensureService validation', () => {
      const valid = (): ServiceSpec => ({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });

      it.each([
        ['a name with a path separator', { name: 'bad/name' }, 'name'],
        ['a name with a dot', { name: 'bad.name' }, 'name'],
        ['an empty name', { name: '' }, 'name'],
        ['a name of 1 KB', { name: 'n'.repeat(1024) }, 'name'],
        ['an empty command', { command: [] }, 'command'],
        ['a command argument containing NUL', { command: [process.execPath, 'a\0b'] }, 'command'],
        ['an env key containing =', { env: { 'A=B': 'x' } }, 'env'],
        ['a negative stopTimeoutMs', { stopTimeoutMs: -1 }, 'stopTimeoutMs'],
        ['an unknown stop signal', { stopSignal: 'SIGNOPE' as NodeJS.Signals }, 'stopSignal'],
        ['an empty health check', { healthCheck: [] }, 'healthCheck'],
      ] satisfies [string, Partial<ServiceSpec>, string][])(
        'rejects %s with an InvalidSpecError naming the field',
        async (_, change, field) => {
          const spec = { ...valid(), ...change };

          const error = await manager.ensureService(spec).then(
            () => undefined,
            (caught: unknown) => caught,
          );

          expect(error).toBeInstanceOf(InvalidSpecError);
          expect((error as InvalidSpecError).field.startsWith(field)).toBe(true);
          expect((error as InvalidSpecError).message).toContain(field);
        },
      );

      it('rejects a service that depends on itself, naming `after`', async () => {
        const spec = valid();

        const error = await manager.ensureService({ ...spec, after: [spec.name] }).catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(InvalidSpecError);
        expect((error as InvalidSpecError).field.startsWith('after')).toBe(true);
      });

      it('declares a valid service without starting it', async () => {
        const service = await declare(valid());

        const status = await manager.status(service);

        expect(status).toMatchObject({ name: service, pid: 0, target: 'down' });
        expect(['unknown', 'stopped']).toContain(status.state);
      });

      it('accepts a second ensureService for the same name as an update', async () => {
        const spec = valid();
        await declare(spec);

        await manager.ensureService({ ...spec, command: fixtureCommand('ignores-sigterm.js') });

        expect((await manager.status(spec.name)).name).toBe(spec.name);
      });
    });

    describe('unknown services', () => {
      it.each(['start', 'stop', 'restart', 'status', 'remove'] as const)(
        '%s() rejects with UnknownServiceError',
        async (method) => {
          const missing = uniqueServiceName('missing');

          await expect(manager[method](missing)).rejects.toBeInstanceOf(UnknownServiceError);
        },
      );

      it('kill() rejects with UnknownServiceError', async () => {
        await expect(manager.kill(uniqueServiceName('missing'), 'SIGTERM')).rejects.toBeInstanceOf(UnknownServiceError);
      });
    });

    describe('start, status and list', () => {
      it('starts a service: running with a live pid, target up, and a running event with that pid', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });

        await manager.start(service);
        const running = await waitForEvent(service, 'process.running');
        const status = await waitForState(service, 'running');

        expect(status.pid).toBe(running.pid);
        expect(status.target).toBe('up');
        expect(isProcessAlive(status.pid)).toBe(true);
      });

      it('stamps every event with a wall-clock timestamp', async () => {
        const before = Date.now();
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });

        await manager.start(service);
        await waitForEvent(service, 'process.running');

        const after = Date.now();
        for (const event of events.filter((candidate) => candidate.service === service)) {
          expect(event.at).toBeGreaterThanOrEqual(before - 1_000);
          expect(event.at).toBeLessThanOrEqual(after + 1_000);
        }
      });

      it('does not start a second process when start() is called on a running service', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });
        await manager.start(service);
        const { pid } = await waitForState(service, 'running');

        await manager.start(service);

        expect((await manager.status(service)).pid).toBe(pid);
      });

      it('lists every declared service with its state', async () => {
        const running = await declare({ name: uniqueServiceName('a'), command: fixtureCommand('sleeps-forever.js') });
        const idle = await declare({ name: uniqueServiceName('b'), command: fixtureCommand('sleeps-forever.js') });
        await manager.start(running);
        await waitForState(running, 'running');

        const listed = await manager.list();

        expect(listed.find((status) => status.name === running)?.state).toBe('running');
        expect(listed.find((status) => status.name === idle)?.target).toBe('down');
      });

      it('stops delivering events to a listener after it unsubscribes', async () => {
        const seen: ProcessEvent[] = [];
        const stopListening = manager.subscribe((event) => seen.push(event));
        stopListening();
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });

        await manager.start(service);
        await waitForEvent(service, 'process.running');

        expect(seen).toEqual([]);
      });
    });

    describe('exits', () => {
      it('reports a oneshot exiting with code 3 as exited with code 3 and state error', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('exits-with-code.js', '3', '200'),
          oneshot: true,
        });

        await manager.start(service);
        const exited = await waitForEvent(service, 'process.exited');
        const status = await waitForState(service, 'error');

        expect(exited).toMatchObject({ code: 3, signal: null });
        expect(status.pid).toBe(0);
        expect(status.reason).toContain('3');
      });

      it('reports a oneshot exiting with code 0 as success', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('exits-with-code.js', '0', '200'),
          oneshot: true,
        });

        await manager.start(service);
        const exited = await waitForEvent(service, 'process.exited');
        const status = await waitForState(service, 'success');

        expect(exited.code).toBe(0);
        expect(status.pid).toBe(0);
      });

      it('reports a process killed by kill(name, SIGKILL) as exited with signal SIGKILL', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('sleeps-forever.js'),
          restart: { mode: 'never' },
        });
        await manager.start(service);
        const { pid } = await waitForState(service, 'running');

        await manager.kill(service, 'SIGKILL');
        const exited = await waitForEvent(service, 'process.exited');

        expect(exited).toMatchObject({ code: null, signal: 'SIGKILL' });
        await waitFor(() => !isProcessAlive(pid), { timeoutMs: soonMs, description: `pid ${pid} gone` });
      });

      it('delivers the given signal to the process with kill()', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('sleeps-forever.js'),
          restart: { mode: 'never' },
        });
        await manager.start(service);
        await waitForState(service, 'running');

        await manager.kill(service, 'SIGUSR2');
        const exited = await waitForEvent(service, 'process.exited');

        expect(exited.signal).toBe('SIGUSR2');
      });

      it('restarts a crashed non-oneshot service with restart mode always', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('sleeps-forever.js'),
          restart: { mode: 'always', backoffMs: () => 0 },
        });
        await manager.start(service);
        const first = await waitForEvent(service, 'process.running');

        await manager.kill(service, 'SIGKILL');
        const second = await waitForEvent(service, 'process.running', (event) => event.pid !== first.pid);

        expect(isProcessAlive(second.pid)).toBe(true);
        expect((await manager.status(service)).target).toBe('up');
      });

      if (honoursRestartNever) {
        it('leaves a service with restart mode never down after it exits, until start() is called again', async () => {
          const service = await declare({
            name: uniqueServiceName(),
            command: fixtureCommand('exits-with-code.js', '4', '100'),
            restart: { mode: 'never' },
          });
          await manager.start(service);
          await waitForEvent(service, 'process.exited');
          const down = await waitForState(service, 'error');

          await manager.start(service);
          const again = await waitFor(
            () => events.filter((e) => e.service === service && e.type === 'process.exited').length === 2,
            {
              timeoutMs: soonMs,
              description: 'a second exit after start()',
            },
          );

          expect(down.pid).toBe(0);
          expect(events.filter((e) => e.service === service && e.type === 'process.spawned').length).toBe(2);
          expect(again).toBe(true);
        });
      }

      it('reports a missing binary as spawnFailed with a reason naming it, and state failure', async () => {
        const binary = join(workDir, 'no-such-binary');
        const service = await declare({ name: uniqueServiceName(), command: [binary, '--flag'] });

        await manager.start(service).catch(() => undefined);
        const failed = await waitForEvent(service, 'process.spawnFailed');
        const status = await waitForState(service, 'failure');

        expect(failed.reason).toContain(binary);
        expect(status.pid).toBe(0);
        expect(events.some((event) => event.service === service && event.type === 'process.exited')).toBe(false);
      });
    });

    describe('stop', () => {
      it('stops a running service: resolves with the process gone, state stopped, target down, a stopped event', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });
        await manager.start(service);
        const { pid } = await waitForState(service, 'running');

        await manager.stop(service);

        expect(isProcessAlive(pid)).toBe(false);
        const stopped = await waitForEvent(service, 'process.stopped');
        expect(stopped.at).toBeGreaterThan(0);
        expect(await waitForState(service, 'stopped')).toMatchObject({ pid: 0, target: 'down' });
      });

      it('escalates to SIGKILL when the process ignores the stop signal, resolving only once it is gone', async () => {
        const ready = readyFile();
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('ignores-sigterm.js', ready),
          stopTimeoutMs: 500,
        });
        await manager.start(service);
        const pid = Number(await waitForFile(ready));

        await manager.stop(service);

        expect(isProcessAlive(pid)).toBe(false);
      });

      it('honours a stop timeout given to stop() itself', async () => {
        const ready = readyFile();
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('ignores-sigterm.js', ready),
          stopTimeoutMs: 60_000,
        });
        await manager.start(service);
        const pid = Number(await waitForFile(ready));

        await manager.stop(service, { timeoutMs: 300 });

        expect(isProcessAlive(pid)).toBe(false);
      });

      it('kills the grandchildren with the process group', async () => {
        const pidFile = join(workDir, 'grandchildren.json');
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('forks-grandchildren.js', '2', pidFile),
        });
        await manager.start(service);
        const grandchildren = JSON.parse(await waitForFile(pidFile)) as number[];
        expect(grandchildren.every(isProcessAlive)).toBe(true);

        await manager.stop(service);

        await waitFor(() => !grandchildren.some(isProcessAlive), {
          timeoutMs: soonMs,
          description: 'grandchildren gone',
        });
        expect(grandchildren.some(isProcessAlive)).toBe(false);
      });

      it('treats stop() of a service that is not running as done', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });

        await manager.stop(service);

        expect((await manager.status(service)).pid).toBe(0);
      });

      it('restarts: a new process replaces the old one, which is gone', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });
        await manager.start(service);
        const first = await waitForState(service, 'running');

        await manager.restart(service);
        const second = await waitFor(
          async () => {
            const status = await manager.status(service);
            return status.state === 'running' && status.pid !== first.pid ? status : undefined;
          },
          { timeoutMs: soonMs, description: 'running with a new pid' },
        );

        expect(isProcessAlive(first.pid)).toBe(false);
        expect(isProcessAlive(second.pid)).toBe(true);
      });
    });

    describe('remove', () => {
      it('forgets a stopped service', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });
        await manager.start(service);
        await waitForState(service, 'running');
        await manager.stop(service);

        await manager.remove(service);

        await expect(manager.status(service)).rejects.toBeInstanceOf(UnknownServiceError);
        expect((await manager.list()).some((status) => status.name === service)).toBe(false);
      });

      it('refuses to remove a running service with ServiceNotStoppedError', async () => {
        const service = await declare({ name: uniqueServiceName(), command: fixtureCommand('sleeps-forever.js') });
        await manager.start(service);
        await waitForState(service, 'running');

        await expect(manager.remove(service)).rejects.toBeInstanceOf(ServiceNotStoppedError);
        expect((await manager.status(service)).state).toBe('running');
      });
    });

    describe('logs', () => {
      it('returns the last lines with tail', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('prints-lines.js', 'out', '3', '0'),
        });
        await manager.start(service);
        await waitFor(async () => (await collectLogs(service)).some((line) => line.includes('out-stderr')), {
          timeoutMs: soonMs,
          description: 'the stderr line in the logs',
        });

        const lines = await collectLogs(service, 2);

        expect(lines).toHaveLength(2);
        expect(lines.join('\n')).toContain('out-stderr');
      });

      it('captures stdout and stderr line by line', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('prints-lines.js', 'both', '3', '0'),
        });
        await manager.start(service);

        const lines = await waitFor(
          async () => {
            const all = await collectLogs(service);
            return all.some((line) => line.includes('both-stderr')) ? all : undefined;
          },
          { timeoutMs: soonMs, description: 'all lines in the logs' },
        );

        const numbered = lines.filter((line) => /both-\d/.test(line));
        expect(numbered.map((line) => line.slice(line.indexOf('both-')))).toEqual(['both-1', 'both-2', 'both-3']);
      });

      it('follows new lines until the iterator is returned', async () => {
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('prints-lines.js', 'tick', '40', '50'),
        });
        await manager.start(service);

        const seen: string[] = [];
        for await (const line of manager.logs(service, { follow: true })) {
          seen.push(line);
          if (line.includes('tick-12')) break;
        }

        expect(seen.some((line) => line.includes('tick-12'))).toBe(true);
      });

      it('passes argv and env literally, without a shell', async () => {
        const argv = [
          '$HOME',
          'a;b',
          `it's "quoted"`,
          'line1\nline2',
          'two  spaces',
          '*',
          '`echo x`',
          '$(id)',
          '|',
          '&&',
        ];
        const envValue = '$PATH; rm -rf "/" `x`';
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('prints-argv.js', ...argv),
          env: { HERO_TEST_VALUE: envValue },
          cwd: workDir,
          oneshot: true,
        });

        await manager.start(service);
        await waitForState(service, 'success');
        const line = await waitFor(
          async () => (await collectLogs(service)).find((candidate) => candidate.includes('ARGV ')),
          {
            timeoutMs: soonMs,
            description: 'the ARGV line',
          },
        );

        expect(JSON.parse(line.slice(line.indexOf('ARGV ') + 5))).toEqual({ argv, env: envValue, cwd: workDir });
      });
    });

    describe('after ordering', () => {
      it('blocks a service until its dependency runs, then starts it', async () => {
        const dependency = await declare({
          name: uniqueServiceName('dep'),
          command: fixtureCommand('sleeps-forever.js'),
        });
        const dependent = await declare({
          name: uniqueServiceName('app'),
          command: fixtureCommand('sleeps-forever.js'),
          after: [dependency],
        });

        await manager.start(dependent);
        const blocked = await waitForEvent(dependent, 'process.blocked');
        const whileBlocked = await waitForState(dependent, 'blocked');
        await manager.start(dependency);
        const dependencyRunning = await waitForEvent(dependency, 'process.running');
        const dependentRunning = await waitForEvent(dependent, 'process.running');

        expect(blocked.waitingFor).toContain(dependency);
        expect(whileBlocked.pid).toBe(0);
        expect(whileBlocked.dependencies).toHaveProperty(dependency);
        expect(dependentRunning.at).toBeGreaterThanOrEqual(dependencyRunning.at);
      });

      it('starts a dependent of a oneshot once the oneshot has succeeded', async () => {
        const setup = await declare({
          name: uniqueServiceName('setup'),
          command: fixtureCommand('exits-with-code.js', '0', '300'),
          oneshot: true,
        });
        const dependent = await declare({
          name: uniqueServiceName('app'),
          command: fixtureCommand('sleeps-forever.js'),
          after: [setup],
        });

        await manager.start(dependent);
        await manager.start(setup);
        const setupExited = await waitForEvent(setup, 'process.exited');
        const dependentRunning = await waitForEvent(dependent, 'process.running');

        expect(dependentRunning.at).toBeGreaterThanOrEqual(setupExited.at);
        expect((await manager.status(dependent)).dependencies[setup]).toBe('success');
      });

      it('keeps a dependent blocked when its oneshot dependency fails', async () => {
        const setup = await declare({
          name: uniqueServiceName('setup'),
          command: fixtureCommand('exits-with-code.js', '2', '100'),
          oneshot: true,
        });
        const dependent = await declare({
          name: uniqueServiceName('app'),
          command: fixtureCommand('sleeps-forever.js'),
          after: [setup],
        });

        await manager.start(dependent);
        await manager.start(setup);
        await waitForState(setup, 'error');

        const status = await manager.status(dependent);
        expect(status.state).toBe('blocked');
        expect(events.some((event) => event.service === dependent && event.type === 'process.spawned')).toBe(false);
      });
    });

    describe('health check', () => {
      it('holds a service in spawned until its health check passes, then reports running', async () => {
        const flag = join(workDir, 'healthy');
        const service = await declare({
          name: uniqueServiceName(),
          command: fixtureCommand('sleeps-forever.js'),
          healthCheck: fixtureCommand('checks-file-exists.js', flag),
        });

        await manager.start(service);
        const spawned = await waitForState(service, 'spawned');
        expect(spawned.pid).toBeGreaterThan(0);
        expect(events.some((event) => event.service === service && event.type === 'process.running')).toBe(false);

        writeFileSync(flag, 'ok');
        const running = await waitForEvent(service, 'process.running');

        expect(running.pid).toBe(spawned.pid);
        expect((await manager.status(service)).state).toBe('running');
      });

      if (reportsHealthCheckSpawnFailure) {
        it('reports healthFailed when the health check cannot be run', async () => {
          const service = await declare({
            name: uniqueServiceName(),
            command: fixtureCommand('sleeps-forever.js'),
            healthCheck: [join(workDir, 'no-such-check')],
          });

          await manager.start(service);
          const failed = await waitForEvent(service, 'process.healthFailed');

          expect(failed.reason.length).toBeGreaterThan(0);
          expect(events.some((event) => event.service === service && event.type === 'process.running')).toBe(false);
        });
      }

      it('keeps a dependent blocked until its dependency passes its health check', async () => {
        const flag = join(workDir, 'dep-healthy');
        const dependency = await declare({
          name: uniqueServiceName('dep'),
          command: fixtureCommand('sleeps-forever.js'),
          healthCheck: fixtureCommand('checks-file-exists.js', flag),
        });
        const dependent = await declare({
          name: uniqueServiceName('app'),
          command: fixtureCommand('sleeps-forever.js'),
          after: [dependency],
        });

        await manager.start(dependency);
        await manager.start(dependent);
        await waitForState(dependency, 'spawned');
        expect((await manager.status(dependent)).state).toBe('blocked');

        writeFileSync(flag, 'ok');
        const dependencyRunning = await waitForEvent(dependency, 'process.running');
        const dependentRunning = await waitForEvent(dependent, 'process.running');

        expect(dependentRunning.at).toBeGreaterThanOrEqual(dependencyRunning.at);
      });
    });

    describe('close', () => {
      it('is idempotent', async () => {
        const first = manager.close();
        const second = manager.close();

        await expect(Promise.all([first, second])).resolves.toBeDefined();
        await expect(manager.close()).resolves.toBeUndefined();
      });

      if (closeStopsServices) {
        it('leaves nothing running, even a process that ignores SIGTERM and its grandchildren', async () => {
          const ready = readyFile();
          const pidFile = join(workDir, 'grandchildren.json');
          const stubborn = await declare({
            name: uniqueServiceName('stubborn'),
            command: fixtureCommand('ignores-sigterm.js', ready),
            stopTimeoutMs: 300,
          });
          const forking = await declare({
            name: uniqueServiceName('forking'),
            command: fixtureCommand('forks-grandchildren.js', '2', pidFile),
          });
          await manager.start(stubborn);
          await manager.start(forking);
          const pids = [
            Number(await waitForFile(ready)),
            (await waitForState(forking, 'running')).pid,
            ...(JSON.parse(await waitForFile(pidFile)) as number[]),
          ];

          await manager.close();

          expect(pids.filter(isProcessAlive)).toEqual([]);
        });
      }
    });
  });
}
