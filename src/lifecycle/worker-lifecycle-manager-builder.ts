/**
 * `new WorkerLifecycleManagerBuilder(processManagerOrZinitSocketPath).withSupervisor(supervisor).addWorker(config)
 * ....build()`: gathers the configuration, checks it once (each error names the option and the rule) and builds
 * a `WorkerLifecycleManager`. A string argument is a Zinit socket path (the Zinit backend, closed at shutdown);
 * a `ProcessManager` instance stays the caller's to close.
 */
import { Queue } from 'bullmq';
import { type Logger, pino } from 'pino';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { ConfigError } from '../errors.js';
import type { ProcessManager, ServiceSpec } from '../process/process-manager.js';
import { JobActivityStream } from '../transport/job-activity.js';
import { PingClient } from '../transport/ping-client.js';
import { jobQueueName } from '../transport/queue-names.js';
import { createRedisConnection, resolveRedisConnection } from '../transport/redis-connection.js';
import { type Clock, systemClock } from './clock.js';
import {
  DEFAULT_LIFECYCLE_TIMINGS,
  type LifecycleTimings,
  type ResolvedScriptType,
  resolveScriptType,
  type ScriptTypeOptions,
} from './lifecycle-options.js';
import type { WorkerConfig } from './worker-config.js';
import { WorkerLifecycleManager } from './worker-lifecycle-manager.js';

/** Where the workers' jobs, pings and activity go: a job `Supervisor`, or anything with its Redis URL and prefix. */
export interface RedisEndpoint {
  readonly redisUrl: string;
  readonly prefix?: string;
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export class WorkerLifecycleManagerBuilder {
  readonly #processManager: ProcessManager | string;
  readonly #configs = new Map<string, WorkerConfig>();
  readonly #services = new Map<string, ServiceSpec>();
  readonly #scriptTypes = new Map<string, ScriptTypeOptions>();
  #redisUrl: string | undefined;
  #prefix: string | undefined;
  #logger: Logger | undefined;
  #clock: Clock = systemClock;
  #settings: Partial<WorkerSettings> = {};
  #timings: Partial<LifecycleTimings> = {};
  #adopt = true;

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

  /** The job supervisor (or any `{ redisUrl, prefix }`) whose Redis the workers use: `{redisUrl}` in templates. */
  withSupervisor(supervisor: RedisEndpoint): this {
    return this.withRedis(supervisor.redisUrl, { prefix: supervisor.prefix });
  }

  /** @defaultValue 'redis://127.0.0.1:6379', prefix 'hero' */
  withRedis(url: string, { prefix }: { prefix?: string } = {}): this {
    resolveRedisConnection({ url, prefix }); // checks the URL and the prefix now, with their own messages
    this.#redisUrl = url;
    this.#prefix = prefix;
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
        throw new ConfigError(`Expected \`settings.${key}\` to be a non-negative number, got \`${String(value)}\` (${typeof value}).`, [
          { path: `settings.${key}`, message: 'expected a non-negative number' },
        ]);
      }
    }
    this.#settings = { ...this.#settings, ...settings };
    return this;
  }

  withTimings(timings: Partial<LifecycleTimings>): this {
    for (const [key, value] of Object.entries(timings)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new ConfigError(`Expected \`timings.${key}\` to be a positive number, got \`${String(value)}\` (${typeof value}).`, [
          { path: `timings.${key}`, message: 'expected a positive number' },
        ]);
      }
    }
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
    const types = new Set([...this.#scriptTypes.keys(), ...[...this.#configs.values()].map((config) => config.scriptType)]);
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

    const redisUrl = this.#redisUrl ?? DEFAULT_REDIS_URL;
    const resolved = resolveRedisConnection({ url: redisUrl, prefix: this.#prefix });
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
      },
      scriptTypes,
      configs: this.#configs,
      services: [...this.#services.values()],
      ownsProcessManager: typeof processManager === 'string',
      openProcessManager: async () =>
        typeof processManager === 'string' ? openZinit(processManager) : processManager,
      openTransport: async () => ({
        pings: new PingClient({ redis: redisUrl, prefix: resolved.prefix, logger }),
        activity: new JobActivityStream({ redis: redisUrl, prefix: resolved.prefix, logger }),
        redis: createRedisConnection(resolved, { name: 'hero-lifecycle', logger }),
      }),
      openQueue: (scriptType, connection) =>
        new Queue(jobQueueName(scriptType), { connection, prefix: resolved.prefix }),
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

/** The Zinit backend for a socket path. Loaded on demand so that embedders of the embedded backend never load it. */
async function openZinit(socketPath: string): Promise<ProcessManager> {
  const module = (await import(ZINIT_MODULE)) as {
    ZinitProcessManager: new (options: { socketPath: string }) => ProcessManager;
  };
  return new module.ZinitProcessManager({ socketPath });
}

const ZINIT_MODULE = '../process/zinit/zinit-process-manager.js';
