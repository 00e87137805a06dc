/**
 * ZinitProcessManager: the ProcessManager contract over a running Zinit, in either protocol (detected once per
 * socket, cached). All wire details live in the client classes (zinit-client.ts); this file holds the logic:
 *
 * - Declaring is separate from starting: ensureService() writes the config (legacy: `<name>.yaml` in `configDir`,
 *   atomically; JSON-RPC: `service_create`). start() then `monitor`s it (which is what makes Zinit run it), or `start`s a
 *   service Zinit already monitors. An identical config for a service Zinit already runs is a no-op, so a restarted
 *   supervisor adopts running workers instead of restarting them.
 * - Zinit pushes nothing: ONE `list` per poll interval for all services is diffed against the last known states; only a
 *   service whose state string changed gets a `status` call (for its pid). Unchanged services never produce events, also
 *   across a Zinit restart or a lost socket: after reconnecting, one `list` resyncs.
 * - stop(): `stop`, then poll `status` until pid 0; `kill NAME SIGKILL` after the timeout (legacy Zinit never escalates).
 * - Zinit restarts every non-oneshot service a fixed 2 s after any exit. `restart.mode` `never`/`on-failure` is emulated
 *   by sending `stop` during those 2 s (target Down, no process, so no signal): the service stays down until start().
 *
 * Pitfall (NOTES §13): a `start` within 2 s of an exit only takes effect when Zinit's post-exit sleep ends, so
 * restart() (stop, wait for pid 0 and target Down, start) can take up to about 2 s before the new process appears.
 */
import type { Logger } from 'pino';
import {
  BackendUnavailableError,
  ConfigError,
  InvalidSpecError,
  ServiceNotStoppedError,
  UnknownServiceError,
  ZinitCommandError,
  ZinitProtocolError,
} from '../../errors.js';
import type { ProcessEvent, ProcessEventListener } from '../process-events.js';
import type {
  LogOptions,
  ProcessManager,
  ServiceSpec,
  ServiceState,
  ServiceStatus,
  StopOptions,
} from '../process-manager.js';
import { isSignalName, validateServiceSpec } from '../validate-spec.js';
import { protocolOf, type ZinitProtocol } from './detect-protocol.js';
import { toZinitServiceConfig } from './service-yaml.js';
import {
  JsonRpcZinitClient,
  LegacyZinitClient,
  type ZinitClient,
  type ZinitRawStatus,
  type ZinitServiceStats,
} from './zinit-client.js';
import { parseZinitState } from './zinit-state.js';

export interface ZinitProcessManagerOptions {
  /** Zinit's Unix socket: `/var/run/zinit.sock` (≤ v0.2.14) or `/tmp/zinit.sock` (≥ v0.2.15). Absolute path. */
  socketPath: string;
  /** The directory Zinit loads service files from (`zinit init -c DIR`, default `/etc/zinit`). Used by the legacy protocol. */
  configDir: string;
  /** How often ONE `list` is sent to observe every service. @defaultValue 250 */
  pollIntervalMs?: number;
  /** @defaultValue 'auto' (detected once per socket, as zinit-client does) */
  protocol?: 'auto' | ZinitProtocol;
  logger?: Logger;
}

/** The client's view of Zinit itself: lost (socket gone, refused, closed) and back (reconnected and resynced). */
export type ZinitBackendEvent =
  | { type: 'backend.unavailable'; socketPath: string; reason: string; at: number }
  | { type: 'backend.restored'; socketPath: string; protocol: ZinitProtocol; at: number };

export const DEFAULT_POLL_INTERVAL_MS = 250;
/** Default of ServiceSpec.stopTimeoutMs. */
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** How often stop() asks `status` while it waits for pid 0: a stop should not wait a whole poll interval. */
const STOP_POLL_INTERVAL_MS = 50;
/** After SIGKILL the kernel ends the process at once; 5 s only guards against a stuck (D-state) process. */
const KILL_CONFIRM_TIMEOUT_MS = 5_000;
/** restart() waits for the new process at most Zinit's 2 s post-exit sleep plus margin, then returns anyway. */
const RESTART_SETTLE_TIMEOUT_MS = 5_000;
/** While Zinit is unreachable the poller backs off, doubling from the poll interval up to this. */
const RESYNC_BACKOFF_MAX_MS = 2_000;

/** Zinit sleeps this long after a service exited before it respawns it (its own fixed delay, v0.2.14 and newer). */
const ZINIT_RESPAWN_DELAY_MS = 2_000;

/** Zinit uses the name as a file stem and refuses `.`, `/` and `\` (NOTES §3.2, §14). */
const ZINIT_FORBIDDEN_NAME_CHARS = /[./\\]/;

function validateSocketPath(socketPath: unknown): string {
  if (typeof socketPath !== 'string' || socketPath.length === 0) {
    throw new ConfigError(
      `Expected \`socketPath\` to be the absolute path of Zinit's socket (e.g. /var/run/zinit.sock), got ${JSON.stringify(socketPath)}.`,
    );
  }
  if (socketPath.includes('\0')) {
    throw new ConfigError('Expected `socketPath` to be a path without NUL characters.');
  }
  if (!socketPath.startsWith('/')) {
    throw new ConfigError(
      `Expected \`socketPath\` to be an absolute path (e.g. /var/run/zinit.sock), got ${JSON.stringify(socketPath)}.`,
    );
  }
  return socketPath;
}

/** Refuses what Zinit would reject, before anything is written. The shared validation already covers most of it. */
function assertZinitServiceName(name: string, field = 'name'): void {
  if (ZINIT_FORBIDDEN_NAME_CHARS.test(name)) {
    throw new InvalidSpecError(
      field,
      `Expected \`${field}\` without \`.\`, \`/\` or \`\\\` (Zinit refuses them), got ${JSON.stringify(name)}.`,
    );
  }
}

/** What the poller last saw of one service, and which events it already emitted for it. */
interface Observed {
  raw: string;
  /** pid for which `process.spawned` was emitted. */
  spawnedPid: number;
  /** pid for which `process.running` was emitted. */
  runningPid: number;
  /** pid whose exit was emitted (-1: none). */
  exitedPid: number;
  stoppedReported: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ZinitProcessManager implements ProcessManager {
  readonly socketPath: string;
  readonly configDir: string;
  readonly pollIntervalMs: number;
  private readonly protocolOption: 'auto' | ZinitProtocol;
  private readonly logger: Logger | undefined;

  private clientPromise: Promise<ZinitClient> | undefined;
  /** Specs declared through this manager (a restarted supervisor re-declares them). */
  private readonly specs = new Map<string, ServiceSpec>();
  private readonly observed = new Map<string, Observed>();
  /** Services held down after an exit because their restart mode says so (Zinit would restart them). */
  private readonly heldDown = new Set<string>();
  private readonly listeners = new Set<ProcessEventListener>();
  private readonly backendListeners = new Set<(event: ZinitBackendEvent) => void>();
  /** Serialises the poller and stop()'s refresh so one change is never emitted twice. */
  private syncChain: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private pollFailures = 0;
  private baselineDone = false;
  private unavailable = false;
  private closing: Promise<void> | undefined;
  /** Set when the cached protocol may be stale (garbage reply): the next connect detects again. */
  private redetect = false;

  constructor(options: ZinitProcessManagerOptions) {
    this.socketPath = validateSocketPath(options?.socketPath);
    if (
      typeof options.configDir !== 'string' ||
      !options.configDir.startsWith('/') ||
      options.configDir.includes('\0')
    ) {
      throw new ConfigError(
        `Expected \`configDir\` to be the absolute path of Zinit's config directory (e.g. /etc/zinit), got ${JSON.stringify(options.configDir)}.`,
      );
    }
    this.configDir = options.configDir;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!Number.isFinite(this.pollIntervalMs) || this.pollIntervalMs <= 0) {
      throw new ConfigError(
        `Expected \`pollIntervalMs\` to be a positive number of ms, got ${String(options.pollIntervalMs)}.`,
      );
    }
    this.protocolOption = options.protocol ?? 'auto';
    if (!['auto', 'legacy', 'jsonrpc'].includes(this.protocolOption)) {
      throw new ConfigError(
        `Expected \`protocol\` to be 'auto', 'legacy' or 'jsonrpc', got ${JSON.stringify(options.protocol)}.`,
      );
    }
    this.logger = options.logger?.child({ backend: 'zinit', socketPath: this.socketPath });
  }

  // ---- connection ------------------------------------------------------------------------------------------------

  /** The protocol in use (detects it on first use). */
  async protocol(): Promise<ZinitProtocol> {
    return (await this.client()).protocol;
  }

  private client(): Promise<ZinitClient> {
    if (this.closing) return Promise.reject(new BackendUnavailableError('The Zinit process manager was closed.'));
    if (!this.clientPromise) {
      this.clientPromise = this.connect().catch((error: unknown) => {
        this.clientPromise = undefined;
        throw error;
      });
    }
    return this.clientPromise;
  }

  private async connect(): Promise<ZinitClient> {
    const refresh = this.redetect;
    this.redetect = false;
    const protocol =
      this.protocolOption === 'auto' ? await protocolOf(this.socketPath, { refresh }) : this.protocolOption;
    this.logger?.debug({ protocol }, 'zinit protocol selected');
    return protocol === 'legacy'
      ? new LegacyZinitClient(this.socketPath, this.configDir)
      : new JsonRpcZinitClient(this.socketPath);
  }

  /** Runs one operation; a lost Zinit is reported (once per outage) and rethrown. */
  private async call<T>(operation: (client: ZinitClient) => Promise<T>): Promise<T> {
    const client = await this.client().catch((error: unknown) => {
      if (error instanceof BackendUnavailableError) this.noteUnavailable(error);
      throw error;
    });
    try {
      const result = await operation(client);
      // Without a poller nobody resyncs; a successful call is then enough to say Zinit is back.
      if (this.unavailable && !this.pollTimer) {
        this.unavailable = false;
        this.emitBackend({
          type: 'backend.restored',
          socketPath: this.socketPath,
          protocol: client.protocol,
          at: Date.now(),
        });
      }
      return result;
    } catch (error) {
      if (error instanceof BackendUnavailableError) this.noteUnavailable(error);
      else if (error instanceof ZinitProtocolError && !(error instanceof ZinitCommandError)) {
        // Garbage instead of a reply: maybe a different Zinit version now listens there. Detect again next time.
        this.dropClient(client);
      }
      throw error;
    }
  }

  private dropClient(client: ZinitClient): void {
    client.close();
    this.clientPromise = undefined;
    this.redetect = true;
  }

  private noteUnavailable(error: unknown): void {
    if (this.unavailable || this.closing) return;
    this.unavailable = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger?.warn({ err: error }, 'zinit unreachable; will reconnect and resync');
    this.emitBackend({ type: 'backend.unavailable', socketPath: this.socketPath, reason, at: Date.now() });
  }

  /** After an outage: detect the protocol again (Zinit may have been upgraded), then the caller resyncs with `list`. */
  private async noteRestored(): Promise<void> {
    this.unavailable = false;
    if (this.protocolOption === 'auto' && this.clientPromise) {
      const current = await this.clientPromise;
      const detected = await protocolOf(this.socketPath, { refresh: true }).catch(() => current.protocol);
      if (detected !== current.protocol) {
        this.dropClient(current);
        this.redetect = false; // just detected: the cache holds the new protocol
      }
    }
    const protocol = await this.protocol();
    this.logger?.info({ protocol }, 'zinit reachable again; resynced');
    this.emitBackend({ type: 'backend.restored', socketPath: this.socketPath, protocol, at: Date.now() });
  }

  /** Listens to Zinit going away and coming back. Returns an unsubscribe function. */
  subscribeBackend(listener: (event: ZinitBackendEvent) => void): () => void {
    this.backendListeners.add(listener);
    this.ensurePolling();
    return () => this.backendListeners.delete(listener);
  }

  /** True while the last attempt to reach Zinit failed. */
  /**
   * Zinit respawns a service a fixed 2 s after it exited; the exit may be seen one poll late and the respawn one
   * poll after that. Finding F7 in test/faults/README.md.
   */
  get respawnGraceMs(): number {
    return ZINIT_RESPAWN_DELAY_MS + 2 * this.pollIntervalMs;
  }

  get isUnavailable(): boolean {
    return this.unavailable;
  }

  private emitBackend(event: ZinitBackendEvent): void {
    for (const listener of this.backendListeners) listener(event);
  }

  // ---- declaration -----------------------------------------------------------------------------------------------

  async ensureService(spec: ServiceSpec): Promise<void> {
    // Everything is checked before anything is written.
    validateServiceSpec(spec);
    assertZinitServiceName(spec.name);
    for (const [index, dependency] of (spec.after ?? []).entries())
      assertZinitServiceName(dependency, `after[${index}]`);
    const config = toZinitServiceConfig(spec);
    const name = spec.name;
    const listed = await this.call((client) => client.list());
    if (listed.has(name)) {
      if (await this.call((client) => client.configMatches(name, config))) {
        this.specs.set(name, spec);
        return;
      }
      // Zinit reads a config only at monitor time: stop → forget → rewrite → monitor (if it was up).
      const before = await this.call((client) => client.status(name));
      const wasUp = before.target === 'Up';
      if (before.pid !== 0 || wasUp)
        await this.stop(name, { timeoutMs: this.specs.get(name)?.stopTimeoutMs ?? spec.stopTimeoutMs });
      await this.call((client) => client.forget(name));
      this.observed.delete(name);
      await this.writeConfig(name, config);
      this.specs.set(name, spec);
      if (wasUp) await this.call((client) => client.monitor(name));
      return;
    }
    await this.writeConfig(name, config);
    this.specs.set(name, spec);
    this.ensurePolling();
  }

  private async writeConfig(name: string, config: ReturnType<typeof toZinitServiceConfig>): Promise<void> {
    try {
      await this.call((client) => client.writeConfig(name, config));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      throw new ConfigError(
        `Cannot write the Zinit service file for "${name}" into ${this.configDir} (${code}). It must be the directory zinit loads (zinit init -c DIR) and writable by the supervisor.`,
        [],
        { cause: error },
      );
    }
  }

  async remove(name: string): Promise<void> {
    const raw = await this.rawStatus(name);
    if (raw) {
      if (raw.pid !== 0) throw new ServiceNotStoppedError(name, this.normalize(raw).state);
      // forget needs target Down AND pid 0; a crashed or finished service still has target Up.
      if (raw.target === 'Up') await this.call((client) => client.stop(name));
      await this.call((client) => client.forget(name));
    } else if (!this.specs.has(name)) {
      throw new UnknownServiceError(name);
    }
    await this.call((client) => client.deleteConfig(name));
    this.specs.delete(name);
    this.observed.delete(name);
    this.heldDown.delete(name);
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------------

  async start(name: string): Promise<void> {
    const listed = await this.call((client) => client.list());
    this.heldDown.delete(name);
    this.ensurePolling();
    if (listed.has(name)) {
      await this.call((client) => client.start(name));
      return;
    }
    if (!this.specs.has(name)) throw new UnknownServiceError(name);
    // `monitor` loads <name>.yaml and starts it (target Up).
    try {
      await this.call((client) => client.monitor(name));
    } catch (error) {
      if (error instanceof ZinitCommandError && error.kind === 'already-monitored') {
        await this.call((client) => client.start(name));
        return;
      }
      throw error;
    }
  }

  async stop(name: string, options: StopOptions = {}): Promise<void> {
    const spec = this.specs.get(name);
    const raw = await this.rawStatus(name);
    if (!raw) {
      if (spec) return; // declared, never monitored: nothing runs
      throw new UnknownServiceError(name);
    }
    const stopSignal = spec?.stopSignal ?? 'SIGTERM';
    const signal = options.signal ?? stopSignal;
    if (!isSignalName(signal))
      throw new InvalidSpecError(
        'signal',
        `Expected \`signal\` to be a signal name such as SIGTERM, got ${JSON.stringify(signal)}.`,
      );
    const timeoutMs = options.timeoutMs ?? spec?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.heldDown.delete(name);
    const deadline = Date.now() + timeoutMs;

    if (signal === stopSignal || raw.pid === 0) {
      // Sets target Down and sends signal.stop to the group. Legacy returns at once; JSON-RPC blocks ~1 s and SIGKILLs.
      await this.call((client) => client.stop(name));
    } else {
      // Zinit's `stop` always sends the configured signal: deliver the requested one with `kill`, then set target Down
      // with `stop` as soon as the process is gone (before Zinit's 2 s restart sleep ends).
      await this.sendSignal(name, signal);
      await this.waitForPidZero(name, deadline);
      await this.call((client) => client.stop(name));
    }
    if (!(await this.waitForPidZero(name, deadline))) {
      this.logger?.warn({ service: name, timeoutMs }, 'service ignored its stop signal; sending SIGKILL');
      await this.sendSignal(name, 'SIGKILL');
      if (!(await this.waitForPidZero(name, Date.now() + KILL_CONFIRM_TIMEOUT_MS))) {
        throw new ZinitProtocolError(
          `Service "${name}" still has a pid ${KILL_CONFIRM_TIMEOUT_MS} ms after SIGKILL. Is Zinit responsive?`,
        );
      }
    }
    await this.refresh(name);
  }

  async restart(name: string): Promise<void> {
    const before = await this.rawStatus(name);
    await this.stop(name);
    await this.start(name);
    // Zinit honours a start within 2 s of an exit only when its post-exit sleep ends: wait for the new process.
    const deadline = Date.now() + RESTART_SETTLE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const now = await this.rawStatus(name);
      if (!now) return;
      const state = parseZinitState(now.state).state;
      if ((now.pid !== 0 && now.pid !== before?.pid) || state === 'blocked' || state === 'failure') return;
      await sleep(STOP_POLL_INTERVAL_MS);
    }
  }

  async kill(name: string, signal: NodeJS.Signals): Promise<void> {
    if (!isSignalName(signal))
      throw new InvalidSpecError(
        'signal',
        `Expected \`signal\` to be a signal name such as SIGTERM, got ${JSON.stringify(signal)}.`,
      );
    if (!(await this.rawStatus(name)) && !this.specs.has(name)) throw new UnknownServiceError(name);
    await this.call((client) => client.kill(name, signal));
  }

  private async sendSignal(name: string, signal: NodeJS.Signals): Promise<void> {
    try {
      await this.call((client) => client.kill(name, signal));
    } catch (error) {
      // `service "x" is down`: it exited meanwhile, which is what we want.
      if (!(error instanceof ZinitCommandError && (error.kind === 'is-down' || error.kind === 'internal'))) throw error;
    }
  }

  /** Polls `status` until pid 0 or the deadline; true when the process is gone. */
  private async waitForPidZero(name: string, deadline: number): Promise<boolean> {
    for (;;) {
      const raw = await this.rawStatus(name);
      if (!raw || raw.pid === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(STOP_POLL_INTERVAL_MS, Math.max(1, deadline - Date.now())));
    }
  }

  // ---- inspection ------------------------------------------------------------------------------------------------

  private async rawStatus(name: string): Promise<ZinitRawStatus | undefined> {
    try {
      return await this.call((client) => client.status(name));
    } catch (error) {
      if (error instanceof UnknownServiceError) return undefined;
      throw error;
    }
  }

  async status(name: string): Promise<ServiceStatus> {
    const raw = await this.rawStatus(name);
    if (raw) return this.normalize(raw);
    const spec = this.specs.get(name);
    if (!spec) throw new UnknownServiceError(name);
    return this.declaredOnly(spec);
  }

  async list(): Promise<ServiceStatus[]> {
    const listed = await this.call((client) => client.list());
    const statuses = await Promise.all([...listed.keys()].map((name) => this.rawStatus(name)));
    const result = statuses.filter((s): s is ZinitRawStatus => s !== undefined).map((s) => this.normalize(s));
    for (const spec of this.specs.values()) {
      if (!listed.has(spec.name)) result.push(this.declaredOnly(spec));
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** CPU and memory of a service (JSON-RPC `service_stats`); undefined with the legacy protocol, which has no stats. */
  async stats(name: string): Promise<ZinitServiceStats | undefined> {
    return this.call((client) => client.stats(name));
  }

  async *logs(name: string, options: LogOptions = {}): AsyncGenerator<string> {
    if (!(await this.rawStatus(name)) && !this.specs.has(name)) throw new UnknownServiceError(name);
    const client = await this.client();
    const abort = new AbortController();
    try {
      yield* client.logs(name, options, abort.signal);
    } finally {
      abort.abort();
    }
  }

  private declaredOnly(spec: ServiceSpec): ServiceStatus {
    return {
      name: spec.name,
      state: 'stopped',
      pid: 0,
      target: 'down',
      dependencies: Object.fromEntries((spec.after ?? []).map((dependency) => [dependency, 'unknown' as ServiceState])),
    };
  }

  /** Raw Zinit status → ServiceStatus. A service stopped on purpose (target Down, no process) is `stopped`. */
  private normalize(raw: ZinitRawStatus): ServiceStatus {
    const parsed = parseZinitState(raw.state);
    const stopped = raw.target === 'Down' && raw.pid === 0 && !this.heldDown.has(raw.name);
    const status: ServiceStatus = {
      name: raw.name,
      state: stopped ? 'stopped' : parsed.state,
      pid: raw.pid,
      target: raw.target === 'Down' ? 'down' : 'up',
      dependencies: Object.fromEntries(
        Object.entries(raw.after).map(([dep, state]) => [dep, parseZinitState(state).state]),
      ),
    };
    const reason = stopped ? undefined : this.reasonFor(raw.name, parsed.state, parsed.reason);
    if (reason !== undefined) status.reason = reason;
    return status;
  }

  private reasonFor(name: string, state: ServiceState, parsedReason: string | undefined): string | undefined {
    const spec = this.specs.get(name);
    if (state === 'failure' && spec) {
      return `Zinit could not spawn ${spec.command[0]}: missing binary, no execute permission, or an unparsable exec line`;
    }
    if (state === 'test-failure' && spec?.healthCheck) {
      return `Zinit could not run the health check ${spec.healthCheck[0]}`;
    }
    return parsedReason;
  }

  // ---- events ----------------------------------------------------------------------------------------------------

  subscribe(listener: ProcessEventListener): () => void {
    this.listeners.add(listener);
    this.ensurePolling();
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(event: ProcessEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger?.error({ err: error, event }, 'process event listener threw');
      }
    }
  }

  private ensurePolling(): void {
    if (this.pollTimer || this.closing) return;
    this.schedulePoll(0);
  }

  private schedulePoll(delayMs: number): void {
    if (this.closing) return;
    this.pollTimer = setTimeout(() => {
      this.syncChain = this.syncChain
        .then(() => this.pollOnce())
        .catch((error: unknown) => this.logger?.error({ err: error }, 'zinit poll failed'))
        .finally(() => {
          const backoff = Math.min(
            this.pollIntervalMs * 2 ** this.pollFailures,
            Math.max(RESYNC_BACKOFF_MAX_MS, this.pollIntervalMs),
          );
          this.schedulePoll(this.pollFailures === 0 ? this.pollIntervalMs : backoff);
        });
    }, delayMs);
    // The poller alone never keeps the supervisor's process alive.
    this.pollTimer.unref();
  }

  /** One `list` for every service, diffed against what was last seen. */
  private async pollOnce(): Promise<void> {
    let listed: ReadonlyMap<string, string>;
    try {
      listed = await this.call((client) => client.list());
    } catch (error) {
      this.pollFailures += 1;
      if (!(error instanceof BackendUnavailableError)) this.logger?.warn({ err: error }, 'zinit list failed');
      return;
    }
    this.pollFailures = 0;
    // One timestamp per observation: everything this `list` shows happened by the time it answered.
    const at = Date.now();
    const afterOutage = this.unavailable;
    if (afterOutage) await this.noteRestored();
    const changed: ZinitRawStatus[] = [];
    for (const [name, raw] of listed) {
      const seen = this.observed.get(name);
      if (!seen && !this.baselineDone && !this.specs.has(name)) {
        // Already running before this supervisor looked: adopt silently, no events for the past.
        const parsed = parseZinitState(raw);
        this.observed.set(name, {
          raw,
          spawnedPid: 0,
          runningPid: 0,
          exitedPid: parsed.pid ?? -1,
          stoppedReported: false,
        });
        continue;
      }
      if (seen && seen.raw === raw) {
        // Same state string: nothing happened, unless Zinit itself restarted while we could not see it and now runs
        // a NEW process under the same `Running`. Only after an outage, check the pid of what we knew to run.
        if (!(afterOutage && (raw === 'Running' || raw === 'Spawned') && seen.spawnedPid > 0)) continue;
        const status = await this.rawStatus(name).catch(() => undefined);
        if (!status || status.pid === seen.spawnedPid) continue;
        this.emit({ type: 'process.exited', service: name, pid: seen.spawnedPid, code: null, signal: null, at });
        seen.exitedPid = seen.spawnedPid;
        seen.raw = '';
        changed.push(status);
        continue;
      }
      const status = await this.rawStatus(name).catch(() => undefined);
      if (status) changed.push(status);
    }
    // Dependencies first, so a dependent's events never precede those of what it waited for.
    const byName = new Map(changed.map((status) => [status.name, status]));
    const depth = (status: ZinitRawStatus, seen: Set<string> = new Set()): number => {
      if (seen.has(status.name)) return 0; // a cycle: Zinit would block both forever; any order will do
      seen.add(status.name);
      const deps = Object.keys(status.after)
        .map((d) => byName.get(d))
        .filter((d) => d !== undefined);
      return deps.reduce((max, dep) => Math.max(max, depth(dep, seen) + 1), 0);
    };
    for (const status of changed.sort((a, b) => depth(a) - depth(b))) this.applyStatus(status, at);
    for (const name of this.observed.keys()) if (!listed.has(name)) this.observed.delete(name);
    this.baselineDone = true;
  }

  /** Fetches one service's status now and emits what changed (stop() uses it so `exited` precedes its return). */
  private refresh(name: string): Promise<void> {
    const run = this.syncChain.then(async () => {
      const status = await this.rawStatus(name).catch(() => undefined);
      if (status) this.applyStatus(status, Date.now());
    });
    this.syncChain = run.catch(() => undefined);
    return run;
  }

  /** Turns one observed status into normalized events, each emitted once (see Observed). */
  private applyStatus(status: ZinitRawStatus, at: number): void {
    const { name, pid } = status;
    const seen = this.observed.get(name) ?? {
      raw: '',
      spawnedPid: 0,
      runningPid: 0,
      exitedPid: -1,
      stoppedReported: false,
    };
    const parsed = parseZinitState(status.state);
    const spawned = (spawnedPid: number) => {
      if (spawnedPid > 0 && seen.spawnedPid !== spawnedPid) {
        seen.spawnedPid = spawnedPid;
        this.emit({ type: 'process.spawned', service: name, pid: spawnedPid, at });
      }
    };
    if (seen.raw !== status.state) {
      switch (parsed.state) {
        case 'spawned':
          spawned(pid);
          break;
        case 'running':
          spawned(pid);
          if (pid > 0 && seen.runningPid !== pid) {
            seen.runningPid = pid;
            this.emit({ type: 'process.running', service: name, pid, at });
          }
          break;
        case 'success':
        case 'error': {
          // Error strings name the pid that ended; a whole run may have happened between two polls.
          if (parsed.pid !== undefined) spawned(parsed.pid);
          const exitPid = parsed.pid ?? (seen.spawnedPid > 0 ? seen.spawnedPid : null);
          if (exitPid === null || seen.exitedPid !== exitPid) {
            seen.exitedPid = exitPid ?? -1;
            this.emit({
              type: 'process.exited',
              service: name,
              pid: exitPid,
              code: parsed.code ?? null,
              signal: parsed.signal ?? null,
              at,
            });
            this.applyRestartPolicy(name, status, parsed.code ?? null);
          }
          break;
        }
        case 'failure':
          this.emit({
            type: 'process.spawnFailed',
            service: name,
            reason: this.reasonFor(name, 'failure', parsed.reason) ?? 'spawn failed',
            at,
          });
          break;
        case 'test-failure':
          this.emit({
            type: 'process.healthFailed',
            service: name,
            reason: this.reasonFor(name, 'test-failure', parsed.reason) ?? 'health check could not run',
            at,
          });
          break;
        case 'blocked': {
          const waitingFor = Object.entries(status.after)
            .filter(([dependency, state]) => !this.satisfies(dependency, state))
            .map(([dependency]) => dependency);
          this.emit({ type: 'process.blocked', service: name, waitingFor, at });
          break;
        }
        case 'unknown':
        case 'stopped':
          break;
        default:
          parsed.state satisfies never;
      }
      seen.raw = status.state;
    }
    if (status.target === 'Down' && pid === 0 && !this.heldDown.has(name)) {
      if (!seen.stoppedReported) {
        seen.stoppedReported = true;
        this.emit({ type: 'process.stopped', service: name, at });
      }
    } else if (status.target === 'Up') {
      seen.stoppedReported = false;
    }
    this.observed.set(name, seen);
  }

  /** Zinit's rule (NOTES §5): a dependency is met when Running and not a oneshot, or Success. */
  private satisfies(dependency: string, rawState: string): boolean {
    const state = parseZinitState(rawState).state;
    if (state === 'success') return true;
    return state === 'running' && this.specs.get(dependency)?.oneshot !== true;
  }

  /** Emulates `restart.mode` never/on-failure: `stop` during Zinit's 2 s post-exit sleep keeps it down. */
  private applyRestartPolicy(name: string, status: ZinitRawStatus, code: number | null): void {
    const spec = this.specs.get(name);
    const mode = spec?.restart?.mode ?? 'always';
    if (!spec || spec.oneshot || status.target !== 'Up' || mode === 'always') return;
    if (mode === 'on-failure' && code !== 0) return;
    this.heldDown.add(name);
    this.call((client) => client.stop(name)).catch((error: unknown) =>
      this.logger?.warn({ err: error, service: name }, 'could not hold the service down after its exit'),
    );
  }

  /** Idempotent. Only disconnects: Zinit keeps running the services (that is the point of it). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        if (this.pollTimer) clearTimeout(this.pollTimer);
        await this.syncChain.catch(() => undefined);
        if (this.pollTimer) clearTimeout(this.pollTimer);
        const client = await this.clientPromise?.catch(() => undefined);
        client?.close();
        this.listeners.clear();
        this.backendListeners.clear();
      })();
    }
    return this.closing;
  }
}
