/** The shapes the lifecycle manager exchanges with its callers and its transport (re-exported by the façade). */
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PingOutcome } from '../../machines/worker.events.js';
import type { WorkerStateName } from '../../machines/worker.machine.js';
import type { ProcessManager, ServiceSpec } from '../process/process-manager.js';
import type { JobActivity } from '../transport/wire-protocol.js';
import type { ResolvedLifecycleOptions, ResolvedScriptType } from './lifecycle-options.js';
import type { PingPort } from './ping-port.js';
import type { WorkerConfig } from './worker-config.js';

/** What `getWorkerStatus` and `listWorkers` report for one worker. */
export interface WorkerStatus {
  name: string;
  scriptType: string;
  /** The worker actor's state (`running`, `idle` and `pinging` are the substates of `up`). */
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
  /** Removed by a scale-down: this is its last known state (`stopped`); it is no longer listed. */
  removed?: boolean;
}

/** One result of `monitorWorkerHealth()`. */
export interface HealthReport {
  worker: string;
  outcome: PingOutcome;
}

export interface HealthMonitoringHandle {
  stop(): void;
}

/** How the manager reaches the workers over Redis: pings, job activity, and a connection of its own. */
export interface LifecycleTransport {
  /** The port the worker actors ping through: the caller's Supervisor, or a PingClient of the manager's own. */
  pings?: PingPort;
  ping(workerId: string, options: { timeoutMs: number }): Promise<PingOutcome>;
  onJobActivity(listener: (activity: JobActivity) => void): () => void;
  /** Resolves once job activity is being received (the manager waits for it at most a moment at start). */
  ready(): Promise<void>;
  /** For the reachability check and the queue-depth getters. */
  redis: Redis;
  /** Closes what the transport owns (never a caller's Supervisor). */
  close(): Promise<void>;
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
  /** Job arrivals of a script type's queue (BullMQ QueueEvents, on a connection of its own): they wake the autoscaler. */
  openQueueEvents?: (scriptType: string) => QueueEvents;
}
