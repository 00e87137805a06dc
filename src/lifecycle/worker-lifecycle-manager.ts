/**
 * `WorkerLifecycleManager`: keeps a fleet of workers alive and right-sized. A façade over modules with one job
 * each: the actor tree (actor-tree.ts: supervisor → one scaler per script type → worker actors), the worker
 * registry (the one mirror of worker state), the bridge from actor reports to public events, waits on the injected
 * clock, the periodic runner of health passes and samplers, adoption, and the transport link. Build it with
 * `WorkerLifecycleManagerBuilder`. Reference: src/lifecycle/README.md.
 */
import type { Logger } from 'pino';
import type { WorkerEvent } from '../../machines/worker.events.js';
import type { WorkerSnapshot } from '../../machines/worker.machine.js';
import { WorkerNotFoundError } from '../errors.js';
import { assertDuration, configError } from '../limits.js';
import type { ProcessManager } from '../process/process-manager.js';
import type { SupervisorActor } from './actor-tree.js';
import { ConditionWaits } from './condition-waits.js';
import { FleetWaits } from './fleet-waits.js';
import { runHealthPass } from './health-pass.js';
import { type LifecycleEventName, LifecycleEvents, type LifecycleListener } from './lifecycle-events.js';
import { startLifecycle } from './lifecycle-start.js';
import type { HealthMonitoringHandle, HealthReport, ManagerParts, WorkerStatus } from './lifecycle-transport.js';
import { PeriodicRunner } from './periodic-runner.js';
import { ReportBridge } from './report-bridge.js';
import { checkScaleRequest, checkStartRequest } from './request-checks.js';
import { ShutdownSteps } from './shutdown-steps.js';
import { readStderrTail } from './stderr-tail.js';
import { TransportLink } from './transport-link.js';
import { WorkerCatalog } from './worker-catalog.js';
import type { WorkerConfig } from './worker-config.js';
import { type WorkerEntry, WorkerRegistry } from './worker-registry.js';
import { byName, statusOf } from './worker-status.js';

export type {
  HealthMonitoringHandle,
  HealthReport,
  LifecycleTransport,
  ManagerParts,
  WorkerStatus,
} from './lifecycle-transport.js';

export class WorkerLifecycleManager {
  readonly #parts: ManagerParts;
  readonly #logger: Logger;
  readonly #events = new LifecycleEvents();
  readonly #registry = new WorkerRegistry();
  readonly #catalog: WorkerCatalog;
  readonly #waits: ConditionWaits;
  readonly #fleet: FleetWaits;
  readonly #bridge: ReportBridge;
  readonly #runner: PeriodicRunner;
  readonly #link: TransportLink;
  readonly #cleanups = new ShutdownSteps();
  #supervisor: SupervisorActor | undefined;
  #processes: ProcessManager | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(parts: ManagerParts) {
    const { options } = parts;
    this.#parts = parts;
    this.#logger = options.logger;
    this.#catalog = new WorkerCatalog(parts.configs, parts.scriptTypes, {
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      stopTimeoutMs: options.timings.stopTimeoutMs,
    });
    this.#waits = new ConditionWaits(options.clock);
    // A start may time out and be retried once; a stop may take its full stop timeout before SIGKILL.
    const waitMs = 2 * (options.settings.startTimeoutMs ?? 30_000) + options.timings.stopTimeoutMs + 5_000;
    this.#fleet = new FleetWaits(this.#registry, this.#waits, () => this.#supervisor, waitMs);
    const { clock, logger } = options;
    const stderrTail = (worker: string) =>
      this.#processes === undefined ? Promise.resolve([]) : readStderrTail(this.#processes, worker, clock);
    this.#bridge = new ReportBridge({
      registry: this.#registry,
      events: this.#events,
      waits: this.#waits,
      clock,
      logger,
      stderrTail,
    });
    this.#runner = new PeriodicRunner(clock, (task, error) => this.#bridge.reportError(task, error));
    this.#link = new TransportLink(parts.openTransport, clock, logger);
  }

  /** Subscribes to a lifecycle event; returns the unsubscribe function. */
  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void {
    return this.#events.on(name, listener);
  }

  /**
   * Starts the dependencies, then every configured worker (adopting those that already run), and resolves once
   * each worker is up. Rejects with WorkerStartFailedError naming the first worker that failed to come up (it
   * keeps being restarted in the background). Called again, starts the workers that were stopped.
   */
  async startAllWorkers(): Promise<void> {
    this.#assertOpen();
    if (this.#supervisor === undefined) await this.#ensureStarted();
    else for (const entry of this.#registry.liveEntries()) if (entry.state === 'stopped') this.#send(entry, 'START');
    await this.#fleet.up(this.#registry.liveEntries().map((entry) => entry.name));
  }

  /** Stops every worker gracefully (their slots stay; `startAllWorkers` brings them back). */
  async stopAllWorkers(): Promise<void> {
    const entries = this.#registry.liveEntries();
    for (const entry of entries) this.#send(entry, 'STOP');
    await this.#fleet.stopped(
      entries.map((entry) => entry.name),
      'all workers stopped',
    );
  }

  /**
   * Starts one worker: a known one that is stopped, or a new one from `config` (added to its script type, whose
   * template it becomes if the type has none). Resolves once it is up.
   */
  async startWorker(config: WorkerConfig): Promise<void> {
    this.#assertOpen();
    await this.#ensureStarted();
    const existing = this.#registry.live(config.name);
    if (existing === undefined) {
      checkStartRequest(this.#catalog.scriptTypes, config, this.#fleet.scalerCounts(config.scriptType)?.members ?? 0);
      this.#catalog.configure(config);
      const at = this.#now();
      this.#supervisorActor().send({ type: 'worker.add', scriptType: config.scriptType, workerId: config.name, at });
      await this.#fleet.until(() => this.#registry.live(config.name) !== undefined, `worker ${config.name} spawned`);
    } else {
      this.#catalog.configure(config);
      if (existing.state === 'stopped') this.#send(existing, 'START');
    }
    await this.#fleet.up([config.name]);
  }

  /** Stops one worker gracefully (SIGTERM, its stop timeout, then SIGKILL); it keeps its slot. */
  async stopWorker(name: string): Promise<void> {
    this.#send(this.#live(name), 'STOP');
    await this.#fleet.stopped([name], `worker ${name} stopped`);
  }

  /** Restarts one worker (a stopped one is started) and resolves once it is up again. */
  async restartWorker(name: string): Promise<void> {
    const entry = this.#live(name);
    const restarts = () => (entry.ref.getSnapshot() as WorkerSnapshot).context.restartCount;
    const before = restarts();
    const wasStopped = entry.state === 'stopped';
    entry.ref.send({ type: 'RESTART', reason: 'manual', at: this.#now() } satisfies WorkerEvent);
    if (!wasStopped) await this.#fleet.until(() => restarts() > before, `worker ${name} restarting`);
    await this.#fleet.up([name]);
  }

  /** Resolves once every worker has stopped, dependencies are stopped in reverse order and connections closed. */
  shutdown(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Shuts down on SIGTERM or SIGINT; returns a function that removes the handlers. Exiting is the caller's call. */
  shutdownOnSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const handler = (signal: NodeJS.Signals) => {
      this.#logger.info({ signal }, 'signal received: shutting down');
      void this.shutdown();
    };
    for (const signal of signals) process.on(signal, handler);
    return () => {
      for (const signal of signals) process.off(signal, handler);
    };
  }

  /** A live worker's status; a worker a scale-down removed answers its last known state (`removed: true`). */
  getWorkerStatus(name: string): WorkerStatus {
    const entry = this.#registry.any(name);
    if (entry === undefined) throw this.#notFound(name);
    return statusOf(entry);
  }

  /** Every live worker, by name. */
  listWorkers(): WorkerStatus[] {
    return this.#registry.liveEntries().map(statusOf).sort(byName);
  }

  /** Workers of a script type that are up (running, idle or being pinged). */
  getRunningWorkerCount(scriptType: string): number {
    return this.#registry.count(scriptType, ['running', 'idle', 'pinging']);
  }

  /**
   * One health pass, now: sends PING to every idle worker's actor, which pings it at once (a failure counts toward
   * the `pingFailureThreshold` restart like a timed ping) and reports each outcome (logged with its reason). The
   * worker actors also ping idle workers by themselves every `pingIntervalMs`.
   */
  async monitorWorkerHealth(): Promise<HealthReport[]> {
    if (this.#link.current === undefined) return [];
    const { clock } = this.#parts.options;
    return runHealthPass({
      registry: this.#registry,
      waits: this.#waits,
      clock,
      pings: this.#link.pings,
      logger: this.#logger,
    });
  }

  /** Pings one worker now, whatever its state, and returns the outcome (`ok` with its reply, `timeout`, ...). */
  async pingWorker(name: string, { timeoutMs }: { timeoutMs?: number } = {}): Promise<HealthReport['outcome']> {
    const { context } = this.#live(name).ref.getSnapshot() as WorkerSnapshot;
    if (timeoutMs !== undefined) assertDuration('timeoutMs', timeoutMs, configError);
    return this.#link.transport.ping(name, { timeoutMs: timeoutMs ?? context.settings.pingTimeoutMs });
  }

  /** Records job activity on a worker now (jobs run through the Supervisor do this by themselves). */
  updateWorkerJobTime(name: string): void {
    this.#live(name).ref.send({ type: 'job.activity', at: this.#now() } satisfies WorkerEvent);
  }

  /** Runs `monitorWorkerHealth` every `intervalMs` in the background; never blocks. */
  startHealthMonitoring({
    intervalMs = this.#parts.options.timings.healthCheckIntervalMs,
  }: {
    intervalMs?: number;
  } = {}): HealthMonitoringHandle {
    assertDuration('intervalMs', intervalMs, configError, 1);
    return this.#runner.every('health pass', intervalMs, async () => {
      await this.monitorWorkerHealth();
    });
  }

  /** Scales a script type to `count` workers (idle ones go first) and resolves once the fleet has settled. */
  async scaleWorkers(scriptType: string, count: number): Promise<void> {
    this.#assertOpen();
    checkScaleRequest(this.#catalog.scriptTypes, scriptType, count);
    await this.#ensureStarted();
    this.#logger.info({ scriptType, count, reason: 'manual' }, 'scale requested');
    this.#supervisorActor().send({ type: 'scale.to', scriptType, count, reason: 'manual', at: this.#now() });
    await this.#fleet.scaled(scriptType, count);
  }

  async #ensureStarted(): Promise<void> {
    if (this.#supervisor !== undefined) return;
    this.#starting ??= this.#start();
    await this.#starting;
  }

  #start(): Promise<void> {
    return startLifecycle({
      parts: this.#parts,
      registry: this.#registry,
      catalog: this.#catalog,
      bridge: this.#bridge,
      link: this.#link,
      runner: this.#runner,
      fleet: this.#fleet,
      cleanups: this.#cleanups,
      opened: {
        processes: (processes) => {
          this.#processes = processes;
        },
        supervisor: (supervisor) => {
          this.#supervisor = supervisor;
        },
      },
    });
  }

  async #shutdown(): Promise<void> {
    this.#logger.info('shutting down');
    this.#runner.stopAll();
    await this.#starting?.catch(() => {});
    await this.#cleanups.runBeforeDrain((step, error) => this.#bridge.reportError(step, error));
    const supervisor = this.#supervisor;
    if (supervisor !== undefined && supervisor.getSnapshot().status === 'active') {
      supervisor.send({ type: 'SHUTDOWN', at: this.#now() });
      const stopped = () => supervisor.getSnapshot().status !== 'active';
      await this.#fleet.until(stopped, 'supervisor stopped', Number.POSITIVE_INFINITY);
      supervisor.stop();
    }
    await this.#cleanups.runAll((step, error) => this.#bridge.reportError(step, error));
    this.#logger.info('shut down');
  }

  #live(name: string): WorkerEntry {
    const entry = this.#registry.live(name);
    if (entry === undefined) throw this.#notFound(name);
    return entry;
  }

  /** The error for an unknown worker: it lists the live workers only, never the name asked for. */
  #notFound(name: string): WorkerNotFoundError {
    const live = this.#registry.liveEntries().map((entry) => entry.name);
    const known = this.#supervisor === undefined ? this.#catalog.configuredNames() : live;
    return new WorkerNotFoundError(name, known.filter((other) => other !== name).sort());
  }

  #send(entry: WorkerEntry, type: 'START' | 'STOP'): void {
    entry.ref.send({ type, at: this.#now() } satisfies WorkerEvent);
  }

  #supervisorActor(): SupervisorActor {
    if (this.#supervisor === undefined)
      throw new Error('internal: the supervisor actor is not started; please report an issue');
    return this.#supervisor;
  }

  #now(): number {
    return this.#parts.options.clock.now();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new Error('This WorkerLifecycleManager was shut down; build a new one.');
  }
}
