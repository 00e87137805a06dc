/**
 * The admin endpoint's view of a running daemon (`AdminControl`): status from the lifecycle manager, `/proc`,
 * BullMQ's queue getters and the job activity stream; commands go to the lifecycle manager.
 *
 * `status()` does no I/O (issue 8 #11, fault finding F13): worker CPU and memory (the workers' own process trees in
 * `/proc`, or Zinit's `service_stats`), queue counts and service states are sampled in the background every
 * `STATUS_SAMPLE_INTERVAL_MS`, and a request combines the last snapshot (with its `sampledAt`) with the lifecycle
 * manager's in-memory worker states. A request costs the same whether the machine runs 10 processes or 10,000, and
 * whether Redis answers or not.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AdminControl } from '../admin/admin-server.js';
import type { QueueReport, ServiceReport, StatusReport, WorkerReport } from '../admin/status-report.js';
import type { SupervisorConfig } from '../config/config-types.js';
import { SupervisorError, WorkerNotFoundError } from '../errors.js';
import type { FleetReport } from '../fleet/fleet-report.js';
import type { WorkerLifecycleManager } from '../lifecycle/worker-lifecycle-manager.js';
import { PeriodicSampler } from '../metrics/periodic-sampler.js';
import { CpuRateTracker, lifetimeCpuPercent, type ProcessStats, readProcessStats } from '../metrics/proc-stats.js';
import type { SupervisorMetrics } from '../metrics/supervisor-metrics.js';
import type { ProcessManager } from '../process/process-manager.js';
import type { ZinitServiceStats } from '../process/zinit/zinit-client.js';
import type { JobActivityStream } from '../transport/job-activity.js';
import { jobQueueName } from '../transport/queue-names.js';
import { withinMs } from '../within-ms.js';
import { packageVersion } from '../worker/version.js';

/** An unknown script type in `scale`: the admin endpoint answers 404, the CLI exits 5. */
export class ScriptTypeNotFoundError extends SupervisorError {
  constructor(scriptType: string, known: readonly string[]) {
    super('WORKER_NOT_FOUND', `Unknown script type "${scriptType}" (configured: ${known.join(', ') || 'none'}).`);
  }
}

/**
 * An unknown worker named through the admin endpoint: the message speaks of what a CLI user can do (the library's
 * WorkerNotFoundError speaks of `addWorker()`). Still a WorkerNotFoundError: 404, the CLI exits 5.
 */
export class UnknownWorkerError extends WorkerNotFoundError {
  constructor(worker: string, known: readonly string[], options?: { cause?: unknown }) {
    super(worker, known, options);
    const listed = known.length === 0 ? 'no workers run now' : `workers: ${known.slice(0, 10).join(', ')}`;
    this.message =
      `Unknown worker "${worker}" (${listed}). \`hero-supervisor status\` lists them; ` +
      'more workers come from `hero-supervisor scale <type> <n>` or the `scriptTypes` of the config.';
  }
}

/** `service_stats` takes about 1 s inside Zinit (it samples CPU); a status waits for it at most this long. */
const ZINIT_STATS_TIMEOUT_MS = 1_500;

/**
 * A queue count that takes longer than this is reported as unknown (`?`): a sample must end while Redis is away.
 * Samples run in the background, so no request waits for it; generous, because a loaded machine (CI) can take a
 * second or more to answer, and an unknown count there would be noise.
 */
const QUEUE_COUNT_TIMEOUT_MS = 3_000;

/**
 * Pause between background samples of `/proc`, queue counts and services. A second keeps `status` figures fresh
 * enough for a person and for a 15 s Prometheus scrape, averages CPU% over a meaningful window, and costs one walk of
 * the workers' process trees per second (about 0.2 ms of CPU per worker: some 40 ms, 4% of a core, with 200
 * workers) instead of a walk of all of `/proc` per request.
 */
export const STATUS_SAMPLE_INTERVAL_MS = 1_000;

interface WorkerSample {
  stats: ProcessStats;
  /** Between this sample and the previous one; on a first sighting, the average since the process started. */
  cpuPercent: number | null;
}

/** One background sample: what `status()` reads without waiting. */
interface StatusSample {
  /** By pid, for the pids visible in our `/proc`. */
  processes: Map<number, WorkerSample>;
  /** The pids this sample looked for (found or not): a worker with a pid outside it calls for a fresh sample. */
  soughtPids: Set<number>;
  /** By worker name, from Zinit's `service_stats`, for workers not visible in our `/proc`. */
  zinit: Map<string, { cpuPercent: number; memoryBytes: number }>;
  /** By script type; null when Redis could not be read. */
  queues: Map<string, QueueReport | null>;
  services: ServiceReport[];
}

export interface DaemonControlParts {
  config: SupervisorConfig;
  lifecycle: WorkerLifecycleManager;
  processManager: ProcessManager;
  metrics: SupervisorMetrics;
  connection: Redis;
  activity: JobActivityStream;
  /** Without its password. */
  redisDisplay: string;
  startedAt: number;
  /** Where a failed background sample is reported. */
  logger?: Logger;
  /** In a fleet, `scale` sets the fleet's desired count and `fleet()` reports every member. */
  fleet?: {
    setDesired(scriptType: string, count: number): Promise<void>;
    report(): Promise<FleetReport>;
  };
}

export class DaemonControl implements AdminControl {
  readonly #parts: DaemonControlParts;
  readonly #queues = new Map<string, Queue>();
  readonly #jobs = new Map<string, { completed: number; failed: number }>();
  readonly #cpu = new CpuRateTracker();
  readonly #unsubscribe: () => void;
  readonly #sampler: PeriodicSampler<StatusSample>;

  constructor(parts: DaemonControlParts) {
    this.#parts = parts;
    this.#sampler = new PeriodicSampler({
      sample: () => this.#sample(),
      intervalMs: STATUS_SAMPLE_INTERVAL_MS,
      onError: (error) => parts.logger?.warn({ err: error }, 'status sample failed'),
    });
    for (const name of Object.keys(parts.config.scriptTypes)) {
      this.#jobs.set(name, { completed: 0, failed: 0 });
      const queue = new Queue(jobQueueName(name), {
        connection: parts.connection,
        prefix: parts.config.redis.keyPrefix,
      });
      // A BullMQ queue without an `error` listener prints connection errors to stderr by itself: the connection's
      // own watcher already logs outages once.
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    this.#unsubscribe = parts.activity.subscribe((activity) => {
      if (activity.phase !== 'finished' || activity.outcome === undefined) return;
      const scriptType = activity.scriptType ?? activity.workerId.replace(/_worker_\d+$/, '');
      const counts = this.#jobs.get(scriptType);
      if (counts === undefined) return;
      counts[activity.outcome]++;
      parts.metrics.recordJob(scriptType, activity.outcome);
    });
  }

  /** Takes the first sample and starts sampling in the background. */
  async start(): Promise<void> {
    await this.#sampler.start();
  }

  /** Samples now (after the workers started, say), so that the next `status()` shows them with their figures. */
  async refresh(): Promise<void> {
    await this.#sampler.refresh();
  }

  /** The lifecycle manager's worker states, now, with the figures of the latest background sample. No I/O. */
  async status(): Promise<StatusReport> {
    const { config, lifecycle, startedAt } = this.#parts;
    const now = Date.now();
    const workers = lifecycle.listWorkers();
    const latest = this.#sampler.latest;
    const sample = latest?.value ?? emptySample();
    // A worker whose process the latest sample did not look for (it just started or restarted): ask for a sample
    // now rather than in up to a second. This request answers with what there is.
    if (workers.some((worker) => worker.pid !== null && !sample.soughtPids.has(worker.pid)))
      void this.#sampler.refresh();
    const workerReports: WorkerReport[] = workers.map((worker) => {
      const local = worker.pid !== null ? sample.processes.get(worker.pid) : undefined;
      const fromZinit = local === undefined && worker.pid !== null ? sample.zinit.get(worker.name) : undefined;
      return {
        name: worker.name,
        scriptType: worker.scriptType,
        state: worker.gaveUp ? 'failed (gave up)' : worker.state,
        pid: worker.pid,
        startedAt: local?.stats.startedAt ?? null,
        uptimeMs: local !== undefined ? Math.max(0, now - local.stats.startedAt) : null,
        lastJobAt: worker.lastJobAt,
        restarts: worker.restarts,
        consecutivePingFailures: worker.consecutivePingFailures,
        reason: worker.reason,
        cpuSeconds: local?.stats.cpuSeconds ?? null,
        cpuPercent: local?.cpuPercent ?? fromZinit?.cpuPercent ?? null,
        memoryBytes: local?.stats.memoryBytes ?? fromZinit?.memoryBytes ?? null,
      };
    });
    const scriptTypes = Object.values(config.scriptTypes).map((type) => ({
      name: type.name,
      min: type.min,
      max: type.max,
      desired: workers.filter((worker) => worker.scriptType === type.name && worker.state !== 'stopped').length,
      running: lifecycle.getRunningWorkerCount(type.name),
      queue: sample.queues.get(type.name) ?? null,
      jobs: { ...(this.#jobs.get(type.name) ?? { completed: 0, failed: 0 }) },
    }));
    return {
      daemon: {
        pid: process.pid,
        version: packageVersion(),
        startedAt,
        uptimeMs: now - startedAt,
        backend: config.processManager.type,
        redisUrl: this.#parts.redisDisplay,
      },
      sampledAt: latest?.sampledAt ?? null,
      sampleAgeMs: latest !== undefined ? Math.max(0, now - latest.sampledAt) : null,
      workers: workerReports,
      scriptTypes,
      services: sample.services.map((service) => ({ ...service })),
    };
  }

  async scale(scriptType: string, count: number): Promise<void> {
    const known = Object.keys(this.#parts.config.scriptTypes);
    if (!known.includes(scriptType)) throw new ScriptTypeNotFoundError(scriptType, known);
    if (this.#parts.fleet !== undefined) await this.#parts.fleet.setDesired(scriptType, count);
    else await this.#parts.lifecycle.scaleWorkers(scriptType, count);
  }

  /** Every fleet member and its workers; undefined when this daemon is not in a fleet. */
  async fleet(): Promise<FleetReport | undefined> {
    return this.#parts.fleet?.report();
  }

  async restart(worker: string): Promise<void> {
    await this.#forWorker(worker, () => this.#parts.lifecycle.restartWorker(worker));
  }

  async stop(worker: string): Promise<void> {
    await this.#forWorker(worker, () => this.#parts.lifecycle.stopWorker(worker));
  }

  logs(worker: string, options: { follow: boolean; tail: number }): AsyncIterable<string> {
    const { lifecycle, processManager, config } = this.#parts;
    // Unknown names fail here (404) before any stream starts; services have logs too.
    if (!Object.hasOwn(config.services, worker)) this.#forWorker(worker, () => lifecycle.getWorkerStatus(worker));
    return processManager.logs(worker, { tail: options.tail, follow: options.follow });
  }

  /** Runs `command`; a WorkerNotFoundError becomes one whose message speaks of CLI commands. */
  #forWorker<T>(worker: string, command: () => T): T {
    const translate = (error: unknown): never => {
      if (!(error instanceof WorkerNotFoundError) || error instanceof UnknownWorkerError) throw error;
      const known = this.#parts.lifecycle.listWorkers().map((status) => status.name);
      throw new UnknownWorkerError(worker, known, { cause: error });
    };
    try {
      const result = command();
      return (result instanceof Promise ? result.catch(translate) : result) as T;
    } catch (error) {
      return translate(error);
    }
  }

  async close(): Promise<void> {
    this.#sampler.close();
    this.#unsubscribe();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
  }

  /** One background sample; each part fails soft (unknown figures), so a sample always ends. */
  async #sample(): Promise<StatusSample> {
    const { config, lifecycle, processManager } = this.#parts;
    const workers = lifecycle.listWorkers();
    const soughtPids = new Set(workers.flatMap((worker) => (worker.pid !== null ? [worker.pid] : [])));
    const [local, queues, services] = await Promise.all([
      readProcessStats(soughtPids),
      Promise.all(Object.keys(config.scriptTypes).map(async (name) => [name, await this.#queueCounts(name)] as const)),
      Promise.all(
        Object.keys(config.services).map(async (name): Promise<ServiceReport> => {
          try {
            const status = await processManager.status(name);
            return { name, state: status.state, pid: status.pid || null };
          } catch {
            return { name, state: 'unknown', pid: null };
          }
        }),
      ),
    ]);
    const at = Date.now();
    this.#cpu.retain(local.keys());
    const processes = new Map<number, WorkerSample>();
    for (const [pid, stats] of local) {
      const cpuPercent = this.#cpu.rate(stats, at) ?? lifetimeCpuPercent(stats, at) ?? null;
      processes.set(pid, { stats, cpuPercent });
    }
    const zinit = await this.#zinitStats(
      workers.filter((worker) => worker.pid !== null && !local.has(worker.pid)).map((worker) => worker.name),
    );
    return { processes, soughtPids, zinit, queues: new Map(queues), services };
  }

  /**
   * CPU and memory from Zinit's JSON-RPC `service_stats`, for workers whose process is not visible in our `/proc`
   * (Zinit on another host or in another pid namespace). Zinit takes about a second to answer, so it is asked
   * only then, all at once, and at most `ZINIT_STATS_TIMEOUT_MS`.
   */
  async #zinitStats(names: readonly string[]): Promise<Map<string, { cpuPercent: number; memoryBytes: number }>> {
    const result = new Map<string, { cpuPercent: number; memoryBytes: number }>();
    const manager = this.#parts.processManager as ProcessManager & {
      stats?: (name: string) => Promise<ZinitServiceStats | undefined>;
    };
    if (names.length === 0 || typeof manager.stats !== 'function') return result;
    const stats = manager.stats.bind(manager);
    await Promise.all(
      names.map(async (name) => {
        try {
          const answer = await withinMs(stats(name), ZINIT_STATS_TIMEOUT_MS);
          if (answer === undefined) return;
          const children = answer.children ?? [];
          result.set(name, {
            cpuPercent: answer.cpuUsage + children.reduce((sum, child) => sum + child.cpuUsage, 0),
            memoryBytes: answer.memoryUsage + children.reduce((sum, child) => sum + child.memoryUsage, 0),
          });
        } catch {
          // legacy Zinit or a transient error: leave the figures unknown
        }
      }),
    );
    return result;
  }

  async #queueCounts(scriptType: string): Promise<QueueReport | null> {
    const queue = this.#queues.get(scriptType);
    if (queue === undefined || this.#parts.connection.status !== 'ready') return null;
    try {
      const counts = await withinMs(
        queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
        QUEUE_COUNT_TIMEOUT_MS,
      );
      if (counts === undefined) return null;
      return {
        waiting: counts.waiting ?? 0,
        prioritized: counts.prioritized ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
      };
    } catch {
      return null;
    }
  }
}

function emptySample(): StatusSample {
  return { processes: new Map(), soughtPids: new Set(), zinit: new Map(), queues: new Map(), services: [] };
}
