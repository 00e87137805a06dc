/**
 * EmbeddedProcessManager: the default backend, needing nothing installed. Each service is a `child_process` started
 * without a shell as the leader of its own process group, so one signal to the group reaches its grandchildren.
 *
 * Lifecycle of a service (ServiceState):
 *   unknown ─start→ blocked (dependencies in `after` not met) → spawned → running (health check passed, or none)
 *   running ─exit→ success (code 0) | error (code ≠ 0 or a signal) ─restart policy→ spawned ...
 *   spawn impossible (ENOENT, EACCES) → failure (no retry); health check impossible → test-failure (retried)
 *   any ─stop→ stopped
 *
 * Exits come from the child's `exit` event (no polling). A non-oneshot service that exits on its own restarts
 * according to `spec.restart` (mode `always` by default, `backoffMs(attempt)` before the attempt-th automatic restart
 * since the last start()). When the leader exits on its own, what is left of its group is SIGKILLed: a service's
 * group never outlives its leader.
 *
 * Logs: each service keeps its last `logRingSize` lines; stdout lines as printed, stderr lines prefixed `[stderr] `.
 */
import type { Logger } from 'pino';
import {
  BackendUnavailableError,
  InvalidSpecError,
  ServiceNotStoppedError,
  UnknownServiceError,
} from '../../errors.js';
import { baseEnvironment } from '../base-environment.js';
import type { ProcessEvent, ProcessEventListener } from '../process-events.js';
import { isGroupAlive, signalGroup } from '../process-group.js';
import { isSameProcessAlive } from '../process-identity.js';
import {
  type LogOptions,
  type ProcessManager,
  resolveStopTimeoutMs,
  type ServiceSpec,
  type ServiceState,
  type ServiceStatus,
  type StopOptions,
} from '../process-manager.js';
import { describeValue, isSignalName, validateServiceSpec } from '../validate-spec.js';
import { stopWaves, unmetDependencies } from './dependency-gate.js';
import {
  type EmbeddedProcessManagerOptions,
  type ResolvedEmbeddedOptions,
  resolveEmbeddedOptions,
} from './embedded-options.js';
import { registerExitHook } from './exit-hook.js';
import { type HealthGate, startHealthGate } from './health-gate.js';
import { LogRing, splitLines } from './log-ring.js';
import { spawnChild } from './spawn-child.js';
import {
  type ChildRecord,
  type OrphanReport,
  readStateFile,
  readStateFileOwner,
  reapOrphans,
  writeStateFile,
} from './state-file.js';
import { terminateGroup } from './terminate-group.js';

type Child = Awaited<ReturnType<typeof spawnChild>>;

/** Everything the manager knows about one declared service. */
interface ServiceEntry {
  spec: ServiceSpec;
  state: ServiceState;
  target: 'up' | 'down';
  reason?: string;
  /** The live leader; undefined when no process runs. */
  child?: Child;
  /** Leader pid = process group id; 0 when no process runs. */
  pid: number;
  /** Resolves when the current child's `exit` event has fired. */
  exited?: Promise<void>;
  health?: HealthGate;
  restartTimer?: NodeJS.Timeout;
  /** Automatic restarts since the last start(); the argument of `restart.backoffMs`. */
  restartAttempt: number;
  launching?: Promise<void>;
  stopping?: Promise<void>;
  /** Set while stop() owns the child's end: its exit then means `stopped`, not a crash. */
  stopRequested: boolean;
  /** The `waitingFor` of the last `process.blocked` event, to emit only on change. */
  blockedOn?: string;
  logs: LogRing;
}

/** States in which a service holds or is about to hold a process: remove() refuses them. */
const ACTIVE_STATES: ReadonlySet<ServiceState> = new Set(['blocked', 'spawned', 'running', 'test-failure']);

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exited with code ${code}` : `killed by signal ${signal}`;
}

export class EmbeddedProcessManager implements ProcessManager {
  readonly #options: ResolvedEmbeddedOptions;
  readonly #logger: Logger | undefined;
  readonly #services = new Map<string, ServiceEntry>();
  readonly #listeners = new Set<ProcessEventListener>();
  /** Running children by pid, mirrored into the state file. */
  readonly #records = new Map<number, ChildRecord>();
  readonly #reaping: Promise<OrphanReport[]>;
  /** Set when the state file was written by another supervisor that still runs. */
  #stateFileOwner: number | undefined;
  readonly #unregisterExitHook: () => void;
  #closing: Promise<void> | undefined;

  constructor(options: EmbeddedProcessManagerOptions = {}) {
    this.#options = resolveEmbeddedOptions(options);
    this.#logger = this.#options.logger?.child({ component: 'embedded-process-manager' });
    this.#reaping = this.#reapPreviousChildren();
    this.#unregisterExitHook = registerExitHook({ killAllSync: () => this.#killAllSync() });
  }

  /** A child's environment: the base (never the supervisor's whole environment, which holds its secrets) + the spec's. */
  #childEnv(spec: ServiceSpec): NodeJS.ProcessEnv {
    return { ...(this.#options.baseEnv ?? baseEnvironment()), ...spec.env };
  }

  // ---- declaration -------------------------------------------------------------------------------

  async ensureService(spec: ServiceSpec): Promise<void> {
    this.#assertOpen();
    validateServiceSpec(spec);
    const copy: ServiceSpec = {
      ...spec,
      command: [...spec.command],
      ...(spec.env === undefined ? {} : { env: { ...spec.env } }),
      ...(spec.healthCheck === undefined ? {} : { healthCheck: [...spec.healthCheck] }),
      ...(spec.after === undefined ? {} : { after: [...spec.after] }),
      ...(spec.restart === undefined ? {} : { restart: { ...spec.restart } }),
    };
    const existing = this.#services.get(spec.name);
    if (existing) {
      // Applies from the next spawn; a running process is left as it is.
      existing.spec = copy;
      return;
    }
    this.#services.set(spec.name, {
      spec: copy,
      state: 'unknown',
      target: 'down',
      pid: 0,
      restartAttempt: 0,
      stopRequested: false,
      logs: new LogRing(this.#options.logRingSize),
    });
  }

  async remove(name: string): Promise<void> {
    const entry = this.#get(name);
    if (entry.pid !== 0 || entry.launching || entry.stopping || entry.restartTimer || ACTIVE_STATES.has(entry.state)) {
      throw new ServiceNotStoppedError(name, entry.pid === 0 ? entry.state : `${entry.state} (pid ${entry.pid})`);
    }
    entry.logs.close();
    this.#services.delete(name);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /**
   * Starts the service, or marks it blocked until its dependencies are met. Resolves once the process has spawned
   * (or is blocked); rejects with SpawnError when the binary cannot be started. A no-op when it already runs.
   */
  async start(name: string): Promise<void> {
    this.#assertOpen();
    const entry = this.#get(name);
    await this.#reaping;
    if (this.#stateFileOwner !== undefined) {
      throw new BackendUnavailableError(
        `The state file ${this.#options.stateFile} belongs to a running supervisor (pid ${this.#stateFileOwner}): ` +
          'this process manager starts nothing. Stop that supervisor, or give this one its own stateFile.',
      );
    }
    if (entry.stopping) await entry.stopping;
    this.#assertOpen();
    entry.target = 'up';
    entry.restartAttempt = 0;
    clearTimeout(entry.restartTimer);
    entry.restartTimer = undefined;
    if (entry.launching) return entry.launching;
    if (entry.pid !== 0) return;
    return this.#launch(entry);
  }

  stop(name: string, options: StopOptions = {}): Promise<void> {
    let entry: ServiceEntry;
    try {
      entry = this.#get(name);
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal ?? entry.spec.stopSignal ?? this.#options.defaultStopSignal;
    const timeoutMs = resolveStopTimeoutMs(options, entry.spec, this.#options.defaultStopTimeoutMs);
    if (!isSignalName(signal)) {
      return Promise.reject(
        new InvalidSpecError(
          'signal',
          `Expected \`signal\` to be a signal name such as SIGTERM, got ${describeValue(signal)}.`,
        ),
      );
    }
    entry.target = 'down';
    clearTimeout(entry.restartTimer);
    entry.restartTimer = undefined;
    entry.stopping ??= this.#stopEntry(entry, signal, timeoutMs).finally(() => {
      entry.stopping = undefined;
    });
    return entry.stopping;
  }

  async restart(name: string): Promise<void> {
    await this.stop(name);
    await this.start(name);
  }

  /** Sends `signal` to the service's process group. Does nothing when no process runs. */
  async kill(name: string, signal: NodeJS.Signals): Promise<void> {
    const entry = this.#get(name);
    if (!isSignalName(signal)) {
      throw new InvalidSpecError(
        'signal',
        `Expected \`signal\` to be a signal name such as SIGTERM, got ${describeValue(signal)}.`,
      );
    }
    if (entry.pid !== 0) signalGroup(entry.pid, signal);
  }

  // ---- inspection --------------------------------------------------------------------------------

  async status(name: string): Promise<ServiceStatus> {
    return this.#toStatus(this.#get(name));
  }

  async list(): Promise<ServiceStatus[]> {
    return [...this.#services.values()].map((entry) => this.#toStatus(entry));
  }

  /**
   * The service's captured output: stdout lines as printed, stderr lines prefixed `[stderr] `. Without `follow` it
   * ends after the lines already captured; with `follow` it waits for new lines until the iterator is returned, the
   * service is removed or the manager closed. Throws UnknownServiceError at once for an undeclared service.
   */
  logs(name: string, options: LogOptions = {}): AsyncIterable<string> {
    return this.#get(name).logs.read(options);
  }

  /** The outcome of reaping the previous supervisor's children recorded in `stateFile` (done once, at construction). */
  reapOrphans(): Promise<OrphanReport[]> {
    return this.#reaping;
  }

  // ---- events ------------------------------------------------------------------------------------

  subscribe(listener: ProcessEventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops every service, dependents before their dependencies, then resolves. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  // ---- internals: starting -----------------------------------------------------------------------

  #launch(entry: ServiceEntry): Promise<void> {
    if (entry.target !== 'up' || entry.pid !== 0 || this.#closing) return Promise.resolve();
    if (entry.launching) return entry.launching;
    const waitingFor = unmetDependencies(entry.spec.after ?? [], (dependency) => {
      const found = this.#services.get(dependency);
      return found && { state: found.state, oneshot: found.spec.oneshot === true };
    });
    if (waitingFor.length > 0) {
      const key = waitingFor.join(',');
      if (entry.state !== 'blocked' || entry.blockedOn !== key) {
        entry.state = 'blocked';
        entry.blockedOn = key;
        entry.reason = `waiting for ${waitingFor.join(', ')}`;
        this.#emit({ type: 'process.blocked', service: entry.spec.name, waitingFor, at: this.#options.now() });
      }
      return Promise.resolve();
    }
    entry.blockedOn = undefined;
    entry.launching = this.#spawn(entry).finally(() => {
      entry.launching = undefined;
    });
    return entry.launching;
  }

  async #spawn(entry: ServiceEntry): Promise<void> {
    const { spec } = entry;
    const service = spec.name;
    let child: Child;
    try {
      child = await spawnChild({
        service,
        argv: spec.command,
        cwd: spec.cwd,
        env: this.#childEnv(spec),
        uid: spec.uid,
        gid: spec.gid,
        output: 'pipe',
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      entry.state = 'failure';
      entry.reason = reason;
      this.#logger?.error({ service, reason }, 'service could not be spawned');
      this.#emit({ type: 'process.spawnFailed', service, reason, at: this.#options.now() });
      throw error;
    }
    const pid = child.pid;
    entry.child = child;
    entry.pid = pid;
    entry.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#onExit(entry, child, code, signal);
        resolve();
      });
    });
    if (child.stdout) splitLines(child.stdout, (line) => this.#recordOutput(entry, 'stdout', line));
    if (child.stderr) splitLines(child.stderr, (line) => this.#recordOutput(entry, 'stderr', line));
    this.#rememberChild({ name: service, pid, pgid: pid, startedAt: this.#options.now(), command: [...spec.command] });
    entry.state = 'spawned';
    entry.reason = undefined;
    this.#logger?.info({ service, pid }, 'service spawned');
    this.#emit({ type: 'process.spawned', service, pid, at: this.#options.now() });
    if (spec.healthCheck === undefined) {
      this.#markRunning(entry, child);
      return;
    }
    entry.health = startHealthGate({
      service,
      argv: spec.healthCheck,
      cwd: spec.cwd,
      env: this.#childEnv(spec),
      uid: spec.uid,
      gid: spec.gid,
      intervalMs: this.#options.healthCheckIntervalMs,
      checkTimeoutMs: this.#options.healthCheckTimeoutMs,
      onPass: () => this.#markRunning(entry, child),
      onCannotRun: (reason) => {
        // Reported once per failing streak (like a state change), not on every retry.
        if (entry.child !== child || entry.state === 'test-failure') return;
        entry.state = 'test-failure';
        entry.reason = reason;
        this.#logger?.warn({ service, reason }, 'health check could not run');
        this.#emit({ type: 'process.healthFailed', service, reason, at: this.#options.now() });
      },
      onFail: (reason) => {
        if (entry.child !== child) return;
        // The check runs again (it had not been able to start): back to waiting for it to pass.
        entry.state = 'spawned';
        entry.reason = reason;
      },
    });
  }

  #markRunning(entry: ServiceEntry, child: Child): void {
    if (entry.child !== child) return;
    entry.health = undefined;
    entry.state = 'running';
    entry.reason = undefined;
    this.#emit({ type: 'process.running', service: entry.spec.name, pid: child.pid, at: this.#options.now() });
    this.#unblockDependents(entry.spec.name);
  }

  /** Re-checks the services blocked on `name`, after its state changed. */
  #unblockDependents(name: string): void {
    for (const candidate of this.#services.values()) {
      if (candidate.state !== 'blocked' || !candidate.spec.after?.includes(name)) continue;
      this.#launch(candidate).catch(() => {
        // Already reported as process.spawnFailed; nobody awaits this start.
      });
    }
  }

  #recordOutput(entry: ServiceEntry, stream: 'stdout' | 'stderr', line: string): void {
    entry.logs.push(stream === 'stderr' ? `[stderr] ${line}` : line);
    if (!this.#options.forwardOutput || !this.#logger) return;
    if (stream === 'stderr') this.#logger.warn({ service: entry.spec.name, stream }, line);
    else this.#logger.info({ service: entry.spec.name, stream }, line);
  }

  // ---- internals: exits and restarts -------------------------------------------------------------

  #onExit(entry: ServiceEntry, child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (entry.child !== child) return;
    const { pid } = child;
    const service = entry.spec.name;
    entry.health?.cancel();
    entry.health = undefined;
    entry.child = undefined;
    entry.pid = 0;
    this.#forgetChild(pid);
    if (!entry.stopRequested) this.#killLeftovers(service, pid);
    this.#logger?.info({ service, pid, code, signal }, 'service exited');
    this.#emit({ type: 'process.exited', service, pid, code, signal, at: this.#options.now() });
    // stop() owns this exit and reports `stopped` once the whole group is gone.
    if (entry.stopRequested) return;
    const succeeded = code === 0 && signal === null;
    entry.state = succeeded ? 'success' : 'error';
    entry.reason = succeeded ? undefined : describeExit(code, signal);
    this.#unblockDependents(service);
    if (!entry.spec.oneshot && entry.target === 'up' && this.#shouldRestart(entry, succeeded))
      this.#scheduleRestart(entry);
  }

  /** The group must not outlive its leader: members it left behind (forked and forgotten) are ended. */
  #killLeftovers(service: string, pgid: number): void {
    try {
      if (!isGroupAlive(pgid)) return;
      signalGroup(pgid, 'SIGKILL');
      this.#logger?.warn({ service, pgid }, 'killed processes left in the group of an exited service');
    } catch (error) {
      this.#logger?.error({ service, pgid, err: error }, 'could not end the group of an exited service');
    }
  }

  #shouldRestart(entry: ServiceEntry, succeeded: boolean): boolean {
    const mode = entry.spec.restart?.mode ?? 'always';
    return mode === 'always' || (mode === 'on-failure' && !succeeded);
  }

  #scheduleRestart(entry: ServiceEntry): void {
    entry.restartAttempt += 1;
    const attempt = entry.restartAttempt;
    const requested = Number(entry.spec.restart?.backoffMs?.(attempt) ?? 0);
    const delayMs = Number.isFinite(requested) && requested > 0 ? requested : 0;
    this.#logger?.info({ service: entry.spec.name, attempt, delayMs }, 'service restart scheduled');
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      this.#launch(entry).catch(() => {
        // Reported as process.spawnFailed; the service stays in `failure`.
      });
    }, delayMs);
  }

  // ---- internals: stopping -----------------------------------------------------------------------

  async #stopEntry(entry: ServiceEntry, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    if (entry.launching) await entry.launching.catch(() => undefined);
    entry.health?.cancel();
    entry.health = undefined;
    const service = entry.spec.name;
    const { child, exited } = entry;
    if (child === undefined || exited === undefined) {
      // No process, but maybe a pending restart (error, failure, a non-oneshot success): a stop ends all of it.
      const settledOneshot = entry.state === 'success' && entry.spec.oneshot === true;
      if (entry.state !== 'unknown' && entry.state !== 'stopped' && !settledOneshot) {
        entry.state = 'stopped';
        entry.reason = undefined;
        entry.blockedOn = undefined;
        this.#emit({ type: 'process.stopped', service, at: this.#options.now() });
      }
      return;
    }
    entry.stopRequested = true;
    try {
      const outcome = await terminateGroup({ pgid: child.pid, leaderExited: exited, signal, timeoutMs });
      if (outcome.forced)
        this.#logger?.warn({ service, pid: child.pid, signal, timeoutMs }, 'service ignored its stop signal: killed');
      if (!outcome.groupGone) this.#logger?.error({ service, pgid: child.pid }, 'process group survived SIGKILL');
    } finally {
      entry.stopRequested = false;
    }
    entry.state = 'stopped';
    entry.reason = undefined;
    this.#logger?.info({ service }, 'service stopped');
    this.#emit({ type: 'process.stopped', service, at: this.#options.now() });
  }

  async #shutdown(): Promise<void> {
    for (const entry of this.#services.values()) {
      entry.target = 'down';
      clearTimeout(entry.restartTimer);
      entry.restartTimer = undefined;
    }
    const waves = stopWaves(new Map([...this.#services].map(([name, entry]) => [name, entry.spec.after ?? []])));
    for (const wave of waves) {
      await Promise.all(
        wave.map((name) =>
          this.stop(name).catch((error: unknown) =>
            this.#logger?.error({ service: name, err: error }, 'could not stop service on close'),
          ),
        ),
      );
    }
    for (const entry of this.#services.values()) entry.logs.close();
    this.#unregisterExitHook();
    this.#writeStateFile();
    this.#listeners.clear();
  }

  /** The process is exiting: SIGKILL every group now, synchronously (called by the shared exit hook). */
  #killAllSync(): void {
    for (const entry of this.#services.values()) {
      if (entry.pid === 0) continue;
      try {
        signalGroup(entry.pid, 'SIGKILL');
      } catch {
        // Keep going: the other groups matter more than a report nobody will read.
      }
    }
    this.#records.clear();
    this.#writeStateFile();
  }

  // ---- internals: state file ---------------------------------------------------------------------

  async #reapPreviousChildren(): Promise<OrphanReport[]> {
    const { stateFile } = this.#options;
    if (stateFile === undefined) return [];
    const owner = readStateFileOwner(stateFile);
    if (owner !== undefined && owner.pid !== process.pid && isSameProcessAlive(owner)) {
      // Its supervisor still runs: those children are not orphans, and the file is not ours to rewrite.
      this.#stateFileOwner = owner.pid;
      this.#logger?.error({ stateFile, supervisorPid: owner.pid }, 'the state file belongs to a running supervisor');
      return [];
    }
    try {
      const reports = await reapOrphans(readStateFile(stateFile), this.#options.orphanStopTimeoutMs);
      for (const report of reports) {
        if (report.outcome === 'terminated' || report.outcome === 'killed') {
          this.#logger?.warn(report, 'ended a child left running by a previous supervisor');
        }
      }
      this.#writeStateFile();
      return reports;
    } catch (error) {
      this.#logger?.error({ stateFile, err: error }, 'could not reap the children recorded in the state file');
      return [];
    }
  }

  #rememberChild(record: ChildRecord): void {
    this.#records.set(record.pid, record);
    this.#writeStateFile();
  }

  #forgetChild(pid: number): void {
    if (this.#records.delete(pid)) this.#writeStateFile();
  }

  #writeStateFile(): void {
    const { stateFile } = this.#options;
    if (stateFile === undefined || this.#stateFileOwner !== undefined) return;
    try {
      writeStateFile(stateFile, [...this.#records.values()]);
    } catch (error) {
      this.#logger?.error({ stateFile, err: error }, 'could not write the state file');
    }
  }

  // ---- internals: helpers ------------------------------------------------------------------------

  #get(name: string): ServiceEntry {
    const entry = this.#services.get(name);
    if (entry === undefined) throw new UnknownServiceError(name);
    return entry;
  }

  #assertOpen(): void {
    if (this.#closing) {
      throw new BackendUnavailableError(
        'This EmbeddedProcessManager is closed: create a new one to manage services again.',
      );
    }
  }

  #toStatus(entry: ServiceEntry): ServiceStatus {
    const dependencies: Record<string, ServiceState> = {};
    for (const dependency of entry.spec.after ?? []) {
      dependencies[dependency] = this.#services.get(dependency)?.state ?? 'unknown';
    }
    return {
      name: entry.spec.name,
      state: entry.state,
      pid: entry.pid,
      target: entry.target,
      dependencies,
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    };
  }

  #emit(event: ProcessEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger?.error({ err: error, event: event.type }, 'process event listener threw');
      }
    }
  }
}
