/**
 * TEST DOUBLE: the service engine shared by the Zinit doubles (zinit-legacy-double.ts, zinit-jsonrpc-double.ts).
 * It runs REAL child processes and plays Zinit's lifecycle as observed on v0.2.14 (the Zinit notes behind src/process/zinit/README.md):
 * services loaded from `<configDir>/<name>.yaml` on monitor, `after` blocking, `test` gating retried every 2 s,
 * oneshots, a fixed 2 s restart after ANY exit of a non-oneshot (no backoff, no limit), `stop` = target Down + the stop
 * signal to the process group and nothing more (no escalation), a `start` within the post-exit sleep only honoured
 * when the sleep ends, and the exact Rust `Debug` state strings. It is not Zinit; it is as close as the notes allow.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { splitShellWords } from '../../src/process/zinit/shell-words.js';

export interface ZinitDoubleOptions {
  configDir: string;
  /** Delay between an exit and the respawn of a non-oneshot. Real Zinit: 2000 (fixed). @defaultValue 2000 */
  restartDelayMs?: number;
  /** Delay between two runs of a failing `test`. Real Zinit: 2000. @defaultValue 2000 */
  testRetryMs?: number;
  /** Ring buffer capacity in lines (`zinit init -b`). @defaultValue 2000 */
  ringCapacity?: number;
}

/** Why an engine operation was refused; each front-end words it in its own protocol. */
export type DoubleErrorKind =
  | 'unknown-service'
  | 'already-monitored'
  | 'is-up'
  | 'is-down'
  | 'shutting-down'
  | 'invalid-signal'
  | 'load-failed';

export class DoubleError extends Error {
  constructor(
    readonly kind: DoubleErrorKind,
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}

interface ServiceConfig {
  exec: string;
  test?: string;
  oneshot: boolean;
  after: string[];
  env: Record<string, string>;
  dir: string;
  log: 'ring' | 'stdout' | 'none';
  stopSignal: NodeJS.Signals;
  shutdownTimeoutS: number;
}

export interface DoubleService {
  name: string;
  config: ServiceConfig;
  state: string;
  pid: number;
  target: 'Up' | 'Down';
  /** A watch loop is running (also during the post-exit sleep): `start` is then a no-op. */
  scheduled: boolean;
  forgotten: boolean;
}

export interface DoubleStatus {
  after: Record<string, string>;
  name: string;
  pid: number;
  state: string;
  target: 'Up' | 'Down';
}

/** What the real Zinit logs at each spawn, on the service's stderr channel. */
const START_MARKER = '------------ [start] ------------';
/**
 * A `test` that cannot be spawned is retried by Zinit in a tight loop (NOTES §5, CPU-heavy). The double waits this long
 * between tries so it does not burn a core of the test machine; the observable states are the same.
 */
const TEST_SPAWN_FAILURE_RETRY_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** nix `Signal::from_str(&s.to_uppercase())`: only `SIG*` names (`TERM` and `15` fail with EINVAL). */
export function parseSignalName(value: string): NodeJS.Signals | undefined {
  const upper = value.toUpperCase();
  return upper.startsWith('SIG') && upper in constants.signals ? (upper as NodeJS.Signals) : undefined;
}

function loadConfig(path: string): ServiceConfig {
  const doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a mapping');
  const { exec, test, oneshot, after, env, dir, log, signal, shutdown_timeout } = doc;
  if (typeof exec !== 'string') throw new Error('missing exec directive');
  if (test !== undefined && test !== null && typeof test !== 'string') throw new Error('bad test');
  if (oneshot !== undefined && typeof oneshot !== 'boolean') throw new Error('bad oneshot');
  if (after !== undefined && (!Array.isArray(after) || after.some((a) => typeof a !== 'string')))
    throw new Error('bad after');
  if (
    env !== undefined &&
    (typeof env !== 'object' || env === null || Object.values(env).some((v) => typeof v !== 'string'))
  ) {
    throw new Error('bad env');
  }
  if (dir !== undefined && typeof dir !== 'string') throw new Error('bad dir');
  // `log: null` fails to load on the real Zinit (03 [47]); only these three values exist.
  if (log !== undefined && log !== 'ring' && log !== 'stdout' && log !== 'none') throw new Error('bad log');
  let stopSignal: NodeJS.Signals = 'SIGTERM';
  if (signal !== undefined) {
    const stop = (signal as { stop?: unknown } | null)?.stop;
    if (stop !== undefined) {
      const parsed = typeof stop === 'string' ? parseSignalName(stop) : undefined;
      if (!parsed) throw new Error('bad signal');
      stopSignal = parsed;
    }
  }
  return {
    exec,
    ...(typeof test === 'string' ? { test } : {}),
    oneshot: oneshot === true,
    after: (after as string[] | undefined) ?? [],
    env: (env as Record<string, string> | undefined) ?? {},
    dir: typeof dir === 'string' && dir !== '' ? dir : '/',
    log: (log as ServiceConfig['log'] | undefined) ?? 'ring',
    stopSignal,
    shutdownTimeoutS: typeof shutdown_timeout === 'number' ? shutdown_timeout : 10,
  };
}

type Spawned =
  | { ok: true; child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }
  | { ok: false };

export class ZinitDoubleEngine {
  readonly configDir: string;
  readonly restartDelayMs: number;
  readonly testRetryMs: number;
  private readonly ringCapacity: number;
  private readonly services = new Map<string, DoubleService>();
  private readonly ring: string[] = [];
  private readonly logListeners = new Set<(line: string) => void>();
  private changeWaiters: (() => void)[] = [];
  /** Every process group the double created, so destroy() leaves nothing behind (orphans included). */
  private readonly groups = new Set<number>();
  private readonly children = new Map<number, ChildProcess>();
  shuttingDown = false;
  destroyed = false;

  constructor(options: ZinitDoubleOptions) {
    this.configDir = options.configDir;
    this.restartDelayMs = options.restartDelayMs ?? 2000;
    this.testRetryMs = options.testRetryMs ?? 2000;
    this.ringCapacity = options.ringCapacity ?? 2000;
  }

  // ---- table -----------------------------------------------------------------------------------------------------

  private get(name: string): DoubleService {
    const service = this.services.get(name);
    if (!service) throw new DoubleError('unknown-service', name, `service name ${JSON.stringify(name)} unknown`);
    return service;
  }

  has(name: string): boolean {
    return this.services.has(name);
  }

  /** Built with fromEntries (own data properties), so `__proto__` is a key like any other, as in Zinit's JSON. */
  list(): Record<string, string> {
    return Object.fromEntries(
      [...this.services.keys()].sort().map((name) => [name, (this.services.get(name) as DoubleService).state]),
    );
  }

  status(name: string): DoubleStatus {
    const service = this.get(name);
    const after: Record<string, string> = Object.fromEntries(
      [...service.config.after]
        .sort()
        .map((dependency) => [dependency, this.services.get(dependency)?.state ?? 'Unknown']),
    );
    // Field order = Zinit's (alphabetical on the wire).
    return { after, name: service.name, pid: service.pid, state: service.state, target: service.target };
  }

  /** True while the service's watch loop runs, including Zinit's 2 s post-exit sleep (a `start` is then delayed). */
  isScheduled(name: string): boolean {
    return this.services.get(name)?.scheduled ?? false;
  }

  /** The real pid of a service's current process (0 when none), for tests. */
  pidOf(name: string): number {
    return this.services.get(name)?.pid ?? 0;
  }

  // ---- commands --------------------------------------------------------------------------------------------------

  /** `monitor NAME`: loads NAME.yaml relative to the config dir; the registered name is the file stem. */
  monitor(requested: string): string {
    const path = resolve(this.configDir, `${requested}.yaml`);
    const name = basename(requested);
    let config: ServiceConfig;
    try {
      config = loadConfig(path);
    } catch {
      throw new DoubleError('load-failed', name, 'failed to load service config');
    }
    if (this.shuttingDown) throw new DoubleError('shutting-down', name, 'zinit is shutting down');
    if (this.services.has(name))
      throw new DoubleError('already-monitored', name, `service ${JSON.stringify(name)} already monitored`);
    const service: DoubleService = {
      name,
      config,
      state: 'Unknown',
      pid: 0,
      target: 'Up',
      scheduled: false,
      forgotten: false,
    };
    this.services.set(name, service);
    this.changed();
    void this.watch(service);
    return name;
  }

  /** `zinit init`: every regular `*.yaml` of the config dir; files that fail to load are skipped. */
  monitorAll(names: readonly string[]): void {
    for (const name of names) {
      try {
        this.monitor(name);
      } catch {
        // Zinit logs and skips a file that fails to load.
      }
    }
  }

  start(name: string): void {
    if (this.shuttingDown) throw new DoubleError('shutting-down', name, 'zinit is shutting down');
    const service = this.get(name);
    service.target = 'Up';
    void this.watch(service);
  }

  /** Legacy/v0.2.14 stop: target Down and the stop signal to the group; returns at once, never escalates. */
  stop(name: string): void {
    const service = this.get(name);
    service.target = 'Down';
    if (service.pid !== 0) this.signalGroup(service.pid, service.config.stopSignal);
  }

  /** v0.2.15+ `service_stop`: stop, wait `graceMs`, SIGKILL the group if the process is still there, poll 5×100 ms. */
  async stopAndEscalate(name: string, graceMs: number): Promise<void> {
    const service = this.get(name);
    const pid = service.pid;
    this.stop(name);
    if (pid === 0) return;
    await sleep(graceMs);
    if (service.pid === pid) this.signalGroup(pid, 'SIGKILL');
    for (let i = 0; i < 5 && service.pid === pid; i += 1) await sleep(100);
  }

  kill(name: string, signalName: string): void {
    const signal = parseSignalName(signalName);
    if (!signal) throw new DoubleError('invalid-signal', name, 'EINVAL: Invalid argument');
    const service = this.get(name);
    if (service.pid === 0) throw new DoubleError('is-down', name, `service ${JSON.stringify(name)} is down`);
    this.signalGroup(service.pid, signal);
  }

  forget(name: string): void {
    const service = this.get(name);
    if (service.target === 'Up' || service.pid !== 0)
      throw new DoubleError('is-up', name, `service ${JSON.stringify(name)} is up`);
    service.forgotten = true;
    this.services.delete(name);
    this.changed();
  }

  /** Container-mode shutdown: stop active services dependents first, each waited up to its shutdown_timeout. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const active = () => [...this.services.values()].filter((s) => s.state === 'Running' || s.state === 'Spawned');
    for (;;) {
      const running = active();
      if (running.length === 0) break;
      const leaves = running.filter((s) => !running.some((other) => other.config.after.includes(s.name)));
      for (const service of leaves.length > 0 ? leaves : running) {
        this.stop(service.name);
        const deadline = Date.now() + service.config.shutdownTimeoutS * 1000;
        while ((service.state === 'Running' || service.state === 'Spawned') && Date.now() < deadline) await sleep(20);
        // v0.2.14 never SIGKILLs at shutdown: a process ignoring the signal survives as an orphan.
        if (service.state === 'Running' || service.state === 'Spawned') service.state = 'Unknown';
      }
    }
  }

  // ---- logs ------------------------------------------------------------------------------------------------------

  logSnapshot(): string[] {
    return [...this.ring];
  }

  onLogLine(listener: (line: string) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  private log(line: string): void {
    this.ring.push(line);
    if (this.ring.length > this.ringCapacity) this.ring.shift();
    for (const listener of this.logListeners) listener(line);
  }

  // ---- the watch loop (NOTES §5) ---------------------------------------------------------------------------------

  private changed(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  /** A dependency is met when it runs and is not a oneshot, or succeeded. Missing → blocked until it is monitored. */
  private dependenciesMet(service: DoubleService): boolean {
    return service.config.after.every((name) => {
      const dependency = this.services.get(name);
      if (!dependency) return false;
      return (dependency.state === 'Running' && !dependency.config.oneshot) || dependency.state === 'Success';
    });
  }

  private isCurrent(service: DoubleService): boolean {
    return !service.forgotten && !this.destroyed;
  }

  /** Read through a call: the target changes while the watch loop awaits, which TypeScript's narrowing cannot see. */
  private isDown(service: DoubleService): boolean {
    return service.target === 'Down' || !this.isCurrent(service);
  }

  private async watch(service: DoubleService): Promise<void> {
    if (service.scheduled || this.isDown(service)) return;
    service.scheduled = true;
    try {
      for (;;) {
        while (!this.dependenciesMet(service)) {
          if (service.state !== 'Blocked') {
            service.state = 'Blocked';
            this.changed();
          }
          await this.nextChange();
          if (this.isDown(service)) return;
        }
        if (this.isDown(service)) return;
        const argv = splitShellWords(service.config.exec);
        const run =
          argv && argv.length > 0 ? await this.spawnLogged(service, argv, service.name) : ({ ok: false } as const);
        if (!run.ok) {
          // Spawn failure (missing binary, shlex failure): Failure, and the loop ends (no retry; `start` retries once).
          service.state = 'Failure';
          this.changed();
          return;
        }
        const pid = run.child.pid as number;
        service.pid = pid;
        service.state = service.config.oneshot || service.config.test === undefined ? 'Running' : 'Spawned';
        this.changed();
        let alive = true;
        if (!service.config.oneshot && service.config.test !== undefined) void this.testLoop(service, pid, () => alive);
        const { code, signal } = await run.exited;
        alive = false;
        service.pid = 0;
        service.state =
          signal !== null
            ? `Error(Signaled(Pid(${pid}), ${signal}, false))`
            : code === 0
              ? 'Success'
              : `Error(Exited(Pid(${pid}), ${code}))`;
        this.changed();
        if (service.config.oneshot) return;
        // The fixed post-exit sleep: the respawn comes 2 s after ANY exit, and a `start` meanwhile waits for it.
        await sleep(this.restartDelayMs);
        if (this.isDown(service)) return;
      }
    } finally {
      service.scheduled = false;
    }
  }

  private async testLoop(service: DoubleService, pid: number, alive: () => boolean): Promise<void> {
    const test = service.config.test as string;
    while (alive() && service.pid === pid && this.isCurrent(service)) {
      const argv = splitShellWords(test);
      const run =
        argv && argv.length > 0
          ? await this.spawnLogged(service, argv, `${service.name}/test`)
          : ({ ok: false } as const);
      if (!alive() || service.pid !== pid) return;
      if (!run.ok) {
        if (service.state !== 'TestFailure') {
          service.state = 'TestFailure';
          this.changed();
        }
        await sleep(TEST_SPAWN_FAILURE_RETRY_MS);
        continue;
      }
      const { code } = await run.exited;
      if (!alive() || service.pid !== pid) return;
      if (code === 0) {
        service.state = 'Running';
        this.changed();
        return;
      }
      await sleep(this.testRetryMs);
    }
  }

  /** Spawns without a shell, in a new process group (pgid = pid), with output into the ring as Zinit formats it. */
  private spawnLogged(service: DoubleService, argv: string[], logName: string): Promise<Spawned> {
    const { config } = service;
    return new Promise((resolvePromise) => {
      const output = config.log === 'ring' ? 'pipe' : config.log === 'stdout' ? 'inherit' : 'ignore';
      let child: ChildProcess;
      try {
        child = spawn(argv[0] as string, argv.slice(1), {
          cwd: config.dir,
          env: { ...process.env, ...config.env },
          detached: true,
          stdio: ['ignore', output, output],
        });
      } catch {
        resolvePromise({ ok: false });
        return;
      }
      child.once('error', () => resolvePromise({ ok: false }));
      child.once('spawn', () => {
        const pid = child.pid as number;
        this.groups.add(pid);
        this.children.set(pid, child);
        if (config.log === 'ring') {
          this.log(`[-] ${logName}: ${START_MARKER}`);
          this.pipeLines(child.stdout, (line) => this.log(`[+] ${logName}: ${line}`));
          this.pipeLines(child.stderr, (line) => this.log(`[-] ${logName}: ${line}`));
        }
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
          child.once('exit', (code, signal) => {
            this.children.delete(pid);
            done({ code, signal });
          }),
        );
        resolvePromise({ ok: true, child, exited });
      });
    });
  }

  private pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
    if (!stream) return;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    stream.on('end', () => {
      if (pending !== '') onLine(pending);
    });
  }

  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  /** Ends the double: SIGKILL every process group it ever created (orphans included). */
  destroy(): void {
    this.destroyed = true;
    for (const service of this.services.values()) service.target = 'Down';
    for (const pgid of this.groups) this.signalGroup(pgid, 'SIGKILL');
    this.changed();
  }
}
