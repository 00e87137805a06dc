/**
 * ZinitProcessManager cases beyond the shared contract (issue 3; issue 8 items 4, 5, 9): protocol detection against
 * each double, a missing or refusing socket, Zinit going away and coming back (no flapping events), a full Zinit
 * restart, adoption of running services, names refused before anything is written, and legacy stop escalation.
 * Both doubles keep Zinit's real 2 s restart delay.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, ConfigError, InvalidSpecError } from '../../../src/errors.js';
import type { ProcessEvent } from '../../../src/process/process-events.js';
import { detectProtocol, JSONRPC_PROBE } from '../../../src/process/zinit/detect-protocol.js';
import { type ZinitBackendEvent, ZinitProcessManager } from '../../../src/process/zinit/zinit-process-manager.js';
import { ZinitJsonRpcDouble } from '../../doubles/zinit-jsonrpc-double.js';
import { ZinitLegacyDouble } from '../../doubles/zinit-legacy-double.js';
import { isProcessAlive } from '../../helpers/process-alive.js';
import { waitFor } from '../../helpers/wait-for.js';
import { fixtureCommand, uniqueServiceName } from '../process-manager.contract.js';

type AnyDouble = ZinitLegacyDouble | ZinitJsonRpcDouble;

const DOUBLES = [
  { protocol: 'legacy', start: (options = {}) => ZinitLegacyDouble.start(options) },
  { protocol: 'jsonrpc', start: (options = {}) => ZinitJsonRpcDouble.start(options) },
] as const satisfies {
  protocol: string;
  start: (options?: { socketPath?: string; configDir?: string }) => Promise<AnyDouble>;
}[];

describe('ZinitProcessManager options', () => {
  it.each([
    ['a relative path', 'zinit.sock', 'absolute path'],
    ['an empty path', '', 'absolute path'],
    ['a path with NUL', '/tmp/zi\0nit.sock', 'NUL'],
  ])('refuses %s as socketPath with a ConfigError saying why', (_, socketPath, why) => {
    const create = () => new ZinitProcessManager({ socketPath, configDir: '/etc/zinit' });

    expect(create).toThrow(ConfigError);
    expect(create).toThrow(why);
  });
});

describe('when Zinit is not there', () => {
  let workDir: string;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'zinit-absent-'));
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  it('reports a missing socket (ENOENT) as BackendUnavailableError naming the path and what to check', async () => {
    const socketPath = join(workDir, 'zinit.sock');
    const manager = new ZinitProcessManager({ socketPath, configDir: workDir });

    const error = await manager.list().catch((caught: unknown) => caught);
    await manager.close();

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toBe(
      `Zinit is not running at ${socketPath} (ENOENT). Is zinit running? Check the socket path, or use the embedded backend.`,
    );
  });

  it('reports a stale socket left by a killed Zinit (ECONNREFUSED) the same way', async () => {
    const socketPath = join(workDir, 'zinit.sock');
    // A server killed with SIGKILL leaves its socket file behind: connecting to it is refused.
    const server = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)})`,
    ]);
    await waitFor(() => existsSync(socketPath), { description: 'the socket file' });
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    const manager = new ZinitProcessManager({ socketPath, configDir: workDir });

    const error = await manager.status('anything').catch((caught: unknown) => caught);
    await manager.close();

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain(`Zinit is not running at ${socketPath} (ECONNREFUSED).`);
  });
});

describe.each(DOUBLES)('ZinitProcessManager over the $protocol double', ({ protocol, start }) => {
  let double: AnyDouble;
  let manager: ZinitProcessManager;
  let events: ProcessEvent[];
  let backendEvents: ZinitBackendEvent[];
  let extraCleanup: (() => Promise<void>)[];

  beforeEach(async () => {
    double = await start();
    manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir });
    events = [];
    backendEvents = [];
    extraCleanup = [];
    manager.subscribe((event) => events.push(event));
    manager.subscribeBackend((event) => backendEvents.push(event));
  });

  afterEach(async () => {
    await manager.close();
    await double.close();
    for (const cleanup of extraCleanup) await cleanup();
  });

  async function runningService(name = uniqueServiceName()): Promise<{ name: string; pid: number }> {
    await manager.ensureService({ name, command: fixtureCommand('sleeps-forever.js') });
    await manager.start(name);
    const pid = await waitFor(
      async () => {
        const status = await manager.status(name);
        return status.state === 'running' ? status.pid : undefined;
      },
      { description: `${name} running` },
    );
    await waitFor(() => events.some((e) => e.service === name && e.type === 'process.running'), {
      description: `${name} running event`,
    });
    return { name, pid };
  }

  it(`detects the ${protocol} protocol, once per socket`, async () => {
    expect(await detectProtocol(double.socketPath)).toBe(protocol);
    expect(await manager.protocol()).toBe(protocol);

    await runningService();
    await manager.list();

    if (protocol === 'legacy') {
      // One probe from this test's detectProtocol() call, one from the manager: never one per request.
      expect(double.requests.filter((request) => request === JSONRPC_PROBE)).toHaveLength(2);
    } else {
      // Two probe connections (this test's and the manager's), then ONE long-lived connection for every call.
      expect(double.connections).toBe(3);
    }
  });

  it('refuses names Zinit would reject before writing anything', async () => {
    for (const name of ['a.b', '../escape', 'back\\slash', 'sl/ash']) {
      await expect(manager.ensureService({ name, command: ['/bin/true'] })).rejects.toBeInstanceOf(InvalidSpecError);
    }
    await expect(
      manager.ensureService({ name: uniqueServiceName(), command: ['/bin/true'], after: ['x.y'] }),
    ).rejects.toBeInstanceOf(InvalidSpecError);

    expect(readdirSync(double.configDir)).toEqual([]);
    expect(double.requests.some((request) => request.includes('service_create') || request.startsWith('monitor'))).toBe(
      false,
    );
  });

  it('runs services named toString, constructor and __proto__ like any other name (F9)', async () => {
    // Properties of every JS object: a `name in parsedList` lookup took them for monitored and asked Zinit for them.
    const names = ['toString', 'constructor', '__proto__'];
    for (const name of names) await runningService(name);
    await manager.ensureService({
      name: 'valueOf',
      command: fixtureCommand('sleeps-forever.js'),
      after: ['__proto__'],
    });
    await manager.start('valueOf');
    await waitFor(async () => (await manager.status('valueOf')).state === 'running', {
      description: 'valueOf running',
    });

    const listed = await manager.list();
    const dependent = await manager.status('valueOf');
    for (const name of names) await manager.stop(name);
    await manager.stop('valueOf');
    for (const name of [...names, 'valueOf']) await manager.remove(name);

    expect(listed.map((status) => [status.name, status.state])).toEqual(
      [...names, 'valueOf'].sort((a, b) => a.localeCompare(b)).map((name) => [name, 'running']),
    );
    expect(Object.entries(dependent.dependencies)).toEqual([['__proto__', 'running']]);
    expect(await manager.list()).toEqual([]);
  });

  it('adopts what Zinit already runs: list() reports it with its pid, an identical ensureService does not restart it', async () => {
    const { name, pid } = await runningService();
    const spec = { name, command: fixtureCommand('sleeps-forever.js') };
    await manager.close();
    // A new supervisor (the old one was killed): it must not start a duplicate.
    manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir });
    const adoptedEvents: ProcessEvent[] = [];
    manager.subscribe((event) => adoptedEvents.push(event));

    const listed = await manager.list();
    await manager.ensureService(spec);
    await manager.start(name);

    expect(listed.find((status) => status.name === name)).toMatchObject({ state: 'running', pid, target: 'up' });
    expect((await manager.status(name)).pid).toBe(pid);
    expect(double.engine.pidOf(name)).toBe(pid);
    expect(isProcessAlive(pid)).toBe(true);
    await waitFor(async () => (await manager.status(name)).pid === pid, { description: 'a poll after adoption' });
    expect(adoptedEvents.filter((e) => e.service === name && e.type === 'process.exited')).toEqual([]);
    expect(adoptedEvents.filter((e) => e.service === name && 'pid' in e && e.pid !== pid)).toEqual([]);
  });

  it('adopts services Zinit loaded from its config directory before the supervisor came', async () => {
    writeFileSync(
      join(double.configDir, 'preexisting.yaml'),
      `exec: ${process.execPath} ${fixtureCommand('sleeps-forever.js')[1]}\n`,
    );
    await manager.list(); // connects
    double.engine.monitor('preexisting');
    const pid = await waitFor(() => double.engine.pidOf('preexisting') || undefined, {
      description: 'preexisting spawned',
    });

    const listed = await manager.list();

    expect(listed.find((status) => status.name === 'preexisting')).toMatchObject({ state: 'running', pid });
  });

  it('updates a running service whose spec changed: stop, forget, rewrite, monitor; a new process runs the new spec', async () => {
    const { name, pid } = await runningService();

    await manager.ensureService({ name, command: fixtureCommand('sleeps-forever.js'), env: { CHANGED: '1' } });
    const next = await waitFor(
      async () => {
        const status = await manager.status(name);
        return status.state === 'running' && status.pid !== pid ? status : undefined;
      },
      { description: 'the updated service running' },
    );

    expect(isProcessAlive(pid)).toBe(false);
    expect(readFileSync(`/proc/${next.pid}/environ`, 'utf8').split('\0')).toContain('CHANGED=1');
  });

  it('reports Zinit going away and coming back, resyncs, and emits nothing for services that did not change', async () => {
    const steady = await runningService();
    const victim = await runningService();
    const mark = events.length;

    await double.stopListening();
    await waitFor(() => backendEvents.some((e) => e.type === 'backend.unavailable'), {
      description: 'unavailable reported',
    });
    await expect(manager.status(steady.name)).rejects.toBeInstanceOf(BackendUnavailableError);
    // A real change while the client cannot see: the victim's process dies (Zinit respawns it 2 s later).
    process.kill(victim.pid, 'SIGKILL');
    await double.listen();
    await waitFor(() => backendEvents.some((e) => e.type === 'backend.restored'), {
      timeoutMs: 15_000,
      description: 'restored reported',
    });
    const respawned = await waitFor(
      () =>
        events
          .slice(mark)
          .find((e) => e.service === victim.name && e.type === 'process.running' && e.pid !== victim.pid),
      { timeoutMs: 15_000, description: 'the victim running again' },
    );

    const after = events.slice(mark);
    expect(after.filter((e) => e.service === steady.name)).toEqual([]);
    expect(after.filter((e) => e.service === victim.name).map((e) => e.type)).toEqual([
      'process.exited',
      'process.spawned',
      'process.running',
    ]);
    const exited = after.find((e) => e.type === 'process.exited') as Extract<ProcessEvent, { type: 'process.exited' }>;
    expect(exited.pid).toBe(victim.pid);
    // SIGKILL when the client reconnected within Zinit's 2 s restart delay; unknown (null) if it only saw the new pid.
    expect([null, 'SIGKILL']).toContain(exited.signal);
    expect(isProcessAlive((respawned as { pid: number }).pid)).toBe(true);
    expect(backendEvents.map((e) => e.type)).toEqual(['backend.unavailable', 'backend.restored']);
    expect(backendEvents[0]).toMatchObject({ socketPath: double.socketPath });
    expect((backendEvents[0] as { reason: string }).reason).toContain('Zinit');
  });

  it('survives a full Zinit restart on the same socket: reconnects, resyncs, reports the new processes once', async () => {
    // Socket and config dir outside the double's own temp dir, so a second double can reuse them.
    const home = mkdtempSync(join(tmpdir(), 'zinit-restart-'));
    mkdirSync(join(home, 'conf'));
    const options = { socketPath: join(home, 'zinit.sock'), configDir: join(home, 'conf') };
    await manager.close();
    await double.close();
    double = await start(options);
    extraCleanup.push(async () => rmSync(home, { recursive: true, force: true }));
    manager = new ZinitProcessManager(options);
    events = [];
    backendEvents = [];
    manager.subscribe((event) => events.push(event));
    manager.subscribeBackend((event) => backendEvents.push(event));
    const steady = await runningService();
    const mark = events.length;

    await double.close(); // Zinit and everything it ran are gone...
    await waitFor(() => backendEvents.some((e) => e.type === 'backend.unavailable'), {
      description: 'unavailable reported',
    });
    double = await start(options); // ...and a new Zinit loads the same config dir.
    const next = await waitFor(
      () => events.slice(mark).find((e) => e.service === steady.name && e.type === 'process.running'),
      { timeoutMs: 15_000, description: 'the service running under the new Zinit' },
    );

    expect((next as { pid: number }).pid).toBe(double.engine.pidOf(steady.name));
    expect(
      events
        .slice(mark)
        .filter((e) => e.service === steady.name)
        .map((e) => e.type),
    ).toEqual(['process.exited', 'process.spawned', 'process.running']);
    expect(backendEvents.map((e) => e.type)).toEqual(['backend.unavailable', 'backend.restored']);
  });

  it('stop escalates with `kill NAME SIGKILL` after the timeout when the process ignores SIGTERM', async () => {
    const ready = join(double.configDir, '..', `ready-${uniqueServiceName()}`);
    const name = uniqueServiceName();
    await manager.ensureService({ name, command: fixtureCommand('ignores-sigterm.js', ready), stopTimeoutMs: 300 });
    await manager.start(name);
    const pid = Number(
      await waitFor(() => (existsSync(ready) ? readFileSync(ready, 'utf8') : undefined), { description: 'ready' }),
    );

    await manager.stop(name);

    expect(isProcessAlive(pid)).toBe(false);
    expect(await manager.status(name)).toMatchObject({ state: 'stopped', pid: 0, target: 'down' });
    if (protocol === 'legacy') {
      // Legacy `stop` never escalates (03 [22]): the client must.
      const stopAt = double.requests.indexOf(`stop ${name}\n`);
      expect(stopAt).toBeGreaterThanOrEqual(0);
      expect(double.requests.indexOf(`kill ${name} SIGKILL\n`)).toBeGreaterThan(stopAt);
    }
  });

  it(`stats() ${protocol === 'jsonrpc' ? 'returns memory and CPU from service_stats' : 'is undefined: the legacy protocol has no stats'}`, async () => {
    const { name, pid } = await runningService();

    const stats = await manager.stats(name);

    if (protocol === 'jsonrpc') {
      expect(stats).toMatchObject({ name, pid });
      expect(stats?.memoryUsage).toBeGreaterThan(0);
      expect(stats?.cpuUsage).toBeGreaterThanOrEqual(0);
    } else {
      expect(stats).toBeUndefined();
    }
  });
});

describe('workers as an unprivileged user over Zinit (issue 8 item 10)', () => {
  let double: ZinitLegacyDouble;
  let manager: ZinitProcessManager;

  beforeEach(async () => {
    double = await ZinitLegacyDouble.start();
    manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir });
  });

  afterEach(async () => {
    await manager.close();
    await double.close();
  });

  it('runs the process with the spec uid/gid when Zinit runs as root (setpriv), and fails visibly otherwise', async () => {
    const name = uniqueServiceName();
    // 65534 is `nobody`/`nogroup` on Linux.
    await manager.ensureService({ name, command: fixtureCommand('sleeps-forever.js'), uid: 65534, gid: 65534 });

    await manager.start(name);
    const status = await waitFor(
      async () => {
        const current = await manager.status(name);
        return current.state === 'running' || current.state === 'error' ? current : undefined;
      },
      { description: `${name} running or failed` },
    );

    if (process.getuid?.() === 0) {
      expect(status.state).toBe('running');
      // Zinit reports Running right after the spawn; setpriv then changes ids and execs the worker.
      const ids = await waitFor(
        () => {
          const text = readFileSync(`/proc/${status.pid}/status`, 'utf8');
          return /^Name:\s+setpriv$/m.test(text) ? undefined : text;
        },
        { description: 'setpriv to exec the worker' },
      );
      expect(ids).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
      expect(ids).toMatch(/^Gid:\s+65534\s+65534\s+65534\s+65534$/m);
      expect(ids).toMatch(/^Groups:\s*$/m);
    } else {
      // Without root, setpriv cannot change ids: the worker exits instead of running with the wrong identity.
      expect(status.state).toBe('error');
    }
  });
});

describe('Zinit replaced by another version while the supervisor runs', () => {
  it.each([
    ['legacy', 'jsonrpc'],
    ['jsonrpc', 'legacy'],
  ] as const)(
    'detects the protocol again after an outage: %s Zinit replaced by a %s one on the same socket',
    async (before, after) => {
      const home = mkdtempSync(join(tmpdir(), 'zinit-upgrade-'));
      mkdirSync(join(home, 'conf'));
      const options = { socketPath: join(home, 'zinit.sock'), configDir: join(home, 'conf') };
      const startDouble = (protocol: 'legacy' | 'jsonrpc') =>
        protocol === 'legacy' ? ZinitLegacyDouble.start(options) : ZinitJsonRpcDouble.start(options);
      let double: AnyDouble = await startDouble(before);
      const manager = new ZinitProcessManager(options);
      const backendEvents: ZinitBackendEvent[] = [];
      manager.subscribeBackend((event) => backendEvents.push(event));
      try {
        expect(await manager.protocol()).toBe(before);

        await double.close();
        await waitFor(() => backendEvents.some((e) => e.type === 'backend.unavailable'), {
          description: 'unavailable',
        });
        double = await startDouble(after);
        const restored = await waitFor(() => backendEvents.find((e) => e.type === 'backend.restored'), {
          timeoutMs: 15_000,
          description: 'restored',
        });

        expect(restored).toMatchObject({ protocol: after });
        expect(await manager.protocol()).toBe(after);
        expect(await manager.list()).toEqual([]);
      } finally {
        await manager.close();
        await double.close();
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
