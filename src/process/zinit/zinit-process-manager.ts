/**
 * ZinitProcessManager: the ProcessManager contract over a running Zinit, in either protocol. A façade over modules
 * with one job each (README.md beside this file):
 *
 * - zinit-session.ts: the connection (protocol detected once per socket; reachable or not), one state union;
 * - status-diff.ts: one `list` per poll interval diffed against what was seen into process events (pure);
 * - normalize-status.ts: a raw Zinit status into the contract's ServiceStatus (pure);
 * - stop-escalation.ts: `stop`, poll until pid 0, `kill NAME SIGKILL` after the timeout.
 *
 * What stays here: declaring (ensureService() writes the config; an identical config for a service Zinit already runs
 * is a no-op, so a restarted supervisor adopts running workers instead of restarting them), the lifecycle calls, the
 * poll loop, and the emulation of `restart.mode` `never`/`on-failure` (Zinit restarts every non-oneshot service a
 * fixed 2 s after any exit; a `stop` during those 2 s keeps it down until start()).
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
} from '../../errors.js';
import type { Clock } from '../../lifecycle/clock.js';
import type { ProcessEvent, ProcessEventListener } from '../process-events.js';
import {
  type LogOptions,
  type ProcessManager,
  resolveStopTimeoutMs,
  type ServiceSpec,
  type ServiceStatus,
  type StopOptions,
} from '../process-manager.js';
import { isSignalName, validateServiceSpec } from '../validate-spec.js';
import type { ZinitProtocol } from './detect-protocol.js';
import { declaredOnlyStatus, normalizeStatus, type ZinitKnowledge } from './normalize-status.js';
import { toZinitServiceConfig, type ZinitServiceConfig } from './service-yaml.js';
import {
  applyStatus,
  type DiffOutcome,
  diffPoll,
  NOTHING_OBSERVED,
  type ObservedServices,
  servicesToInspect,
} from './status-diff.js';
import { STOP_POLL_INTERVAL_MS, stopWithEscalation } from './stop-escalation.js';
import type { ZinitClient, ZinitRawStatus, ZinitServiceStats } from './zinit-client.js';
import { type ResolvedZinitOptions, resolveZinitOptions, type ZinitProcessManagerOptions } from './zinit-options.js';
import { nextPollDelayMs, type ZinitBackendEvent, ZinitSession } from './zinit-session.js';
import { parseZinitState } from './zinit-state.js';

export { DEFAULT_POLL_INTERVAL_MS, type ZinitProcessManagerOptions } from './zinit-options.js';
export type { ZinitBackendEvent } from './zinit-session.js';

/** restart() waits for the new process at most Zinit's 2 s post-exit sleep plus margin, then returns anyway. */
const RESTART_SETTLE_TIMEOUT_MS = 5_000;

/** Zinit sleeps this long after a service exited before it respawns it (its own fixed delay, v0.2.14 and newer). */
const ZINIT_RESPAWN_DELAY_MS = 2_000;

/** Zinit uses the name as a file stem and refuses `.`, `/` and `\` (NOTES §3.2, §14). */
const ZINIT_FORBIDDEN_NAME_CHARS = /[./\\]/;

/** Refuses what Zinit would reject, before anything is written. The shared validation already covers most of it. */
function assertZinitServiceName(name: string, field = 'name'): void {
  if (ZINIT_FORBIDDEN_NAME_CHARS.test(name)) {
    throw new InvalidSpecError(
      field,
      `Expected \`${field}\` without \`.\`, \`/\` or \`\\\` (Zinit refuses them), got ${JSON.stringify(name)}.`,
    );
  }
}

function assertSignalName(signal: unknown): asserts signal is NodeJS.Signals {
  if (!isSignalName(signal))
    throw new InvalidSpecError(
      'signal',
      `Expected \`signal\` to be a signal name such as SIGTERM, got ${JSON.stringify(signal)}.`,
    );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ZinitProcessManager implements ProcessManager {
  readonly socketPath: string;
  readonly configDir: string;
  readonly pollIntervalMs: number;
  readonly #logger: Logger | undefined;
  readonly #clock: Clock;
  readonly #session: ZinitSession;

  /** Specs declared through this manager (a restarted supervisor re-declares them). */
  readonly #specs = new Map<string, ServiceSpec>();
  /** Services held down after an exit because their restart mode says so (Zinit would restart them). */
  readonly #heldDown = new Set<string>();
  readonly #knowledge: ZinitKnowledge = { specs: this.#specs, heldDown: this.#heldDown };
  #observed: ObservedServices = NOTHING_OBSERVED;
  readonly #listeners = new Set<ProcessEventListener>();
  /** Serialises the poller and stop()'s refresh so one change is never emitted twice. */
  #syncChain: Promise<unknown> = Promise.resolve();
  #pollTimer: NodeJS.Timeout | undefined;
  #pollFailures = 0;
  #closing: Promise<void> | undefined;

  constructor(options: ZinitProcessManagerOptions) {
    const resolved: ResolvedZinitOptions = resolveZinitOptions(options);
    this.socketPath = resolved.socketPath;
    this.configDir = resolved.configDir;
    this.pollIntervalMs = resolved.pollIntervalMs;
    this.#logger = resolved.logger;
    this.#clock = resolved.clock;
    this.#session = new ZinitSession({
      socketPath: resolved.socketPath,
      configDir: resolved.configDir,
      protocol: resolved.protocol,
      clock: resolved.clock,
      logger: resolved.logger,
      // Without a poller nobody resyncs: a successful call is then enough to say Zinit is back.
      resyncedElsewhere: () => this.#pollTimer !== undefined,
    });
  }

  // ---- connection ------------------------------------------------------------------------------------------------

  /** The protocol in use (detects it on first use). */
  async protocol(): Promise<ZinitProtocol> {
    return (await this.#session.client()).protocol;
  }

  #call<T>(operation: (client: ZinitClient) => Promise<T>): Promise<T> {
    return this.#session.call(operation);
  }

  /** Listens to Zinit going away and coming back. Returns an unsubscribe function. */
  subscribeBackend(listener: (event: ZinitBackendEvent) => void): () => void {
    const unsubscribe = this.#session.subscribe(listener);
    this.#ensurePolling();
    return unsubscribe;
  }

  /**
   * Zinit respawns a service a fixed 2 s after it exited; the exit may be seen one poll late and the respawn one
   * poll after that. Finding F7 in test/faults/README.md.
   */
  get respawnGraceMs(): number {
    return ZINIT_RESPAWN_DELAY_MS + 2 * this.pollIntervalMs;
  }

  /** True while the last attempt to reach Zinit failed. */
  get isUnavailable(): boolean {
    return this.#session.isUnreachable;
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
    const listed = await this.#call((client) => client.list());
    if (listed.has(name)) {
      if (await this.#call((client) => client.configMatches(name, config))) {
        this.#specs.set(name, spec);
        return;
      }
      // Zinit reads a config only at monitor time: stop → forget → rewrite → monitor (if it was up).
      const before = await this.#call((client) => client.status(name));
      const wasUp = before.target === 'Up';
      // The running process was started from the old spec when this manager declared it; else from the new one.
      if (before.pid !== 0 || wasUp) await this.#stop(name, {}, this.#specs.get(name) ?? spec);
      await this.#call((client) => client.forget(name));
      this.#forgetObserved(name);
      await this.#writeConfig(name, config);
      this.#specs.set(name, spec);
      if (wasUp) await this.#call((client) => client.monitor(name));
      return;
    }
    await this.#writeConfig(name, config);
    this.#specs.set(name, spec);
    this.#ensurePolling();
  }

  async #writeConfig(name: string, config: ZinitServiceConfig): Promise<void> {
    try {
      await this.#call((client) => client.writeConfig(name, config));
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
    const raw = await this.#rawStatus(name);
    if (raw) {
      if (raw.pid !== 0) throw new ServiceNotStoppedError(name, normalizeStatus(raw, this.#knowledge).state);
      // forget needs target Down AND pid 0; a crashed or finished service still has target Up.
      if (raw.target === 'Up') await this.#call((client) => client.stop(name));
      await this.#call((client) => client.forget(name));
    } else if (!this.#specs.has(name)) {
      throw new UnknownServiceError(name);
    }
    await this.#call((client) => client.deleteConfig(name));
    this.#specs.delete(name);
    this.#forgetObserved(name);
    this.#heldDown.delete(name);
  }

  #forgetObserved(name: string): void {
    if (!this.#observed.services.has(name)) return;
    const services = new Map(this.#observed.services);
    services.delete(name);
    this.#observed = { baselineDone: this.#observed.baselineDone, services };
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------------

  async start(name: string): Promise<void> {
    const listed = await this.#call((client) => client.list());
    this.#heldDown.delete(name);
    this.#ensurePolling();
    if (listed.has(name)) {
      await this.#call((client) => client.start(name));
      return;
    }
    if (!this.#specs.has(name)) throw new UnknownServiceError(name);
    // `monitor` loads <name>.yaml and starts it (target Up).
    try {
      await this.#call((client) => client.monitor(name));
    } catch (error) {
      if (error instanceof ZinitCommandError && error.kind === 'already-monitored') {
        await this.#call((client) => client.start(name));
        return;
      }
      throw error;
    }
  }

  stop(name: string, options: StopOptions = {}): Promise<void> {
    return this.#stop(name, options, this.#specs.get(name));
  }

  /** `spec`: the spec the running process was started from, for its stop signal and stop timeout. */
  async #stop(name: string, options: StopOptions, spec: ServiceSpec | undefined): Promise<void> {
    const raw = await this.#rawStatus(name);
    if (!raw) {
      if (this.#specs.has(name)) return; // declared, never monitored: nothing runs
      throw new UnknownServiceError(name);
    }
    const configuredSignal = spec?.stopSignal ?? 'SIGTERM';
    const signal = options.signal ?? configuredSignal;
    assertSignalName(signal);
    this.#heldDown.delete(name);
    await stopWithEscalation(
      {
        stop: () => this.#call((client) => client.stop(name)),
        signal: (sent) => this.#sendSignal(name, sent),
        pid: async () => (await this.#rawStatus(name))?.pid,
      },
      { service: name, signal, configuredSignal, pid: raw.pid, timeoutMs: resolveStopTimeoutMs(options, spec) },
      { clock: this.#clock, logger: this.#logger },
    );
    await this.#refresh(name);
  }

  async restart(name: string): Promise<void> {
    const before = await this.#rawStatus(name);
    await this.stop(name);
    await this.start(name);
    // Zinit honours a start within 2 s of an exit only when its post-exit sleep ends: wait for the new process.
    const deadline = this.#clock.now() + RESTART_SETTLE_TIMEOUT_MS;
    while (this.#clock.now() < deadline) {
      const now = await this.#rawStatus(name);
      if (!now) return;
      const state = parseZinitState(now.state).state;
      if ((now.pid !== 0 && now.pid !== before?.pid) || state === 'blocked' || state === 'failure') return;
      await sleep(STOP_POLL_INTERVAL_MS);
    }
  }

  async kill(name: string, signal: NodeJS.Signals): Promise<void> {
    assertSignalName(signal);
    if (!(await this.#rawStatus(name)) && !this.#specs.has(name)) throw new UnknownServiceError(name);
    await this.#call((client) => client.kill(name, signal));
  }

  async #sendSignal(name: string, signal: NodeJS.Signals): Promise<void> {
    try {
      await this.#call((client) => client.kill(name, signal));
    } catch (error) {
      // `service "x" is down`: it exited meanwhile, which is what we want.
      if (!(error instanceof ZinitCommandError && (error.kind === 'is-down' || error.kind === 'internal'))) throw error;
    }
  }

  // ---- inspection ------------------------------------------------------------------------------------------------

  async #rawStatus(name: string): Promise<ZinitRawStatus | undefined> {
    try {
      return await this.#call((client) => client.status(name));
    } catch (error) {
      if (error instanceof UnknownServiceError) return undefined;
      throw error;
    }
  }

  async status(name: string): Promise<ServiceStatus> {
    const raw = await this.#rawStatus(name);
    if (raw) return normalizeStatus(raw, this.#knowledge);
    const spec = this.#specs.get(name);
    if (!spec) throw new UnknownServiceError(name);
    return declaredOnlyStatus(spec);
  }

  async list(): Promise<ServiceStatus[]> {
    const listed = await this.#call((client) => client.list());
    const statuses = await Promise.all([...listed.keys()].map((name) => this.#rawStatus(name)));
    const result = statuses
      .filter((s): s is ZinitRawStatus => s !== undefined)
      .map((s) => normalizeStatus(s, this.#knowledge));
    for (const spec of this.#specs.values()) {
      if (!listed.has(spec.name)) result.push(declaredOnlyStatus(spec));
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** CPU and memory of a service (JSON-RPC `service_stats`); undefined with the legacy protocol, which has no stats. */
  async stats(name: string): Promise<ZinitServiceStats | undefined> {
    return this.#call((client) => client.stats(name));
  }

  async *logs(name: string, options: LogOptions = {}): AsyncGenerator<string> {
    if (!(await this.#rawStatus(name)) && !this.#specs.has(name)) throw new UnknownServiceError(name);
    const client = await this.#session.client();
    const abort = new AbortController();
    try {
      yield* client.logs(name, options, abort.signal);
    } finally {
      abort.abort();
    }
  }

  // ---- events ----------------------------------------------------------------------------------------------------

  subscribe(listener: ProcessEventListener): () => void {
    this.#listeners.add(listener);
    this.#ensurePolling();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #emit(event: ProcessEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger?.error({ err: error, event }, 'process event listener threw');
      }
    }
  }

  #ensurePolling(): void {
    if (this.#pollTimer || this.#closing) return;
    this.#schedulePoll(0);
  }

  #schedulePoll(delayMs: number): void {
    if (this.#closing) return;
    this.#pollTimer = setTimeout(() => {
      this.#syncChain = this.#syncChain
        .then(() => this.#pollOnce())
        .catch((error: unknown) => this.#logger?.error({ err: error }, 'zinit poll failed'))
        .finally(() => this.#schedulePoll(nextPollDelayMs(this.pollIntervalMs, this.#pollFailures)));
    }, delayMs);
    // The poller alone never keeps the supervisor's process alive.
    this.#pollTimer.unref();
  }

  /** One `list` for every service; a `status` only for those the diff needs; then the diff's events. */
  async #pollOnce(): Promise<void> {
    let listed: ReadonlyMap<string, string>;
    try {
      listed = await this.#call((client) => client.list());
    } catch (error) {
      this.#pollFailures += 1;
      if (!(error instanceof BackendUnavailableError)) this.#logger?.warn({ err: error }, 'zinit list failed');
      return;
    }
    this.#pollFailures = 0;
    // One timestamp per observation: everything this `list` shows happened by the time it answered.
    const at = this.#clock.now();
    const afterOutage = this.#session.isUnreachable;
    if (afterOutage) await this.#session.restore();
    const inspect = servicesToInspect(this.#observed, listed, this.#knowledge, afterOutage);
    const statuses = new Map<string, ZinitRawStatus>();
    for (const name of inspect) {
      const status = await this.#rawStatus(name).catch(() => undefined);
      if (status) statuses.set(name, status);
    }
    this.#apply(diffPoll(this.#observed, { listed, statuses, afterOutage, at }, this.#knowledge));
  }

  /** Fetches one service's status now and emits what changed (stop() uses it so `exited` precedes its return). */
  #refresh(name: string): Promise<void> {
    const run = this.#syncChain.then(async () => {
      const status = await this.#rawStatus(name).catch(() => undefined);
      if (status) this.#apply(applyStatus(this.#observed, status, this.#clock.now(), this.#knowledge));
    });
    this.#syncChain = run.catch(() => undefined);
    return run;
  }

  #apply(outcome: DiffOutcome): void {
    this.#observed = outcome.observed;
    for (const event of outcome.events) this.#emit(event);
    for (const name of outcome.holdDown) this.#holdDown(name);
  }

  /** Emulates `restart.mode` never/on-failure: `stop` during Zinit's 2 s post-exit sleep keeps it down. */
  #holdDown(name: string): void {
    this.#heldDown.add(name);
    this.#call((client) => client.stop(name)).catch((error: unknown) =>
      this.#logger?.warn({ err: error, service: name }, 'could not hold the service down after its exit'),
    );
  }

  /** Idempotent. Only disconnects: Zinit keeps running the services (that is the point of it). */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = (async () => {
        if (this.#pollTimer) clearTimeout(this.#pollTimer);
        await this.#session.close(this.#syncChain);
        if (this.#pollTimer) clearTimeout(this.#pollTimer);
        this.#listeners.clear();
      })();
    }
    return this.#closing;
  }
}
