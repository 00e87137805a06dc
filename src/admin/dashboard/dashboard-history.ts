/**
 * The samples behind the dashboard's charts: one a second from the status report (which does no I/O), kept for
 * the last 15 minutes in a ring buffer, so a page opened now shows the recent past and not an empty chart.
 */
import type { StatusReport } from '../status-report.js';
import { RingBuffer } from './ring-buffer.js';

/** One point of every chart. */
export interface DashboardSample {
  /** Epoch ms. */
  at: number;
  /** Jobs waiting (waiting + prioritized + delayed) by script type; null when Redis could not be read. */
  queueDepth: Record<string, number | null>;
  /** Jobs active by script type; null when Redis could not be read. */
  active: Record<string, number | null>;
  /** Jobs finished per second since the previous sample, by script type. */
  jobsPerSecond: Record<string, number>;
  /** Jobs finished since the daemon started, by script type (the per-minute counts are differences of these). */
  jobsTotal: Record<string, { completed: number; failed: number }>;
  /** Workers by state (`running`, `idle`, `failed`, ...). */
  workersByState: Record<string, number>;
  /** Restarts since the previous sample. */
  restarts: number;
}

export const SAMPLE_INTERVAL_MS = 1_000;
/** 15 minutes of one-second samples. */
export const HISTORY_CAPACITY = 900;

export class DashboardHistory {
  readonly #ring: RingBuffer<DashboardSample>;
  #last: DashboardSample | undefined;

  constructor(capacity = HISTORY_CAPACITY) {
    this.#ring = new RingBuffer(capacity);
  }

  /** Adds the sample made of `status` and the restarts counted since the previous one; returns it. */
  record(status: StatusReport, restartsSincePrevious: number, at = Date.now()): DashboardSample {
    const previous = this.#last;
    const seconds = previous === undefined ? 0 : (at - previous.at) / 1000;
    const sample: DashboardSample = {
      at,
      queueDepth: {},
      active: {},
      jobsPerSecond: {},
      jobsTotal: {},
      workersByState: {},
      restarts: restartsSincePrevious,
    };
    for (const type of status.scriptTypes) {
      const { queue, jobs } = type;
      sample.queueDepth[type.name] = queue === null ? null : queue.waiting + queue.prioritized + queue.delayed;
      sample.active[type.name] = queue === null ? null : queue.active;
      sample.jobsTotal[type.name] = { ...jobs };
      const before = previous?.jobsTotal[type.name];
      const finished = before === undefined ? 0 : jobs.completed + jobs.failed - before.completed - before.failed;
      sample.jobsPerSecond[type.name] = seconds > 0 ? Math.max(0, finished) / seconds : 0;
    }
    for (const worker of status.workers)
      sample.workersByState[worker.state] = (sample.workersByState[worker.state] ?? 0) + 1;
    this.#ring.push(sample);
    this.#last = sample;
    return sample;
  }

  /** Oldest first. */
  samples(): DashboardSample[] {
    return this.#ring.toArray();
  }

  /** Jobs completed and failed over the last `windowMs` (default a minute), by script type. */
  finishedWithin(windowMs = 60_000): Record<string, { completed: number; failed: number }> {
    const last = this.#last;
    if (last === undefined) return {};
    const base = this.#ring.findLast((sample) => last.at - sample.at >= windowMs) ?? this.#ring.toArray()[0] ?? last;
    const out: Record<string, { completed: number; failed: number }> = {};
    for (const [type, now] of Object.entries(last.jobsTotal)) {
      const then = base.jobsTotal[type] ?? { completed: 0, failed: 0 };
      out[type] = { completed: now.completed - then.completed, failed: now.failed - then.failed };
    }
    return out;
  }
}
