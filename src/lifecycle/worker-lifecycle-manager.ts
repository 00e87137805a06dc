/**
 * `WorkerLifecycleManager`: keeps a fleet of workers alive and right-sized. It runs the supervisor statechart
 * (`machines/supervisor.machine.ts`: dependencies → one scaler per script type → worker actors), feeds it the
 * outside facts (process events, job activity, queue depth, memory readings, all stamped with `at` from the
 * injected clock), and offers the design's API. Build it with `WorkerLifecycleManagerBuilder`.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Actor, type AnyActorRef, createActor } from 'xstate';
import { type ScalerContext, scalerMachine } from '../../machines/scaler.machine.js';
import { isUpState, type WorkerSlot } from '../../machines/scaler-policy.js';
import { scalerId, supervisorMachine } from '../../machines/supervisor.machine.js';
import { defaultWorkerSettings, type WorkerSettings } from '../../machines/worker.defaults.js';
import type { PingOutcome, WorkerEvent } from '../../machines/worker.events.js';
import {
  type WorkerSnapshot,
  type WorkerStateName,
  workerMachine,
  workerStateOf,
} from '../../machines/worker.machine.js';
import { ConfigError, WorkerNotFoundError, WorkerStartFailedError } from '../errors.js';
import type { ProcessEvent } from '../process/process-events.js';
import type { ProcessManager, ServiceSpec } from '../process/process-manager.js';
import type { JobActivity } from '../transport/wire-protocol.js';
import { withinMs } from '../within-ms.js';
import { createDependencyActors, orderServices } from './dependency-services.js';
import { type LifecycleEventName, LifecycleEvents, type LifecycleListener } from './lifecycle-events.js';
import type { ResolvedLifecycleOptions, ResolvedScriptType } from './lifecycle-options.js';
import { MemoryLimitTracker, readRssMb } from './memory-limit.js';
import { readQueueDepth } from './queue-depth.js';
import type { WorkerConfig } from './worker-config.js';
import {
  createWorkerEffects,
  type WorkerLaunch,
  type WorkerPingReport,
  type WorkerStateReport,
} from './worker-effects.js';

/** What `getWorkerStatus` and `listWorkers` report for one worker. */
export interface WorkerStatus {
  name: string;
  scriptType: string;
  /** The worker actor's top-level state. */
  state: WorkerStateName;
  /** In `failed` because the restart intensity was exceeded (it recovers after the cooldown, or on restart). */
  gaveUp: boolean;
  /** The pid of the worker's current process; null once it exited (a dead pid may be recycled: never reported). */
  pid: number | null;
  /** Epoch ms of the latest job activity, or null. */
  lastJobAt: number | null;
  /** Restarts since this manager started. */
  restarts: number;
  consecutivePingFailures: number;
  /** Why it last failed (`killed by SIGKILL`, `ping-failures`, `restart-intensity`, `memory-limit`, ...). */
  reason: string | null;
  /** A job is active on it. */
  busy: boolean;
}

/** One result of `monitorWorkerHealth()`. */
export interface HealthReport {
  worker: string;
  outcome: PingOutcome;
}

/** How the manager reaches the workers over Redis: pings, job activity, and a connection of its own. */
export interface LifecycleTransport {
  ping(workerId: string, options: { timeoutMs: number }): Promise<PingOutcome>;
  onJobActivity(listener: (activity: JobActivity) => void): () => void;
  /** Resolves once job activity is being received (the manager waits for it at most a moment at start). */
  ready(): Promise<void>;
  /** For the reachability check and the queue-depth getters. */
  redis: Redis;
  /** Closes what the transport owns (never a caller's Supervisor). */
  close(): Promise<void>;
}

export interface HealthMonitoringHandle {
  stop(): void;
}

/** What the builder hands over. */
export interface ManagerParts {
  options: ResolvedLifecycleOptions;
  scriptTypes: ReadonlyMap<string, ResolvedScriptType>;
  configs: ReadonlyMap<string, WorkerConfig>;
  services: readonly ServiceSpec[];
  openProcessManager: () => Promise<ProcessManager>;
  ownsProcessManager: boolean;
  openTransport: () => Promise<LifecycleTransport>;
  openQueue: (scriptType: string, connection: Redis) => Queue;
}

type SupervisorActor = Actor<typeof supervisorMachine>;

const UP_STATES: ReadonlySet<string> = new Set(['running', 'idle', 'pinging']);

/** Poll interval of the internal waits (start, stop, scale): a fallback only, changes also wake them at once. */
const SETTLE_POLL_INTERVAL_MS = 50;

/** How often a scale wait visits every worker while the counters say some are still starting (a safety net). */
const FULL_CHECK_INTERVAL_MS = 500;

/** How long a start waits for the job-activity subscription; Redis being down must not block the start. */
const ACTIVITY_READY_WAIT_MS = 2_000;

/** A ping used by the reachability check before a failed ping counts; Redis answers PING in microseconds. */
const REDIS_PROBE_TIMEOUT_MS = 1_000;

/**
 * The longest reconnect backoff of a hero-worker's Redis connections (RETRY_MAX_DELAY_MS in
 * src/transport/redis-connection.ts). After the supervisor's own connection is ready again, the workers may wait
 * this long, twice (BullMQ re-creates its blocking connection after the first), before they can answer: so for
 * `pingTimeoutMs` + 2 × this, a failed ping is the transport's, not the worker's. Finding F6 in test/faults/README.md.
 */
const WORKER_RECONNECT_MAX_DELAY_MS = 1_000;

export class WorkerLifecycleManager {
  readonly #parts: ManagerParts;
  readonly #options: ResolvedLifecycleOptions;
  readonly #logger: Logger;
  readonly #events = new LifecycleEvents();
  readonly #configs: Map<string, WorkerConfig>;
  readonly #busy = new Map<string, Set<string>>();
  readonly #lastState = new Map<string, WorkerStateName>();
  /** Workers per script type whose latest reported state is `starting` (the scale wait reads it per event). */
  readonly #startingByType = new Map<string, number>();
  /**
   * Every worker actor by name, as its first state report announced it (see #onWorkerStateChange). An entry whose
   * actor its scaler has since released is dropped at the next lookup: lookups cost the same for any fleet size.
   */
  readonly #workerIndex = new Map<string, { ref: AnyActorRef; scriptType: string }>();
  readonly #adoptedServices = new Set<string>();
  readonly #wakeups = new Set<() => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #queues = new Map<string, Queue>();
  readonly #cleanups: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  /** Waiters of `monitorWorkerHealth()` for the next ping result of a worker. */
  readonly #pingWaiters = new Map<string, Set<(outcome: PingOutcome) => void>>();
  /** When the manager's own Redis connection last became ready again after a loss (clock ms). */
  #redisRestoredAt: number | undefined;
  #processes: ProcessManager | undefined;
  #transport: LifecycleTransport | undefined;
  #supervisor: SupervisorActor | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #dependencyError: Error | undefined;

  constructor(parts: ManagerParts) {
    this.#parts = parts;
    this.#options = parts.options;
    this.#logger = parts.options.logger;
    this.#configs = new Map(parts.configs);
  }

  // ---- events ------------------------------------------------------------------------------------

  /** Subscribes to a lifecycle event; returns the unsubscribe function. */
  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void {
    return this.#events.on(name, listener);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /**
   * Starts the dependencies, then every configured worker (adopting those that already run), and resolves once
   * each worker is up. Rejects with WorkerStartFailedError naming the first worker that failed to come up (it
   * keeps being restarted in the background). Called again, starts the workers that were stopped.
   */
  async startAllWorkers(): Promise<void> {
    this.#assertOpen();
    if (this.#supervisor === undefined) {
      this.#starting ??= this.#start();
      await this.#starting;
    } else {
      for (const ref of this.#workerRefs().values()) {
        if (workerStateOf(snapshotOf(ref)) === 'stopped') this.#send(ref, { type: 'START', at: this.#now() });
      }
    }
    await this.#awaitUp([...this.#workerRefs().keys()]);
  }

  /** Stops every worker gracefully (their slots stay; `startAllWorkers` brings them back). */
  async stopAllWorkers(): Promise<void> {
    const refs = this.#workerRefs();
    for (const ref of refs.values()) this.#send(ref, { type: 'STOP', at: this.#now() });
    await this.#settle(
      () => [...refs.values()].every((ref) => workerStateOf(snapshotOf(ref)) === 'stopped'),
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
    const existing = this.#findWorker(config.name);
    if (existing !== undefined) {
      this.#configs.set(config.name, config);
      if (workerStateOf(snapshotOf(existing)) === 'stopped') this.#send(existing, { type: 'START', at: this.#now() });
      await this.#awaitUp([config.name]);
      return;
    }
    const scriptType = this.#parts.scriptTypes.get(config.scriptType);
    if (scriptType === undefined) {
      throw new ConfigError(
        `Cannot start worker "${config.name}": script type \`${config.scriptType}\` is not configured (known: ${[...this.#parts.scriptTypes.keys()].join(', ') || 'none'}). Add a worker of that type to the builder.`,
        [{ path: `workers.${config.name}.scriptType`, message: 'unknown script type' }],
      );
    }
    const members = this.#scalerCounts(config.scriptType)?.members ?? 0;
    if (members >= scriptType.max) {
      throw new ConfigError(
        `Cannot start worker "${config.name}": script type \`${config.scriptType}\` already runs its max of ${scriptType.max} workers.`,
        [{ path: `scriptTypes.${config.scriptType}.max`, message: 'reached' }],
      );
    }
    this.#configs.set(config.name, config);
    this.#supervisorActor().send({
      type: 'worker.add',
      scriptType: config.scriptType,
      workerId: config.name,
      at: this.#now(),
    });
    await this.#settle(() => this.#findWorker(config.name) !== undefined, `worker ${config.name} spawned`);
    await this.#awaitUp([config.name]);
  }

  /** Stops one worker gracefully (SIGTERM, its stop timeout, then SIGKILL); it keeps its slot. */
  async stopWorker(name: string): Promise<void> {
    const ref = this.#workerRef(name);
    this.#send(ref, { type: 'STOP', at: this.#now() });
    await this.#settle(() => workerStateOf(snapshotOf(ref)) === 'stopped', `worker ${name} stopped`);
  }

  /** Restarts one worker (a stopped one is started) and resolves once it is up again. */
  async restartWorker(name: string): Promise<void> {
    const ref = this.#workerRef(name);
    const before = snapshotOf(ref).context.restartCount;
    const wasStopped = workerStateOf(snapshotOf(ref)) === 'stopped';
    this.#send(ref, { type: 'RESTART', reason: 'manual', at: this.#now() });
    if (!wasStopped) {
      await this.#settle(() => snapshotOf(ref).context.restartCount > before, `worker ${name} restarting`);
    }
    await this.#awaitUp([name]);
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

  // ---- inspection --------------------------------------------------------------------------------

  getWorkerStatus(name: string): WorkerStatus {
    return this.#statusOf(name, this.#workerRef(name));
  }

  listWorkers(): WorkerStatus[] {
    return [...this.#workerRefs()].map(([name, ref]) => this.#statusOf(name, ref)).sort(byName);
  }

  /** Workers of a script type that are up (running, idle or being pinged). */
  getRunningWorkerCount(scriptType: string): number {
    return [...this.#workerRefs().values()].filter((ref) => {
      const snapshot = snapshotOf(ref);
      return snapshot.context.scriptType === scriptType && UP_STATES.has(workerStateOf(snapshot));
    }).length;
  }

  // ---- health ------------------------------------------------------------------------------------

  /**
   * One health pass, now: sends PING to every idle worker's actor, which pings it at once (a failure counts toward
   * the `pingFailureThreshold` restart like a timed ping) and reports each outcome (logged with its reason). The
   * worker actors also ping idle workers by themselves every `pingIntervalMs`.
   */
  async monitorWorkerHealth(): Promise<HealthReport[]> {
    if (this.#transport === undefined) return [];
    const idle = [...this.#workerRefs()].filter(([, ref]) => workerStateOf(snapshotOf(ref)) === 'idle');
    return Promise.all(
      idle.map(async ([name, ref]) => {
        const outcome = await this.#pingThroughActor(name, ref);
        const level = outcome.type === 'ok' ? 'info' : 'warn';
        this.#workerLogger(name)[level]({ outcome: outcome.type }, 'health check ping');
        return { worker: name, outcome };
      }),
    );
  }

  /** Pings one worker now, whatever its state, and returns the outcome (`ok` with its reply, `timeout`, ...). */
  async pingWorker(name: string, { timeoutMs }: { timeoutMs?: number } = {}): Promise<HealthReport['outcome']> {
    const ref = this.#workerRef(name);
    return this.#transportOrThrow().ping(name, {
      timeoutMs: timeoutMs ?? snapshotOf(ref).context.settings.pingTimeoutMs,
    });
  }

  /** Records job activity on a worker now (jobs run through the Supervisor do this by themselves). */
  updateWorkerJobTime(name: string): void {
    this.#send(this.#workerRef(name), { type: 'job.activity', at: this.#now() });
  }

  /** Runs `monitorWorkerHealth` every `intervalMs` in the background; never blocks. */
  startHealthMonitoring({
    intervalMs = this.#options.timings.healthCheckIntervalMs,
  }: {
    intervalMs?: number;
  } = {}): HealthMonitoringHandle {
    const timer = this.#every(intervalMs, async () => {
      await this.monitorWorkerHealth();
    });
    return {
      stop: () => {
        clearInterval(timer);
        this.#timers.delete(timer);
      },
    };
  }

  // ---- scaling -----------------------------------------------------------------------------------

  /** Scales a script type to `count` workers (idle ones go first) and resolves once the fleet has settled. */
  async scaleWorkers(scriptType: string, count: number): Promise<void> {
    this.#assertOpen();
    const resolved = this.#parts.scriptTypes.get(scriptType);
    if (resolved === undefined) {
      throw new ConfigError(
        `Cannot scale \`${scriptType}\`: no such script type (known: ${[...this.#parts.scriptTypes.keys()].join(', ') || 'none'}).`,
        [{ path: `scriptTypes.${scriptType}`, message: 'unknown script type' }],
      );
    }
    if (!Number.isInteger(count) || count < resolved.min || count > resolved.max) {
      throw new ConfigError(
        `Cannot scale \`${scriptType}\` to ${count}: expected an integer within [${resolved.min}, ${resolved.max}] (min, max).`,
        [{ path: `scriptTypes.${scriptType}`, message: 'count out of bounds' }],
      );
    }
    await this.#ensureStarted();
    this.#logger.info({ scriptType, count, reason: 'manual' }, 'scale requested');
    this.#supervisorActor().send({ type: 'scale.to', scriptType, count, reason: 'manual', at: this.#now() });
    // Re-checked at every state change: the counters answer "not yet" without visiting the fleet, and the full
    // check runs once they say "done" (or every FULL_CHECK_INTERVAL_MS, should a count ever be off).
    let fullCheckAt = Number.NEGATIVE_INFINITY;
    await this.#settle(() => {
      const counts = this.#scalerCounts(scriptType);
      if (counts === undefined || counts.slotCount !== count || counts.members !== count) return false;
      const now = Date.now();
      if ((this.#startingByType.get(scriptType) ?? 0) > 0 && now - fullCheckAt < FULL_CHECK_INTERVAL_MS) return false;
      fullCheckAt = now;
      const slots = this.#slots(scriptType);
      return (
        slots.length === count &&
        slots.every((slot) => !slot.removing) &&
        this.#refsOfType(scriptType).every((ref) => workerStateOf(snapshotOf(ref)) !== 'starting')
      );
    }, `${scriptType} scaled to ${count}`);
  }

  // ---- internals: start and shutdown ------------------------------------------------------------

  async #ensureStarted(): Promise<void> {
    if (this.#supervisor !== undefined) return;
    this.#starting ??= this.#start();
    await this.#starting;
  }

  async #start(): Promise<void> {
    const processes = await this.#parts.openProcessManager();
    this.#processes = processes;
    if (this.#parts.ownsProcessManager)
      this.#cleanups.push({ name: 'close process manager', run: () => processes.close() });
    const unsubscribe = processes.subscribe((event) => this.#onProcessEvent(event));
    this.#cleanups.unshift({ name: 'unsubscribe process events', run: unsubscribe });

    const adopted = this.#options.adopt
      ? await this.#findAdoptable(processes)
      : new Map<string, Record<string, number>>();
    const startedAt = this.#now();
    const workerInput = { settings: this.#workerSettings(processes) };
    const logic = supervisorMachine.provide({
      actors: {
        scaler: scalerMachine.provide({
          actors: { worker: workerMachine.provide(this.#workerEffects()) },
          actions: {
            reportScaled: ({ context }) => {
              const decision = context.lastDecision;
              this.#logger.info({ scriptType: context.scriptType, ...decision }, 'scaler decision');
              this.#events.emit('scaler:scaled', { scriptType: context.scriptType, ...decision });
              this.#wake();
            },
          },
        }),
        ...createDependencyActors({
          processes: () => processes,
          services: new Map(this.#parts.services.map((spec) => [spec.name, spec])),
          adopted: this.#adoptedServices,
          startTimeoutMs: this.#options.timings.dependencyStartTimeoutMs,
          logger: this.#logger,
          // Redis may itself be a dependency: connect once it runs, before any worker starts.
          afterStart: () => this.#openTransport(),
          onStartError: (error) => {
            this.#dependencyError = error;
          },
          onStopError: (name, error) => this.#reportError(`stop dependency ${name}`, error),
        }),
      },
      actions: {
        reportPhase: ({ context }, { phase }) => {
          const reason = phase === 'failed' ? context.reason : null;
          this.#logger.info({ phase, reason }, 'supervisor phase');
          this.#events.emit('supervisor:phase', { phase, reason, at: this.#now() });
          this.#wake();
        },
      },
    });
    const supervisor = createActor(logic, {
      ...(this.#options.inspect !== undefined && { inspect: this.#options.inspect }),
      input: {
        dependencies: orderServices(this.#parts.services),
        scalers: [...this.#parts.scriptTypes.values()].map((type) => ({
          scriptType: type.scriptType,
          min: type.min,
          max: type.max,
          initial: type.initial,
          workerIds: type.workerIds,
          adopted: adopted.get(type.scriptType) ?? {},
          autoscale: type.autoscale,
          workerInput,
        })),
      },
    });
    supervisor.subscribe({
      error: (error) => this.#reportError('supervisor actor', error as Error),
    });
    // A failed dependency start is the supervisor's `failed` state; keep the error to reject startAllWorkers with it.
    this.#dependencyError = undefined;
    this.#supervisor = supervisor;
    supervisor.start();
    supervisor.send({ type: 'START', at: startedAt });
    await this.#settle(
      () => supervisor.getSnapshot().matches('running') || supervisor.getSnapshot().matches('failed'),
      'dependencies started',
    );
    if (supervisor.getSnapshot().matches('failed')) {
      throw (
        this.#dependencyError ??
        new WorkerStartFailedError('dependencies', supervisor.getSnapshot().context.reason ?? 'unknown')
      );
    }
    this.#startAutoscalePolling(this.#transportOrThrow().redis);
    this.#startMemoryMonitoring();
  }

  /** The worker settings, with the respawn grace of a backend that restarts services by itself (Zinit). */
  #workerSettings(processes: ProcessManager): Partial<WorkerSettings> {
    const { settings } = this.#options;
    const grace = processes.respawnGraceMs ?? 0;
    if (settings.backendRestartGraceMs !== undefined || grace <= 0) return settings;
    return { ...settings, backendRestartGraceMs: grace };
  }

  async #openTransport(): Promise<void> {
    if (this.#transport !== undefined) return;
    const transport = await this.#parts.openTransport();
    this.#transport = transport;
    const unsubscribeActivity = transport.onJobActivity((activity) => this.#onJobActivity(activity));
    // Only a `ready` after an earlier one is a reconnection (the first may already have happened).
    let wasReady = transport.redis.status === 'ready';
    transport.redis.on('ready', () => {
      if (wasReady) {
        this.#redisRestoredAt = this.#now();
        this.#logger.info('Redis connection ready again: failed pings are not counted while the workers reconnect');
      }
      wasReady = true;
    });
    this.#cleanups.unshift(
      { name: 'unsubscribe job activity', run: unsubscribeActivity },
      { name: 'close queues', run: () => Promise.all([...this.#queues.values()].map((queue) => queue.close())) },
      { name: 'close transport', run: () => transport.close() },
    );
    // Activity published before the subscription is active is lost; wait for it, but never block a start on Redis.
    await Promise.race([transport.ready().catch(() => {}), delay(ACTIVITY_READY_WAIT_MS)]);
  }

  async #shutdown(): Promise<void> {
    this.#logger.info('shutting down');
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    await this.#starting?.catch(() => {});
    const supervisor = this.#supervisor;
    if (supervisor !== undefined && supervisor.getSnapshot().status === 'active') {
      supervisor.send({ type: 'SHUTDOWN', at: this.#now() });
      await this.#settle(
        () => supervisor.getSnapshot().status !== 'active',
        'supervisor stopped',
        Number.POSITIVE_INFINITY,
      );
      supervisor.stop();
    }
    for (const step of this.#cleanups) {
      try {
        await step.run();
      } catch (error) {
        this.#reportError(`shutdown step: ${step.name}`, error as Error);
      }
    }
    this.#logger.info('shut down');
  }

  async #findAdoptable(processes: ProcessManager): Promise<Map<string, Record<string, number>>> {
    const adopted = new Map<string, Record<string, number>>();
    const serviceNames = new Set(this.#parts.services.map((spec) => spec.name));
    for (const status of await processes.list()) {
      if (status.pid <= 0 || (status.state !== 'running' && status.state !== 'spawned')) continue;
      if (serviceNames.has(status.name)) {
        this.#adoptedServices.add(status.name);
        continue;
      }
      const scriptType = this.#scriptTypeOfName(status.name);
      if (scriptType === undefined) continue;
      // Null prototype: `byType[name] = pid` stores any name as an own key (`__proto__` included).
      const byType = adopted.get(scriptType) ?? (Object.create(null) as Record<string, number>);
      byType[status.name] = status.pid;
      adopted.set(scriptType, byType);
      this.#logger.info({ worker: status.name, scriptType, pid: status.pid }, 'adopting a worker that already runs');
    }
    return adopted;
  }

  #scriptTypeOfName(name: string): string | undefined {
    const configured = this.#configs.get(name);
    if (configured !== undefined) return configured.scriptType;
    const match = /^(.+)_worker_\d+$/.exec(name);
    return match !== null && this.#parts.scriptTypes.has(match[1] as string) ? match[1] : undefined;
  }

  // ---- internals: effects and routing -----------------------------------------------------------

  #workerEffects() {
    return createWorkerEffects({
      processes: this.#processManager(),
      pings: {
        ping: (workerId, options) => this.#transportOrThrow().ping(workerId, options),
      },
      clock: this.#options.clock,
      logger: this.#logger,
      launchFor: (worker, scriptTypeHint) => this.#launchFor(worker, scriptTypeHint),
      isRedisReachable: () => this.#isRedisReachable(),
      isRedisSettling: () => this.#isRedisSettling(),
      onPinged: (report) => this.#onPinged(report),
      onStateChange: (report) => this.#onWorkerStateChange(report),
    });
  }

  #launchFor(worker: string, scriptTypeHint: string): WorkerLaunch {
    const scriptType = this.#configs.get(worker)?.scriptType ?? (scriptTypeHint || this.#scriptTypeOfName(worker));
    const config =
      this.#configs.get(worker) ??
      (scriptType === undefined ? undefined : this.#parts.scriptTypes.get(scriptType)?.template);
    if (config === undefined || scriptType === undefined)
      throw new WorkerNotFoundError(worker, [...this.#configs.keys()]);
    return {
      config,
      values: { workerId: worker, redisUrl: this.#options.redisUrl, scriptType },
      stopTimeoutMs: this.#options.timings.stopTimeoutMs,
    };
  }

  #onWorkerStateChange({ context, change, eventType, self }: WorkerStateReport) {
    // Every worker actor reports its initial `stopped` (xstate.init): that is where a spawned actor is indexed.
    if (this.#workerIndex.get(context.name)?.ref !== self)
      this.#workerIndex.set(context.name, { ref: self, scriptType: context.scriptType });
    const at = this.#now();
    const previous = this.#lastState.get(context.name);
    this.#lastState.set(context.name, change.state);
    if ((previous === 'starting') !== (change.state === 'starting')) {
      const starting = this.#startingByType.get(context.scriptType) ?? 0;
      this.#startingByType.set(context.scriptType, starting + (change.state === 'starting' ? 1 : -1));
    }
    if (previous !== change.state || change.gaveUp) {
      this.#events.emit('worker:stateChanged', {
        worker: context.name,
        scriptType: context.scriptType,
        from: previous,
        to: change.state,
        pid: context.pid,
        reason: context.reason,
        at,
      });
    }
    if (change.state === 'restarting') {
      this.#events.emit('worker:restarted', {
        worker: context.name,
        scriptType: context.scriptType,
        restarts: context.restartCount,
        reason: context.reason,
        at,
      });
    }
    if (change.gaveUp) {
      this.#events.emit('worker:gaveUp', {
        worker: context.name,
        scriptType: context.scriptType,
        reason: context.reason,
        at,
      });
    }
    this.#wake();
    // The initial `stopped` of a new actor is not news to its scaler: reporting it could make the scaler release
    // an actor whose START is already queued (and whose process may be starting).
    if (eventType === 'xstate.init') return undefined;
    return {
      type: 'worker.stateChanged' as const,
      workerId: context.name,
      state: change.state,
      busy: this.#isBusy(context.name),
      at,
    };
  }

  #onProcessEvent(event: ProcessEvent): void {
    const ref = this.#findWorker(event.service);
    if (ref === undefined) return;
    const { service: _service, ...rest } = event;
    this.#send(ref, { ...rest, at: this.#now() } as WorkerEvent);
  }

  #onJobActivity(activity: JobActivity): void {
    const ref = this.#findWorker(activity.workerId);
    if (ref === undefined) return;
    const jobs = this.#busy.get(activity.workerId) ?? new Set<string>();
    if (activity.phase === 'started') jobs.add(activity.jobId);
    else jobs.delete(activity.jobId);
    this.#busy.set(activity.workerId, jobs);
    this.#send(ref, { type: 'job.activity', jobId: activity.jobId, at: this.#now() });
    // Tell the scaler too: a scale-down must know who is busy.
    this.#scalerRef(snapshotOf(ref).context.scriptType)?.send({
      type: 'worker.stateChanged',
      workerId: activity.workerId,
      state: workerStateOf(snapshotOf(ref)),
      busy: jobs.size > 0,
      at: this.#now(),
    });
  }

  /** PING to the worker's actor, resolved with the outcome its ping actor reports (it runs to its end). */
  #pingThroughActor(name: string, ref: AnyActorRef): Promise<PingOutcome> {
    return new Promise<PingOutcome>((resolve) => {
      let waiters = this.#pingWaiters.get(name);
      if (waiters === undefined) {
        waiters = new Set();
        this.#pingWaiters.set(name, waiters);
      }
      const set = waiters;
      const waiter = (outcome: PingOutcome) => {
        set.delete(waiter);
        resolve(outcome);
      };
      set.add(waiter);
      this.#send(ref, { type: 'PING', at: this.#now() });
      // The actor left idle meanwhile (a job arrived, it stopped...): nothing was sent; ping directly, uncounted.
      if (workerStateOf(snapshotOf(ref)) !== 'pinging') {
        set.delete(waiter);
        const timeoutMs = snapshotOf(ref).context.settings.pingTimeoutMs;
        this.#transportOrThrow()
          .ping(name, { timeoutMs })
          .then(resolve, (error: Error) => resolve({ type: 'failed', reason: error.message }));
      }
    });
  }

  #onPinged(report: WorkerPingReport): void {
    this.#events.emit('worker:pinged', {
      worker: report.worker,
      scriptType: report.scriptType,
      outcome: report.outcome.type,
      latencyMs: report.latencyMs,
      at: report.at,
    });
    // The actor receives this outcome a few promise callbacks later: answer the waiters once it has acted on it
    // (after the microtasks), so a caller's next PING finds the worker idle again, not still pinging.
    const waiters = [...(this.#pingWaiters.get(report.worker) ?? [])];
    if (waiters.length > 0)
      setImmediate(() => {
        for (const waiter of waiters) waiter(report.outcome);
      });
  }

  /** True for a short while after the manager's Redis connection became ready again (see WORKER_RECONNECT_MAX_DELAY_MS). */
  #isRedisSettling(): boolean {
    if (this.#redisRestoredAt === undefined) return false;
    const pingTimeoutMs = this.#options.settings.pingTimeoutMs ?? defaultWorkerSettings.pingTimeoutMs;
    return this.#now() - this.#redisRestoredAt < pingTimeoutMs + 2 * WORKER_RECONNECT_MAX_DELAY_MS;
  }

  #isBusy(worker: string): boolean {
    return (this.#busy.get(worker)?.size ?? 0) > 0;
  }

  async #isRedisReachable(): Promise<boolean> {
    const redis = this.#transport?.redis;
    if (redis === undefined || redis.status !== 'ready') return false;
    try {
      return (await withinMs(redis.ping(), REDIS_PROBE_TIMEOUT_MS)) !== undefined;
    } catch {
      return false;
    }
  }

  // ---- internals: autoscale and memory ----------------------------------------------------------

  #startAutoscalePolling(redis: Redis): void {
    const autoscaled = [...this.#parts.scriptTypes.values()].filter((type) => type.autoscale.enabled === true);
    if (autoscaled.length === 0) return;
    for (const type of autoscaled) this.#queues.set(type.scriptType, this.#parts.openQueue(type.scriptType, redis));
    this.#every(this.#options.timings.autoscalePollIntervalMs, async () => {
      for (const type of autoscaled) {
        const queue = this.#queues.get(type.scriptType);
        if (queue === undefined || redis.status !== 'ready') continue;
        const depth = await readQueueDepth(queue);
        this.#supervisor?.send({ type: 'queue.depthObserved', scriptType: type.scriptType, depth, at: this.#now() });
      }
    });
  }

  #startMemoryMonitoring(): void {
    const limited = [...this.#parts.scriptTypes.values()].filter((type) => type.maxMemoryMb !== undefined);
    if (limited.length === 0) return;
    const limits = new Map(limited.map((type) => [type.scriptType, type.maxMemoryMb as number]));
    const tracker = new MemoryLimitTracker(this.#options.timings.memoryLimitReadings);
    this.#every(this.#options.timings.memoryCheckIntervalMs, async () => {
      for (const [name, ref] of this.#workerRefs()) {
        const snapshot = snapshotOf(ref);
        const limit = limits.get(snapshot.context.scriptType);
        if (limit === undefined || snapshot.context.pid === null || !isUpState(workerStateOf(snapshot))) continue;
        const rssMb = await readRssMb(snapshot.context.pid);
        if (!tracker.record(name, rssMb, limit)) continue;
        this.#workerLogger(name).warn(
          { rssMb: Math.round(rssMb ?? 0), limitMb: limit, reason: 'memory-limit' },
          'restarting worker over its memory limit',
        );
        this.#send(ref, { type: 'RESTART', reason: 'memory-limit', at: this.#now() });
      }
    });
  }

  /** Runs `task` every `intervalMs`, never two at once, reporting failures; the timer does not keep Node alive. */
  #every(intervalMs: number, task: () => Promise<void>): NodeJS.Timeout {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((error: Error) => this.#reportError('background task', error))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }

  // ---- internals: lookups and waits -------------------------------------------------------------

  #supervisorActor(): SupervisorActor {
    if (this.#supervisor === undefined)
      throw new Error('internal: the supervisor actor is not started; please report an issue');
    return this.#supervisor;
  }

  #processManager(): ProcessManager {
    if (this.#processes === undefined) throw new Error('internal: no process manager yet; please report an issue');
    return this.#processes;
  }

  #transportOrThrow() {
    if (this.#transport === undefined) throw new Error('internal: no transport yet; please report an issue');
    return this.#transport;
  }

  #scalerRef(scriptType: string): AnyActorRef | undefined {
    return (this.#supervisor?.getSnapshot().children as Record<string, AnyActorRef | undefined> | undefined)?.[
      scalerId(scriptType)
    ];
  }

  #slots(scriptType: string): WorkerSlot[] {
    const scaler = this.#scalerRef(scriptType);
    if (scaler === undefined) return [];
    return Object.values(
      (scaler.getSnapshot() as { context: { workers: Record<string, WorkerSlot> } }).context.workers,
    );
  }

  /** The scaler's own counts of its slots (see ScalerContext): O(1), unlike visiting the slots. */
  #scalerCounts(scriptType: string): { members: number; slotCount: number } | undefined {
    const scaler = this.#scalerRef(scriptType);
    if (scaler === undefined) return undefined;
    const { members, slotCount } = (scaler.getSnapshot() as { context: ScalerContext }).context;
    return { members, slotCount };
  }

  #refsOfType(scriptType: string): AnyActorRef[] {
    const scaler = this.#scalerRef(scriptType);
    if (scaler === undefined) return [];
    return Object.values(scaler.getSnapshot().children as Record<string, AnyActorRef>);
  }

  /** The worker actors that live now, by name (its scaler still holds each as a child). */
  #workerRefs(): Map<string, AnyActorRef> {
    const refs = new Map<string, AnyActorRef>();
    const childrenByType = new Map<string, Record<string, AnyActorRef | undefined> | undefined>();
    for (const [name, entry] of [...this.#workerIndex]) {
      if (!childrenByType.has(entry.scriptType))
        childrenByType.set(entry.scriptType, this.#childrenOf(entry.scriptType));
      const ref = this.#liveRef(name, entry, childrenByType.get(entry.scriptType));
      if (ref !== undefined) refs.set(name, ref);
    }
    return refs;
  }

  /** The live worker actor named `name`, from the index; an entry of a released actor is dropped. */
  #findWorker(name: string): AnyActorRef | undefined {
    const entry = this.#workerIndex.get(name);
    return entry === undefined ? undefined : this.#liveRef(name, entry, this.#childrenOf(entry.scriptType));
  }

  #liveRef(
    name: string,
    entry: { ref: AnyActorRef; scriptType: string },
    children: Record<string, AnyActorRef | undefined> | undefined,
  ): AnyActorRef | undefined {
    if (children !== undefined && Object.hasOwn(children, name) && children[name] === entry.ref) return entry.ref;
    this.#workerIndex.delete(name);
    return undefined;
  }

  #childrenOf(scriptType: string): Record<string, AnyActorRef | undefined> | undefined {
    return this.#scalerRef(scriptType)?.getSnapshot().children as Record<string, AnyActorRef | undefined> | undefined;
  }

  #workerRef(name: string): AnyActorRef {
    const ref = this.#findWorker(name);
    if (ref === undefined) {
      throw new WorkerNotFoundError(name, [...new Set([...this.#workerRefs().keys(), ...this.#configs.keys()])].sort());
    }
    return ref;
  }

  #workerLogger(name: string): Logger {
    const scriptType = this.#scriptTypeOfName(name);
    return this.#logger.child({ worker: name, scriptType });
  }

  #statusOf(name: string, ref: AnyActorRef): WorkerStatus {
    const snapshot = snapshotOf(ref);
    const { context } = snapshot;
    return {
      name,
      scriptType: context.scriptType,
      state: workerStateOf(snapshot),
      gaveUp: snapshot.matches({ failed: 'gaveUp' }),
      pid: context.pid,
      lastJobAt: context.lastJobAt,
      restarts: context.restartCount,
      consecutivePingFailures: context.consecutivePingFailures,
      reason: context.reason,
      busy: this.#isBusy(name),
    };
  }

  /** Waits until each named worker is up; rejects when one is in `failed` (or `stopped` after a start). */
  async #awaitUp(names: readonly string[]): Promise<void> {
    await this.#settle(
      () => {
        for (const name of names) {
          const ref = this.#findWorker(name);
          if (ref === undefined) continue;
          const snapshot = snapshotOf(ref);
          const state = workerStateOf(snapshot);
          if (state === 'failed') throw new WorkerStartFailedError(name, snapshot.context.reason ?? 'failed');
          if (!UP_STATES.has(state)) return false;
        }
        return true;
      },
      `workers up: ${names.join(', ')}`,
    );
  }

  /**
   * Resolves once `condition` holds; re-checked at every reported change and every 50 ms. A condition that throws
   * rejects the wait with that error. The deadline is generous: the actors have their own timeouts.
   */
  #settle(condition: () => boolean, description: string, timeoutMs = this.#defaultWaitMs()): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        let done: boolean;
        try {
          done = condition();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (done) {
          finish();
          resolve();
        } else if (Date.now() > deadline) {
          finish();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${description}.`));
        }
      };
      const finish = () => {
        this.#wakeups.delete(check);
        if (timer !== undefined) clearInterval(timer);
      };
      this.#wakeups.add(check);
      timer = setInterval(check, SETTLE_POLL_INTERVAL_MS);
      check();
    });
  }

  #defaultWaitMs(): number {
    const settings = { startTimeoutMs: 30_000, ...this.#options.settings };
    // A start may time out and be retried once; a stop may take its full stop timeout before SIGKILL.
    return 2 * settings.startTimeoutMs + this.#options.timings.stopTimeoutMs + 5_000;
  }

  #wake(): void {
    // Checks run after the current actor step, so they see the snapshot that caused the wake-up.
    queueMicrotask(() => {
      for (const check of [...this.#wakeups]) check();
    });
  }

  #send(ref: AnyActorRef, event: WorkerEvent): void {
    ref.send(event);
  }

  #now(): number {
    return this.#options.clock.now();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new Error('This WorkerLifecycleManager was shut down; build a new one.');
  }

  #reportError(context: string, error: Error): void {
    this.#logger.error({ context, err: { message: error.message, name: error.name } }, 'lifecycle error');
    this.#events.emit('lifecycle:error', { context, error });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function snapshotOf(ref: AnyActorRef): WorkerSnapshot {
  return ref.getSnapshot() as WorkerSnapshot;
}

function byName(a: WorkerStatus, b: WorkerStatus): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
