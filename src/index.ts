/** The public entry of hero-supervisor: named exports only. */

export type { PingOutcome, PingReply, WorkerEvent } from '../machines/worker.events.js';
export * from './errors.js';
export { Job, type JobFields } from './jobs/job.js';
export { DEFAULT_JOB_TIMEOUT_MS, ENV_KEY_PATTERN, JobBuilder, MAX_SCRIPT_BYTES } from './jobs/job-builder.js';
export { JOB_STATUSES, type JobStatus } from './jobs/job-status.js';
export { isScriptType, SCRIPT_TYPES, ScriptType } from './jobs/script-type.js';
export { type RunJobOptions, Supervisor } from './jobs/supervisor.js';
export { SupervisorBuilder } from './jobs/supervisor-builder.js';
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
export { detectProtocol, type ZinitProtocol } from './process/zinit/detect-protocol.js';
export type { ZinitServiceStats } from './process/zinit/zinit-client.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  type ZinitBackendEvent,
  ZinitProcessManager,
  type ZinitProcessManagerOptions,
} from './process/zinit/zinit-process-manager.js';
export {
  type JobActivityListener,
  JobActivityStream,
  type JobActivityStreamOptions,
} from './transport/job-activity.js';
export { PingClient, type PingClientOptions, type PingOptions } from './transport/ping-client.js';
export {
  activityChannel,
  controlQueueName,
  DEFAULT_PREFIX,
  jobQueueName,
} from './transport/queue-names.js';
export {
  parseRedisUrl,
  type RedisConnectionOptions,
  redactRedisUrl,
  resolveRedisConnection,
} from './transport/redis-connection.js';
export type { JobActivity, JobData, JobResult, PingJobData, PingReplyMessage } from './transport/wire-protocol.js';
export { JOB_RETENTION } from './transport/wire-protocol.js';
export {
  type CreateWorkerOptions,
  createWorker,
  type HeroWorker,
  WORKER_DEFAULTS,
  type WorkerStats,
} from './worker/create-worker.js';
export type { Execute, ExecuteContext, ExecuteOutput } from './worker/execute.js';
export { createScriptRunner, DEFAULT_INTERPRETERS, splitShellWords } from './worker/script-runner.js';
