/**
 * The admin endpoint's view of a running daemon (`AdminControl`): status from the lifecycle manager, `/proc`,
 * BullMQ's queue getters and the job activity stream; commands go to the lifecycle manager.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AdminControl } from '../admin/admin-server.js';
import type { QueueReport, ServiceReport, StatusReport, WorkerReport } from '../admin/status-report.js';
import type { SupervisorConfig } from '../config/config-types.js';
import { SupervisorError } from '../errors.js';
import type { WorkerLifecycleManager } from '../lifecycle/worker-lifecycle-manager.js';
import { CpuRateTracker, readProcessStats } from '../metrics/proc-stats.js';
import type { SupervisorMetrics } from '../metrics/supervisor-metrics.js';
import type { ProcessManager } from '../process/process-manager.js';
import type { ZinitServiceStats } from '../process/zinit/zinit-client.js';
import type { JobActivityStream } from '../transport/job-activity.js';
import { jobQueueName } from '../transport/queue-names.js';
import { packageVersion } from '../worker/version.js';

/** An unknown script type in `scale`: the admin endpoint answers 404, the CLI exits 5. */
export class ScriptTypeNotFoundError extends SupervisorError {
  constructor(scriptType: string, known: readonly string[]) {
    super('WORKER_NOT_FOUND', `Unknown script type "${scriptType}" (configured: ${known.join(', ') || 'none'}).`);
  }
}

/** `service_stats` takes about 1 s inside Zinit (it samples CPU); a status waits for it at most this long. */
const ZINIT_STATS_TIMEOUT_MS = 1_500;

/** A queue count that takes longer than this is reported as unknown (`?`): status must answer while Redis is away. */
const QUEUE_COUNT_TIMEOUT_MS = 500;

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
}

export class DaemonControl implements AdminControl {
  readonly #parts: DaemonControlParts;
  readonly #queues = new Map<string, Queue>();
  readonly #jobs = new Map<string, { completed: number; failed: number }>();
  readonly #cpu = new CpuRateTracker();
  readonly #unsubscribe: () => void;

  constructor(parts: DaemonControlParts) {
    this.#parts = parts;
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

  async status(): Promise<StatusReport> {
    const { config, lifecycle, processManager, startedAt } = this.#parts;
    const now = Date.now();
    const workers = lifecycle.listWorkers();
    const stats = await readProcessStats(workers.map((worker) => worker.pid ?? 0));
    this.#cpu.retain(stats.keys());
    const remote = await this.#zinitStats(
      workers.filter((worker) => worker.pid && !stats.has(worker.pid)).map((w) => w.name),
    );
    const workerReports: WorkerReport[] = workers.map((worker) => {
      const sample = worker.pid !== null ? stats.get(worker.pid) : undefined;
      const fromZinit = remote.get(worker.name);
      if (sample === undefined && fromZinit !== undefined) {
        return {
          name: worker.name,
          scriptType: worker.scriptType,
          state: worker.gaveUp ? 'failed (gave up)' : worker.state,
          pid: worker.pid,
          startedAt: null,
          uptimeMs: null,
          lastJobAt: worker.lastJobAt,
          restarts: worker.restarts,
          consecutivePingFailures: worker.consecutivePingFailures,
          reason: worker.reason,
          cpuSeconds: null,
          cpuPercent: fromZinit.cpuPercent,
          memoryBytes: fromZinit.memoryBytes,
        };
      }
      return {
        name: worker.name,
        scriptType: worker.scriptType,
        state: worker.gaveUp ? 'failed (gave up)' : worker.state,
        pid: worker.pid,
        startedAt: sample?.startedAt ?? null,
        uptimeMs: sample !== undefined ? Math.max(0, now - sample.startedAt) : null,
        lastJobAt: worker.lastJobAt,
        restarts: worker.restarts,
        consecutivePingFailures: worker.consecutivePingFailures,
        reason: worker.reason,
        cpuSeconds: sample?.cpuSeconds ?? null,
        cpuPercent: sample !== undefined ? (this.#cpu.rate(sample, now) ?? null) : null,
        memoryBytes: sample?.memoryBytes ?? null,
      };
    });
    const scriptTypes = await Promise.all(
      Object.values(config.scriptTypes).map(async (type) => ({
        name: type.name,
        min: type.min,
        max: type.max,
        desired: workers.filter((worker) => worker.scriptType === type.name && worker.state !== 'stopped').length,
        running: lifecycle.getRunningWorkerCount(type.name),
        queue: await this.#queueCounts(type.name),
        jobs: { ...(this.#jobs.get(type.name) ?? { completed: 0, failed: 0 }) },
      })),
    );
    const services: ServiceReport[] = await Promise.all(
      Object.keys(config.services).map(async (name) => {
        try {
          const status = await processManager.status(name);
          return { name, state: status.state, pid: status.pid || null };
        } catch {
          return { name, state: 'unknown', pid: null };
        }
      }),
    );
    return {
      daemon: {
        pid: process.pid,
        version: packageVersion(),
        startedAt,
        uptimeMs: now - startedAt,
        backend: config.processManager.type,
        redisUrl: this.#parts.redisDisplay,
      },
      workers: workerReports,
      scriptTypes,
      services,
    };
  }

  async scale(scriptType: string, count: number): Promise<void> {
    const known = Object.keys(this.#parts.config.scriptTypes);
    if (!known.includes(scriptType)) throw new ScriptTypeNotFoundError(scriptType, known);
    await this.#parts.lifecycle.scaleWorkers(scriptType, count);
  }

  async restart(worker: string): Promise<void> {
    await this.#parts.lifecycle.restartWorker(worker);
  }

  async stop(worker: string): Promise<void> {
    await this.#parts.lifecycle.stopWorker(worker);
  }

  logs(worker: string, options: { follow: boolean; tail: number }): AsyncIterable<string> {
    const { lifecycle, processManager, config } = this.#parts;
    // Unknown names fail here (404) before any stream starts; services have logs too.
    if (!Object.hasOwn(config.services, worker)) lifecycle.getWorkerStatus(worker);
    return processManager.logs(worker, { tail: options.tail, follow: options.follow });
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
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
        let timer: NodeJS.Timeout | undefined;
        try {
          const answer = await Promise.race([
            stats(name),
            new Promise<undefined>((resolve) => {
              timer = setTimeout(() => resolve(undefined), ZINIT_STATS_TIMEOUT_MS);
            }),
          ]);
          if (answer === undefined) return;
          const children = answer.children ?? [];
          result.set(name, {
            cpuPercent: answer.cpuUsage + children.reduce((sum, child) => sum + child.cpuUsage, 0),
            memoryBytes: answer.memoryUsage + children.reduce((sum, child) => sum + child.memoryUsage, 0),
          });
        } catch {
          // legacy Zinit or a transient error: leave the figures unknown
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return result;
  }

  async #queueCounts(scriptType: string): Promise<QueueReport | null> {
    const queue = this.#queues.get(scriptType);
    if (queue === undefined || this.#parts.connection.status !== 'ready') return null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const counts = await Promise.race([
        queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), QUEUE_COUNT_TIMEOUT_MS);
        }),
      ]);
      if (counts === undefined) return null;
      return {
        waiting: counts.waiting ?? 0,
        prioritized: counts.prioritized ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
      };
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
