/**
 * `new WorkerLifecycleManagerBuilder(processManagerOrZinitSocketPath).withSupervisor(supervisor).addWorker(config)
 * ....build()`: gathers the configuration, checks it once (each error names the option and the rule) and builds
 * a `WorkerLifecycleManager`. A string argument is a Zinit socket path (the Zinit backend, closed at shutdown);
 * a `ProcessManager` instance stays the caller's to close.
 */
import { Queue, QueueEvents } from 'bullmq';
import { type Logger, pino } from 'pino';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { ConfigError } from '../errors.js';
import { assertCount, assertDuration, configError, MAX_COUNT } from '../limits.js';
import type { ProcessManager, ServiceSpec } from '../process/process-manager.js';
import { ZinitProcessManager } from '../process/zinit/zinit-process-manager.js';
import { JobActivityStream } from '../transport/job-activity.js';
import { PingClient } from '../transport/ping-client.js';
import { jobQueueName } from '../transport/queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  resolveRedisConnection,
} from '../transport/redis-connection.js';
import type { JobActivity } from '../transport/wire-protocol.js';
import { type Clock, systemClock } from './clock.js';
import {
  DEFAULT_LIFECYCLE_TIMINGS,
  type LifecycleTimings,
  type ResolvedLifecycleOptions,
  type ResolvedScriptType,
  resolveScriptType,
  type ScriptTypeOptions,
} from './lifecycle-options.js';
import type { PingPort } from './ping-port.js';
import type { WorkerConfig } from './worker-config.js';
import { type LifecycleTransport, WorkerLifecycleManager } from './worker-lifecycle-manager.js';

/** How far back the autoscaler's job-arrival listener starts reading (see `openQueueEvents`). */
const ARRIVALS_REPLAY_MS = 1_000;

/** What the lifecycle manager uses of a job `Supervisor` (src/jobs/supervisor.ts): its pings and job activity. */
export interface SupervisorPort extends PingPort {
  readonly prefix: string;
  /** `redis://user:***@host:port`: used as `{redisUrl}` when it holds no password (else call withRedis()). */
  readonly redisDisplay: string;
  onJobActivity(listener: (activity: JobActivity) => void): () => void;
  /** Resolves once job activity is being received. */
  jobActivityReady(): Promise<void>;
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Zinit's own default (`zinit init -c /etc/zinit`); pass a ZinitProcessManager for another directory. */
const DEFAULT_ZINIT_CONFIG_DIR = '/etc/zinit';

export class WorkerLifecycleManagerBuilder {
  readonly #processManager: ProcessManager | string;
  readonly #configs = new Map<string, WorkerConfig>();
  readonly #services = new Map<string, ServiceSpec>();
  readonly #scriptTypes = new Map<string, ScriptTypeOptions>();
  #redisUrl: string | undefined;
  #prefix: string | undefined;
  #cluster: readonly string[] | undefined;
  #supervisor: SupervisorPort | undefined;
  #logger: Logger | undefined;
  #clock: Clock = systemClock;
  #settings: Partial<WorkerSettings> = {};
  #timings: Partial<LifecycleTimings> = {};
  #adopt = true;
  #inspect: ResolvedLifecycleOptions['inspect'];

  constructor(processManagerOrZinitSocketPath: ProcessManager | string) {
    if (
      typeof processManagerOrZinitSocketPath !== 'string' &&
      (typeof processManagerOrZinitSocketPath !== 'object' || processManagerOrZinitSocketPath === null)
    ) {
      throw new ConfigError(
        `Expected a ProcessManager or a Zinit socket path, got \`${String(processManagerOrZinitSocketPath)}\`.`,
        [{ path: 'processManager', message: 'expected a ProcessManager or a socket path' }],
      );
    }
    this.#processManager = processManagerOrZinitSocketPath;
  }

  /**
   * The job supervisor: pings and job activity go through it (jobs it runs update their worker's job time), and
   * its Redis is the workers' `{redisUrl}`. A Redis with a password needs `withRedis(url)` too: the supervisor
   * only shows its URL with the password hidden.
   */
  withSupervisor(supervisor: SupervisorPort): this {
    this.#supervisor = supervisor;
    this.#prefix ??= supervisor.prefix;
    if (this.#redisUrl === undefined && !supervisor.redisDisplay.includes('***'))
      this.#redisUrl = supervisor.redisDisplay;
    return this;
  }

  /**
   * The workers' Redis (`{redisUrl}`) and key prefix; `cluster` (`host:port` nodes) for a Redis Cluster, whose
   * prefix is a hash tag (`{hero}`). @defaultValue 'redis://127.0.0.1:6379', prefix 'hero'
   */
  withRedis(url: string, { prefix, cluster }: { prefix?: string; cluster?: readonly string[] } = {}): this {
    resolveRedisConnection({ url, prefix, cluster }); // checks the URL and the prefix now, with their own messages
    this.#redisUrl = url;
    if (prefix !== undefined) this.#prefix = prefix;
    this.#cluster = cluster;
    return this;
  }

  /** @defaultValue pino at level `info`, to stderr */
  withLogger(logger: Logger): this {
    this.#logger = logger;
    return this;
  }

  /** @defaultValue the system clock */
  withClock(clock: Clock): this {
    this.#clock = clock;
    return this;
  }

  /** Worker timings (idle timeout, ping interval, restart intensity...), over `machines/worker.defaults.ts`. */
  withSettings(settings: Partial<WorkerSettings>): this {
    for (const [key, value] of Object.entries(settings)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new ConfigError(
          `Expected \`settings.${key}\` to be a non-negative number, got \`${String(value)}\` (${typeof value}).`,
          [{ path: `settings.${key}`, message: 'expected a non-negative number' }],
        );
      }
    }
    for (const [key, value] of Object.entries(settings)) checkBound(`settings.${key}`, value);
    this.#settings = { ...this.#settings, ...settings };
    return this;
  }

  withTimings(timings: Partial<LifecycleTimings>): this {
    for (const [key, value] of Object.entries(timings)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new ConfigError(
          `Expected \`timings.${key}\` to be a positive number, got \`${String(value)}\` (${typeof value}).`,
          [{ path: `timings.${key}`, message: 'expected a positive number' }],
        );
      }
    }
    for (const [key, value] of Object.entries(timings)) checkBound(`timings.${key}`, value);
    this.#timings = { ...this.#timings, ...timings };
    return this;
  }

  /** The default stop timeout of every worker (a config's own wins). @defaultValue 10 s */
  withStopTimeout(ms: number): this {
    return this.withTimings({ stopTimeoutMs: ms });
  }

  /** Adopt services that already run instead of starting duplicates. @defaultValue true */
  withAdoption(enabled: boolean): this {
    this.#adopt = enabled;
    return this;
  }

  /**
   * Observes the actor system (supervisor, scalers, workers): passed to `createActor(..., { inspect })` of the
   * root actor, e.g. `createBrowserInspector().inspect` or `@statelyai/inspect`'s `createSkyInspector`.
   */
  withInspect(observer: NonNullable<ResolvedLifecycleOptions['inspect']>): this {
    this.#inspect = observer;
    return this;
  }

  /** A worker; the first one of a script type is also that type's template for scaling. */
  addWorker(config: WorkerConfig): this {
    this.#assertNewName(config.name);
    this.#configs.set(config.name, config);
    return this;
  }

  /** A dependency service (e.g. a managed `redis`), started before every worker and stopped after them. */
  addService(spec: ServiceSpec): this {
    this.#assertNewName(spec.name);
    this.#services.set(spec.name, spec);
    return this;
  }

  /** Scaling of one script type: template, min, max, initial count, autoscale, memory limit. */
  withScriptType(scriptType: string, options: ScriptTypeOptions): this {
    this.#scriptTypes.set(scriptType, { ...this.#scriptTypes.get(scriptType), ...options });
    return this;
  }

  build(): WorkerLifecycleManager {
    const types = new Set([
      ...this.#scriptTypes.keys(),
      ...[...this.#configs.values()].map((config) => config.scriptType),
    ]);
    const scriptTypes = new Map<string, ResolvedScriptType>();
    for (const scriptType of types) {
      const configs = [...this.#configs.values()].filter((config) => config.scriptType === scriptType);
      const options = this.#scriptTypes.get(scriptType) ?? {};
      if (options.template !== undefined && options.template.scriptType !== scriptType) {
        throw new ConfigError(
          `The template of script type \`${scriptType}\` is a \`${options.template.scriptType}\` worker: use a config of the same type.`,
          [{ path: `scriptTypes.${scriptType}.template`, message: 'script type mismatch' }],
        );
      }
      scriptTypes.set(scriptType, resolveScriptType(scriptType, options, configs));
    }
    const templates = [...scriptTypes.values()].map((type) => type.template);
    for (const config of [...this.#configs.values(), ...templates]) {
      for (const dependency of config.dependencies) {
        if (!this.#services.has(dependency)) {
          throw new ConfigError(
            `Worker "${config.name}" depends on \`${dependency}\`, which is not a service of this supervisor: add it with addService().`,
            [{ path: `workers.${config.name}.dependencies`, message: `unknown service ${dependency}` }],
          );
        }
      }
    }

    if (this.#supervisor !== undefined && this.#redisUrl === undefined) {
      throw new ConfigError(
        `The supervisor's Redis (${this.#supervisor.redisDisplay}) has a password the workers need: call withRedis(url) with the full URL.`,
        [{ path: 'redis.url', message: 'missing' }],
      );
    }
    const redisUrl = this.#redisUrl ?? DEFAULT_REDIS_URL;
    const supervisor = this.#supervisor;
    const resolved = resolveRedisConnection({ url: redisUrl, prefix: this.#prefix, cluster: this.#cluster });
    const logger = this.#logger ?? pino({ name: 'hero-supervisor', level: 'info' }, pino.destination(2));
    const processManager = this.#processManager;
    return new WorkerLifecycleManager({
      options: {
        redisUrl,
        prefix: this.#prefix,
        logger,
        clock: this.#clock,
        settings: this.#settings,
        timings: { ...DEFAULT_LIFECYCLE_TIMINGS, ...this.#timings },
        adopt: this.#adopt,
        ...(this.#inspect !== undefined && { inspect: this.#inspect }),
      },
      scriptTypes,
      configs: this.#configs,
      services: [...this.#services.values()],
      ownsProcessManager: typeof processManager === 'string',
      openProcessManager: async () =>
        typeof processManager === 'string'
          ? new ZinitProcessManager({ socketPath: processManager, configDir: DEFAULT_ZINIT_CONFIG_DIR, logger })
          : processManager,
      openTransport: async () => openTransport(resolved, { url: redisUrl, cluster: this.#cluster }, logger, supervisor),
      openQueue: (scriptType, connection) =>
        new Queue(jobQueueName(scriptType), { connection, prefix: resolved.prefix }),
      // A connection of its own: QueueEvents blocks on a duplicate of it and never closes the one it was given, so
      // closing or disconnecting the QueueEvents also drops this one (else it reconnects for ever after Redis left).
      openQueueEvents: (scriptType) => {
        const connection = createRedisConnection(resolved, { name: `hero-autoscale-${scriptType}`, logger });
        // Events from a second before now, not from `$` (BullMQ's default, which loses what happens before its first
        // read): stream ids are Redis's milliseconds, so a job added while the listener connects still wakes the
        // autoscaler, and a replayed older arrival costs one extra read of the load.
        const events = new QueueEvents(jobQueueName(scriptType), {
          connection,
          prefix: resolved.prefix,
          lastEventId: `${Date.now() - ARRIVALS_REPLAY_MS}-0`,
        });
        const close = events.close.bind(events);
        const disconnect = events.disconnect.bind(events);
        events.close = () => close().finally(() => connection.disconnect());
        events.disconnect = () => disconnect().finally(() => connection.disconnect());
        return events;
      },
    });
  }

  #assertNewName(name: string): void {
    if (this.#configs.has(name) || this.#services.has(name)) {
      throw new ConfigError(`The name "${name}" is used twice: workers and services need unique names.`, [
        { path: `workers.${name}`, message: 'duplicate name' },
      ]);
    }
  }
}

/** Pings and job activity through the caller's Supervisor, or through clients of our own. */
function openTransport(
  resolved: ResolvedRedisConnection,
  redisUrl: RedisConnectionOptions,
  logger: Logger,
  supervisor: SupervisorPort | undefined,
): LifecycleTransport {
  const redis = createRedisConnection(resolved, { name: 'hero-lifecycle', logger });
  if (supervisor !== undefined) {
    return {
      pings: supervisor,
      ping: (workerId, options) => supervisor.pingWorker(workerId, options),
      onJobActivity: (listener) => supervisor.onJobActivity(listener),
      ready: () => supervisor.jobActivityReady(),
      redis,
      close: async () => {
        redis.disconnect();
      },
    };
  }
  const pings = new PingClient({ redis: redisUrl, prefix: resolved.prefix, logger });
  const activity = new JobActivityStream({ redis: redisUrl, prefix: resolved.prefix, logger });
  return {
    pings,
    ping: (workerId, options) => pings.ping(workerId, options),
    onJobActivity: (listener) => activity.subscribe(listener),
    ready: () => activity.ready(),
    redis,
    close: async () => {
      await Promise.allSettled([pings.close(), activity.close()]);
      redis.disconnect();
    },
  };
}

/** A `…Ms` field is a duration (at most Node's timer limit), any other a count: see src/limits.ts. */
function checkBound(field: string, value: number): void {
  if (field.endsWith('Ms')) assertDuration(field, value, configError);
  else assertCount(field, Math.ceil(value), 0, MAX_COUNT, configError);
}
