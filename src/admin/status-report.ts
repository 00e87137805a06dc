/**
 * The shape of `GET /status` and `hero-supervisor status --json`: the daemon, each worker, each script type,
 * each dependency service. No secret is ever in it (the Redis URL is shown without its password).
 */

export interface WorkerReport {
  /** `python_worker_0` */
  name: string;
  scriptType: string;
  /** The worker actor's state: `running`, `idle`, `pinging`, `restarting`, `failed`, `stopped`... */
  state: string;
  pid: number | null;
  /** When the current process started (epoch ms), from `/proc` on the embedded backend. */
  startedAt: number | null;
  uptimeMs: number | null;
  lastJobAt: number | null;
  restarts: number;
  consecutivePingFailures: number;
  /** Why the worker last failed or stopped, when known. */
  reason: string | null;
  /** CPU time of the worker and its children so far. */
  cpuSeconds: number | null;
  /**
   * CPU use between the last two background samples, about a second apart (100 = one core); for a process sampled
   * once so far, its average since it started.
   */
  cpuPercent: number | null;
  /** Resident memory of the worker and its children. */
  memoryBytes: number | null;
}

export interface QueueReport {
  waiting: number;
  prioritized: number;
  delayed: number;
  active: number;
}

export interface ScriptTypeReport {
  name: string;
  min: number;
  max: number;
  /** The count the scaler aims at. */
  desired: number;
  /** Workers up (running, idle or pinging). */
  running: number;
  /** Null when Redis could not be read at the latest sample. */
  queue: QueueReport | null;
  /** Jobs finished since the daemon started, by outcome. */
  jobs: { completed: number; failed: number };
}

export interface ServiceReport {
  name: string;
  state: string;
  pid: number | null;
}

export interface DaemonReport {
  pid: number;
  version: string;
  startedAt: number;
  uptimeMs: number;
  backend: 'embedded' | 'zinit';
  /** Without its password. */
  redisUrl: string;
}

export interface StatusReport {
  daemon: DaemonReport;
  /**
   * When the CPU, memory, queue and service figures were sampled (epoch ms); null before the first sample. They are
   * sampled in the background about every second, so that a status answers at once; worker states are current.
   */
  sampledAt: number | null;
  /** How old those figures were when this report was made (ms); null before the first sample. */
  sampleAgeMs: number | null;
  workers: WorkerReport[];
  scriptTypes: ScriptTypeReport[];
  services: ServiceReport[];
}
