/** The public entry of hero-supervisor: named exports only. */

export type { PingOutcome, PingReply, WorkerEvent } from '../machines/worker.events.js';
export * from './errors.js';
export type { ProcessEvent, ProcessEventListener, ProcessEventType } from './process/process-events.js';
export type {
  LogOptions,
  ProcessManager,
  RestartPolicy,
  ServiceSpec,
  ServiceState,
  ServiceStatus,
  StopOptions,
} from './process/process-manager.js';
