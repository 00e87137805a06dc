/**
 * The Prometheus metrics of a supervisor, on its own prom-client registry (never the global one, so that
 * two supervisors in one process, or the tests, do not collide). Counters are fed by lifecycle events;
 * gauges are set from a `StatusReport` just before each scrape.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StatusReport } from '../admin/status-report.js';

/** Ping round trips are milliseconds when healthy and the timeout (seconds) when not. */
export const PING_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type JobOutcome = 'completed' | 'failed';

export interface SupervisorMetricsOptions {
  /** Also export the supervisor process's own CPU, memory and event-loop metrics (`hero_supervisor_*`). @defaultValue true */
  processMetrics?: boolean;
}

export class SupervisorMetrics {
  readonly registry = new Registry();

  readonly workers = new Gauge({
    name: 'hero_workers',
    help: 'Workers by script type and state.',
    labelNames: ['script_type', 'state'] as const,
    registers: [this.registry],
  });
  readonly restarts = new Counter({
    name: 'hero_worker_restarts_total',
    help: 'Worker restarts decided by the supervisor.',
    labelNames: ['script_type', 'worker'] as const,
    registers: [this.registry],
  });
  readonly giveUps = new Counter({
    name: 'hero_worker_give_ups_total',
    help: 'Times a worker exceeded its restart intensity and was left failed until its cooldown.',
    labelNames: ['script_type', 'worker'] as const,
    registers: [this.registry],
  });
  readonly pingLatency = new Histogram({
    name: 'hero_ping_latency_seconds',
    help: 'Round trip of health pings to idle workers, by outcome.',
    labelNames: ['script_type', 'outcome'] as const,
    buckets: PING_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'hero_queue_depth',
    help: 'Jobs in each script type queue, by BullMQ state.',
    labelNames: ['script_type', 'state'] as const,
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'hero_jobs_total',
    help: 'Jobs finished by the workers since the supervisor started, by outcome.',
    labelNames: ['script_type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly workerCpu = new Gauge({
    name: 'hero_worker_cpu_seconds',
    help: 'CPU time used by each worker process and its children (user + system).',
    labelNames: ['script_type', 'worker'] as const,
    registers: [this.registry],
  });
  readonly workerMemory = new Gauge({
    name: 'hero_worker_resident_memory_bytes',
    help: 'Resident memory of each worker process and its children.',
    labelNames: ['script_type', 'worker'] as const,
    registers: [this.registry],
  });

  constructor(options: SupervisorMetricsOptions = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'hero_supervisor_' });
  }

  recordRestart(scriptType: string, worker: string): void {
    this.restarts.inc({ script_type: scriptType, worker });
  }

  recordGiveUp(scriptType: string, worker: string): void {
    this.giveUps.inc({ script_type: scriptType, worker });
  }

  observePing(scriptType: string, outcome: string, seconds: number): void {
    this.pingLatency.observe({ script_type: scriptType, outcome }, seconds);
  }

  recordJob(scriptType: string, outcome: JobOutcome): void {
    this.jobs.inc({ script_type: scriptType, outcome });
  }

  /** Sets every gauge from a status report; workers that are gone disappear from the series. */
  update(report: StatusReport): void {
    this.workers.reset();
    this.workerCpu.reset();
    this.workerMemory.reset();
    this.queueDepth.reset();
    const byState = new Map<string, number>();
    for (const worker of report.workers) {
      const key = `${worker.scriptType}\u0000${worker.state}`;
      byState.set(key, (byState.get(key) ?? 0) + 1);
      const labels = { script_type: worker.scriptType, worker: worker.name };
      if (worker.cpuSeconds !== null) this.workerCpu.set(labels, worker.cpuSeconds);
      if (worker.memoryBytes !== null) this.workerMemory.set(labels, worker.memoryBytes);
    }
    for (const [key, count] of byState) {
      const [scriptType, state] = key.split('\u0000') as [string, string];
      this.workers.set({ script_type: scriptType, state }, count);
    }
    for (const type of report.scriptTypes) {
      if (type.queue === null) continue;
      for (const [state, count] of Object.entries(type.queue)) {
        this.queueDepth.set({ script_type: type.name, state }, count);
      }
    }
  }

  /** The exposition text (`text/plain; version=0.0.4`). */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
