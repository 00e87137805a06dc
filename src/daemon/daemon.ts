/**
 * The daemon: config → process manager (embedded or Zinit) → Redis reachable → lifecycle manager (workers,
 * health, scaling, dependency services) → admin endpoint. `stop()` undoes it in reverse order. Startup errors
 * say what failed and what to do; a half-started daemon stops what it started before it rethrows.
 */
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';
import { type AdminAddress, AdminServer } from '../admin/admin-server.js';
import { Dashboard } from '../admin/dashboard/dashboard.js';
import type { StatusReport } from '../admin/status-report.js';
import { endpointOf } from '../cli/admin-endpoint.js';
import type { SupervisorConfig } from '../config/config-types.js';
import { WorkerStartFailedError } from '../errors.js';
import { DaemonFleet } from '../fleet/daemon-fleet.js';
import type { WorkerLifecycleManager } from '../lifecycle/worker-lifecycle-manager.js';
import type { Redactor } from '../log/redact.js';
import { SupervisorMetrics } from '../metrics/supervisor-metrics.js';
import { isLoopbackHost } from '../net/loopback.js';
import { EmbeddedProcessManager } from '../process/embedded/embedded-process-manager.js';
import type { ProcessManager } from '../process/process-manager.js';
import { JobActivityStream } from '../transport/job-activity.js';
import {
  createRedisConnection,
  type ResolvedRedisConnection,
  resolveRedisConnection,
} from '../transport/redis-connection.js';
import { resolveAdminToken } from './admin-token.js';
import { buildLifecycle } from './build-lifecycle.js';
import { DaemonControl } from './daemon-control.js';
import { DaemonLock, daemonLockPath } from './daemon-lock.js';
import { waitForRedis } from './wait-for-redis.js';

export interface DaemonOptions {
  config: SupervisorConfig;
  logger: Logger;
  /** Knows the config's secrets; the generated admin token is added to it. */
  redactor: Redactor;
  /** xstate inspection of every actor (`--inspect`, `--inspect-log`). */
  inspect?: Observer<InspectionEvent>;
  /** Aborts a start that is still waiting (for Redis). */
  signal?: AbortSignal;
  /** Use this process manager instead of building one from the config (it stays the caller's to close). */
  processManager?: ProcessManager;
}

/** Where the embedded backend records its children when the config names no state file. */
export function defaultStateFile(config: SupervisorConfig): string {
  const slug = endpointOf(config.admin)
    .replace(/^https?:\/\//, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return join(homedir(), '.hero-supervisor', `${slug}.children.json`);
}

/** The URL the workers connect with: the configured one with the ACL user and password put in. */
export function workerRedisUrl(config: SupervisorConfig): string {
  const url = new URL(config.redis.url);
  if (config.redis.username !== undefined) url.username = encodeURIComponent(config.redis.username);
  if (config.redis.password !== undefined) url.password = encodeURIComponent(config.redis.password);
  if (config.redis.tls !== undefined) url.protocol = 'rediss:';
  return url.toString();
}

async function tlsOptionsOf(config: SupervisorConfig): Promise<TlsOptions | undefined> {
  const tls = config.redis.tls;
  if (tls === undefined) return undefined;
  const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path));
  const [ca, cert, key] = await Promise.all([read(tls.ca), read(tls.cert), read(tls.key)]);
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(tls.servername !== undefined && { servername: tls.servername }),
  };
}

export class Daemon {
  readonly startedAt = Date.now();
  readonly metrics = new SupervisorMetrics();
  #cleanups: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  #lifecycle: WorkerLifecycleManager | undefined;
  #processManager: ProcessManager | undefined;
  #admin: AdminServer | undefined;
  #control: DaemonControl | undefined;
  #adminToken: string | undefined;
  #tokenFile: string | undefined;
  #closing: Promise<void> | undefined;
  #fleet: DaemonFleet | undefined;

  private constructor(readonly options: DaemonOptions) {}

  /** Starts everything; on failure stops what was started and rethrows. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.#start();
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  get lifecycle(): WorkerLifecycleManager {
    if (this.#lifecycle === undefined) throw new Error('daemon not started');
    return this.#lifecycle;
  }

  get processManager(): ProcessManager {
    if (this.#processManager === undefined) throw new Error('daemon not started');
    return this.#processManager;
  }

  get adminAddress(): AdminAddress | undefined {
    return this.#admin?.address;
  }

  /** The admin token (generated when the config has none); never logged. */
  get adminToken(): string | undefined {
    return this.#adminToken;
  }

  /** What `GET /status` answers: workers with CPU and memory, queues, jobs by outcome, services. */
  status(): Promise<StatusReport> {
    if (this.#control === undefined) throw new Error('daemon not started');
    return this.#control.status();
  }

  /** The fleet membership when the config has a `fleet` section (src/fleet/). */
  get fleet(): DaemonFleet | undefined {
    return this.#fleet;
  }

  /** Where a generated token was written, if one was. */
  get tokenFile(): string | undefined {
    return this.#tokenFile;
  }

  async #start(): Promise<void> {
    const { config, redactor } = this.options;
    let { logger } = this.options;
    // 0. One daemon per config: the lock is taken before anything is touched (state file, orphans, token file); a
    // second daemon stops here with DaemonAlreadyRunningError. Released last.
    const lock = await DaemonLock.acquire(daemonLockPath(config, defaultStateFile(config)));
    this.#cleanups.push({ name: 'release daemon lock', run: () => lock.release() });
    logger.debug({ lock: lock.path }, 'daemon lock taken');
    const tls = await tlsOptionsOf(config);
    const redis: ResolvedRedisConnection = resolveRedisConnection({
      url: config.redis.url,
      prefix: config.redis.keyPrefix,
      ...(config.redis.username !== undefined && { username: config.redis.username }),
      ...(config.redis.password !== undefined && { password: config.redis.password }),
      ...(tls !== undefined && { tls }),
      ...(config.redis.cluster !== undefined && { cluster: config.redis.cluster }),
    });
    const urlForWorkers = workerRedisUrl(config);

    // 1. The process manager. The embedded one ends orphans a crashed predecessor left (its state file).
    if (this.options.processManager !== undefined) this.#processManager = this.options.processManager;
    else {
      const processManager = await this.#openProcessManager(config, logger);
      this.#processManager = processManager;
      this.#cleanups.unshift({ name: 'close process manager', run: () => processManager.close() });
    }

    // 2. Redis. A Redis that is one of our own services comes up with them, in the lifecycle manager's start.
    if (Object.keys(config.services).length === 0) {
      await waitForRedis(redis, { logger, ...(this.options.signal !== undefined && { signal: this.options.signal }) });
    }

    // 3. The lifecycle manager (built now, started after the admin endpoint listens). In a fleet its workers carry
    // the host id on the wire, and every log line the host id.
    const fleet =
      config.fleet === undefined
        ? undefined
        : new DaemonFleet({
            config: { ...config, fleet: config.fleet },
            redis,
            clientRedis: {
              url: urlForWorkers,
              prefix: config.redis.keyPrefix,
              ...(tls !== undefined && { tls }),
              ...(config.redis.cluster !== undefined && { cluster: config.redis.cluster }),
            },
            logger,
          });
    if (fleet !== undefined) {
      this.#fleet = fleet;
      logger = fleet.logger;
      this.#cleanups.unshift({ name: 'close fleet clients', run: () => fleet.close() });
    }
    const builder = await buildLifecycle({
      config,
      processManager: this.#processManager,
      workerRedisUrl: urlForWorkers,
      logger,
      ...(fleet !== undefined && { fleetHostId: fleet.hostId }),
    });
    if (fleet !== undefined) builder.withSupervisor(fleet.supervisorPort());
    const inspectable = builder as unknown as { withInspect?: (observer: Observer<InspectionEvent>) => unknown };
    if (this.options.inspect !== undefined) {
      if (typeof inspectable.withInspect === 'function') inspectable.withInspect(this.options.inspect);
      else logger.warn('this build of the lifecycle manager cannot be inspected yet: --inspect has no effect');
    }
    const lifecycle = builder.build();
    this.#lifecycle = lifecycle;
    this.#cleanups.unshift({ name: 'shut down lifecycle manager', run: () => lifecycle.shutdown() });
    lifecycle.on('worker:restarted', (event) => this.metrics.recordRestart(event.scriptType, event.worker));
    lifecycle.on('worker:gaveUp', (event) => this.metrics.recordGiveUp(event.scriptType, event.worker));
    // Ping round trips feed hero_ping_latency_seconds once the lifecycle manager reports them (`worker:pinged`,
    // requested; until then only the demo's explicit health passes are observed). Typed loosely on purpose.
    const onAny = lifecycle.on.bind(lifecycle) as unknown as (
      name: string,
      listener: (event: unknown) => void,
    ) => () => void;
    onAny('worker:pinged', (event) => {
      const { scriptType, outcome, latencyMs } = event as {
        scriptType?: unknown;
        outcome?: unknown;
        latencyMs?: unknown;
      };
      const kind = typeof outcome === 'object' && outcome !== null ? (outcome as { type?: unknown }).type : outcome;
      const ms = typeof latencyMs === 'number' ? latencyMs : (outcome as { latencyMs?: unknown } | null)?.latencyMs;
      if (typeof scriptType === 'string' && typeof kind === 'string' && typeof ms === 'number') {
        this.metrics.observePing(scriptType, kind, ms / 1000);
      }
    });
    lifecycle.on('lifecycle:error', (event) =>
      logger.warn({ err: event.error, context: event.context }, 'lifecycle step failed'),
    );

    // 4. What the admin endpoint reads: queue counts and job outcomes over their own connections.
    const connection: Redis = createRedisConnection(redis, { name: 'hero-supervisor-admin', logger });
    this.#cleanups.unshift({ name: 'close admin redis connection', run: () => connection.disconnect() });
    const activity = new JobActivityStream({
      redis: {
        url: urlForWorkers,
        prefix: config.redis.keyPrefix,
        ...(tls !== undefined && { tls }),
        ...(config.redis.cluster !== undefined && { cluster: config.redis.cluster }),
      },
      logger,
    });
    this.#cleanups.unshift({ name: 'close job activity stream', run: () => activity.close() });
    const control = new DaemonControl({
      config,
      lifecycle,
      processManager: this.#processManager,
      metrics: this.metrics,
      connection,
      activity,
      redisDisplay: redis.display,
      startedAt: this.startedAt,
      logger,
      ...(fleet !== undefined && { fleet }),
    });
    this.#control = control;
    this.#cleanups.unshift({ name: 'close daemon control', run: () => control.close() });
    // The first sample: `status` answers from background samples and never waits for one.
    await control.start();

    // 5. The admin endpoint, before any worker starts: a port in use fails the start with nothing spawned.
    if (config.admin.enabled) {
      const { token, writtenTo } = await resolveAdminToken(config.admin);
      this.#adminToken = token;
      this.#tokenFile = writtenTo;
      if (writtenTo !== undefined) {
        // A generated token is good for this run only: remove it with the daemon.
        this.#cleanups.unshift({ name: 'remove generated token file', run: () => rm(writtenTo, { force: true }) });
      }
      redactor.add([token]);
      const dashboard = new Dashboard({
        control,
        events: lifecycle,
        processManager: this.#processManager,
        token,
        logger,
        redactor,
      });
      this.#cleanups.unshift({ name: 'close dashboard', run: () => dashboard.close() });
      const admin = new AdminServer({
        control,
        metrics: this.metrics,
        token,
        host: config.admin.host,
        port: config.admin.port,
        ...(config.admin.socketPath !== undefined && { socketPath: config.admin.socketPath }),
        logger,
        redactor,
        dashboard,
      });
      try {
        await admin.listen();
      } catch (error) {
        const where = config.admin.socketPath ?? `${config.admin.host}:${config.admin.port}`;
        const code = (error as NodeJS.ErrnoException).code;
        const hint =
          code === 'EADDRINUSE' ? ': another process uses it (another daemon?). Set admin.port, or stop it' : '';
        throw new Error(`Cannot listen for admin requests on ${where} (${code ?? (error as Error).message})${hint}.`, {
          cause: error,
        });
      }
      this.#admin = admin;
      if (config.admin.socketPath === undefined && !isLoopbackHost(config.admin.host)) {
        logger.warn(
          { host: config.admin.host },
          'the admin endpoint listens on a non-loopback address (admin.allowRemote): it is reachable from the network, in clear text; put TLS in front and keep the token long',
        );
      }
      // First in the cleanup list: stop taking commands before anything else goes.
      this.#cleanups.unshift({ name: 'close admin endpoint', run: () => admin.close() });
      const address = admin.address;
      logger.info(
        {
          admin: address?.type === 'tcp' ? address.url : address?.socketPath,
          ...(writtenTo !== undefined && { tokenFile: writtenTo }),
        },
        writtenTo !== undefined
          ? 'admin endpoint listening; generated token written to tokenFile'
          : 'admin endpoint listening',
      );
    }

    // 6. Dependency services, then the workers.
    try {
      await lifecycle.startAllWorkers();
    } catch (error) {
      // A worker that fails to come up keeps being restarted (with backoff) in the background: the daemon runs on.
      if (!(error instanceof WorkerStartFailedError) || (error as { worker?: string }).worker === 'dependencies')
        throw error;
      logger.error({ err: error }, 'a worker did not come up at start; it keeps being restarted');
    }
    // 7. In a fleet: join; from now on the fleet's shares set this host's counts. Left first at shutdown.
    if (fleet !== undefined) {
      const address = this.#admin?.address;
      await fleet.start(lifecycle, this.metrics.registry, address?.type === 'tcp' ? address.url : undefined);
      this.#cleanups.unshift({ name: 'leave the fleet', run: () => fleet.leave() });
    }
    // Sample the workers that just started, so that the first `status` after "supervisor running" shows their
    // memory and CPU rather than waiting for the next background sample.
    await control.refresh();
    logger.info(
      { workers: lifecycle.listWorkers().length, backend: config.processManager.type, redis: redis.display },
      'supervisor running',
    );
  }

  async #openProcessManager(config: SupervisorConfig, logger: Logger): Promise<ProcessManager> {
    const pm = config.processManager;
    if (pm.type === 'embedded') {
      return new EmbeddedProcessManager({ logger, stateFile: pm.stateFile ?? defaultStateFile(config) });
    }
    const { ZinitProcessManager } = await import('../process/zinit/zinit-process-manager.js');
    return new ZinitProcessManager({
      socketPath: pm.socketPath,
      configDir: pm.configDir,
      pollIntervalMs: pm.pollIntervalMs,
    });
  }

  /** Idempotent: admin endpoint, workers and services (reverse order), connections, process manager. */
  stop(): Promise<void> {
    this.#closing ??= (async () => {
      for (const step of this.#cleanups) {
        try {
          await step.run();
        } catch (error) {
          this.options.logger.warn({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      this.#cleanups = [];
    })();
    return this.#closing;
  }
}
