/** The public entry of hero-supervisor: named exports only. */

export type { PingOutcome, PingReply, WorkerEvent } from '../machines/worker.events.js';
export * from './errors.js';
export type { EmbeddedProcessManagerOptions } from './process/embedded/embedded-options.js';
export { EmbeddedProcessManager } from './process/embedded/embedded-process-manager.js';
export type { ChildRecord, OrphanReport } from './process/embedded/state-file.js';
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
export { MAX_SERVICE_NAME_LENGTH, validateServiceName, validateServiceSpec } from './process/validate-spec.js';
