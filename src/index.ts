/** The public entry of hero-supervisor: named exports only. */

export { backoffDelay, describeExit, planRestart, recordRestart } from '../machines/restart-policy.js';
export { type ScalerEvent, type ScalerInput, scalerMachine } from '../machines/scaler.machine.js';
export { type AutoscaleSettings, DEFAULT_AUTOSCALE, decideAutoscale, pickVictims } from '../machines/scaler-policy.js';
export { type SupervisorEvent, type SupervisorInput, supervisorMachine } from '../machines/supervisor.machine.js';
export { defaultWorkerSettings, type WorkerSettings } from '../machines/worker.defaults.js';
export type { PingOutcome, PingReply, WorkerEvent } from '../machines/worker.events.js';
export {
  type PingActorInput,
  type ProcessActorInput,
  type WorkerContext,
  type WorkerInput,
  type WorkerSnapshot,
  type WorkerStateChange,
  type WorkerStateName,
  workerMachine,
  workerStateOf,
} from '../machines/worker.machine.js';
export { AdminClient, type AdminClientOptions } from './admin/admin-client.js';
export { type AdminAddress, type AdminControl, AdminServer, type AdminServerOptions } from './admin/admin-server.js';
export { Dashboard, type DashboardOptions } from './admin/dashboard/dashboard.js';
export type {
  DaemonReport,
  QueueReport,
  ScriptTypeReport,
  ServiceReport,
  StatusReport,
  WorkerReport,
} from './admin/status-report.js';
export { EXIT } from './cli/exit-codes.js';
export type {
  AdminConfig,
  AutoscaleConfig,
  ProcessManagerConfig,
  RedisConfig,
  ScriptTypeConfig,
  ServiceConfig,
  SupervisorConfig,
} from './config/config-types.js';
export { configJsonSchema } from './config/json-schema.js';
export { configSecrets, type LoadConfigOptions, loadConfig, parseConfig } from './config/load-config.js';
export { Daemon, type DaemonOptions } from './daemon/daemon.js';
export * from './errors.js';
export type { FleetEventMap, FleetEventName } from './fleet/fleet-events.js';
export {
  type FleetLifecycle,
  FleetMember,
  type FleetMemberOptions,
  type FleetMemberTypeOptions,
} from './fleet/fleet-member.js';
export type { FleetMemberReport, FleetReport, FleetTypeReport } from './fleet/fleet-report.js';
export { fleetWorkerId, localWorkerName } from './fleet/identity.js';
export { planAssignments } from './fleet/plan.js';
export { splitByCapacity } from './fleet/split.js';
export { Job, type JobFields } from './jobs/job.js';
export { DEFAULT_JOB_TIMEOUT_MS, ENV_KEY_PATTERN, JobBuilder, MAX_SCRIPT_BYTES } from './jobs/job-builder.js';
export { JOB_STATUSES, type JobStatus } from './jobs/job-status.js';
export { isScriptType, SCRIPT_TYPES, ScriptType } from './jobs/script-type.js';
export { type ReadJobOptions, type RunJobOptions, type SendJobOptions, Supervisor } from './jobs/supervisor.js';
export { SupervisorBuilder } from './jobs/supervisor-builder.js';
export { type Clock, systemClock } from './lifecycle/clock.js';
export type {
  LifecycleErrorEvent,
  LifecycleEventMap,
  LifecycleEventName,
  LifecycleListener,
  ScalerScaledEvent,
  SupervisorPhaseEvent,
  WorkerGaveUpEvent,
  WorkerPingedEvent,
  WorkerRestartedEvent,
  WorkerStateChangedEvent,
} from './lifecycle/lifecycle-events.js';
export {
  DEFAULT_LIFECYCLE_TIMINGS,
  type LifecycleTimings,
  type ScriptTypeOptions,
} from './lifecycle/lifecycle-options.js';
export { WorkerConfig } from './lifecycle/worker-config.js';
export {
  type HealthMonitoringHandle,
  type HealthReport,
  type LifecycleTransport,
  WorkerLifecycleManager,
  type WorkerStatus,
} from './lifecycle/worker-lifecycle-manager.js';
export { type SupervisorPort, WorkerLifecycleManagerBuilder } from './lifecycle/worker-lifecycle-manager-builder.js';
export { fillPlaceholders, type TemplateValues } from './lifecycle/worker-template.js';
export { MAX_COUNT, MAX_DURATION_MS, MAX_JOB_RETRIES, MAX_WORKERS_PER_TYPE } from './limits.js';
export { createRootLogger, LOG_FIELDS, type RootLoggerOptions } from './log/logger.js';
export { REDACTED, Redactor, redactUrl } from './log/redact.js';
export { type ProcessStats, readProcessStats } from './metrics/proc-stats.js';
export { SupervisorMetrics } from './metrics/supervisor-metrics.js';
export { BASE_ENV_NAMES, baseEnvironment } from './process/base-environment.js';
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
export { detectProtocol, protocolOf, type ZinitProtocol } from './process/zinit/detect-protocol.js';
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
export { protocolSchemas } from './transport/protocol-json-schemas.js';
export { PROTOCOL_VERSION, type ProtocolMessageName } from './transport/protocol-schemas.js';
export {
  activityChannel,
  controlQueueName,
  DEFAULT_PREFIX,
  jobQueueName,
} from './transport/queue-names.js';
export {
  parseRedisUrl,
  type RedisConnectionInfo,
  type RedisConnectionOptions,
  redactRedisUrl,
  redisConnectionInfo,
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
