/**
 * Options of the lifecycle manager and of each script type, with their defaults declared once
 * (`DEFAULT_LIFECYCLE_OPTIONS`) and checked once by `resolveScriptTypeOptions` / the builder.
 */
import type { Logger } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';
import type { AutoscaleSettings } from '../../machines/scaler-policy.js';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { ConfigError } from '../errors.js';
import { assertCount, assertDuration, configError, MAX_WORKERS_PER_TYPE } from '../limits.js';
import type { Clock } from './clock.js';
import type { WorkerConfig } from './worker-config.js';

const SECOND = 1_000;

export interface ScriptTypeOptions {
  /** The template new instances are made from (`{workerId}`, `{redisUrl}` filled per instance). @defaultValue the first config added for this type */
  template?: WorkerConfig;
  /** @defaultValue 0 (scale to zero allowed) */
  min?: number;
  /** @defaultValue the larger of 10 and `initial` */
  max?: number;
  /** Workers at start. @defaultValue the number of configs added for this type */
  initial?: number;
  /** Autoscaling from queue depth; off unless `enabled: true`. */
  autoscale?: Partial<AutoscaleSettings>;
  /** Restart a worker whose resident memory stays above this many MiB (reason `memory-limit`). @defaultValue none */
  maxMemoryMb?: number;
}

export interface LifecycleTimings {
  /** How long a stopping worker may take to finish its active job before SIGKILL. @defaultValue 10 s */
  stopTimeoutMs: number;
  /** How often `startHealthMonitoring()` runs a health pass. @defaultValue 60 s */
  healthCheckIntervalMs: number;
  /** How often queue depth is read for autoscaling script types. @defaultValue 1 s */
  autoscalePollIntervalMs: number;
  /** How often worker memory is read for script types with `maxMemoryMb`. @defaultValue 5 s */
  memoryCheckIntervalMs: number;
  /** Readings in a row above `maxMemoryMb` before the restart, so a short spike is forgiven. @defaultValue 3 */
  memoryLimitReadings: number;
  /** How long a dependency service may take to run. @defaultValue 30 s */
  dependencyStartTimeoutMs: number;
}

export const DEFAULT_LIFECYCLE_TIMINGS = {
  stopTimeoutMs: 10 * SECOND,
  healthCheckIntervalMs: 60 * SECOND,
  autoscalePollIntervalMs: SECOND,
  memoryCheckIntervalMs: 5 * SECOND,
  memoryLimitReadings: 3,
  dependencyStartTimeoutMs: 30 * SECOND,
} as const satisfies LifecycleTimings;

/** Everything the builder gathered; read by the manager. */
export interface ResolvedLifecycleOptions {
  redisUrl: string;
  prefix: string | undefined;
  logger: Logger;
  clock: Clock;
  settings: Partial<WorkerSettings>;
  timings: LifecycleTimings;
  /** Adopt services that already run (Zinit) instead of starting duplicates. */
  adopt: boolean;
  /** Given to `createActor(..., { inspect })` of the root actor (Stately inspector, tracing). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

const DEFAULT_MAX_WORKERS = 10;

export interface ResolvedScriptType {
  scriptType: string;
  template: WorkerConfig;
  min: number;
  max: number;
  initial: number;
  autoscale: Partial<AutoscaleSettings>;
  maxMemoryMb: number | undefined;
  /** Configured worker names of this type, in the order they were added. */
  workerIds: string[];
}

function nonNegativeInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(
      `Expected \`${path}\` to be a non-negative integer, got \`${String(value)}\` (${typeof value}).`,
      [{ path, message: 'expected a non-negative integer' }],
    );
  }
  return value;
}

export function resolveScriptType(
  scriptType: string,
  options: ScriptTypeOptions,
  configs: readonly WorkerConfig[],
): ResolvedScriptType {
  const template = options.template ?? configs[0];
  if (template === undefined) {
    throw new ConfigError(
      `Script type \`${scriptType}\` has no worker template: add a worker of that type with addWorker(), or pass \`template\`.`,
      [{ path: `scriptTypes.${scriptType}.template`, message: 'missing' }],
    );
  }
  const initial = nonNegativeInteger(`scriptTypes.${scriptType}.initial`, options.initial ?? configs.length);
  const min = nonNegativeInteger(`scriptTypes.${scriptType}.min`, options.min ?? 0);
  const max = nonNegativeInteger(
    `scriptTypes.${scriptType}.max`,
    options.max ?? Math.max(DEFAULT_MAX_WORKERS, initial, configs.length),
  );
  for (const [field, value] of [
    ['initial', initial],
    ['min', min],
    ['max', max],
  ] as const) {
    assertCount(`scriptTypes.${scriptType}.${field}`, value, 0, MAX_WORKERS_PER_TYPE, configError);
  }
  for (const field of ['stabilizationWindowMs', 'cooldownMs'] as const) {
    const value = options.autoscale?.[field];
    if (value !== undefined) assertDuration(`scriptTypes.${scriptType}.autoscale.${field}`, value, configError);
  }
  if (min > max) {
    throw new ConfigError(
      `\`scriptTypes.${scriptType}.min\` (${min}) must not exceed \`scriptTypes.${scriptType}.max\` (${max}).`,
      [{ path: `scriptTypes.${scriptType}.min`, message: 'greater than max' }],
    );
  }
  if (configs.length > max) {
    throw new ConfigError(
      `Script type \`${scriptType}\` has ${configs.length} configured workers but \`max\` is ${max}: raise max or remove workers.`,
      [{ path: `scriptTypes.${scriptType}.max`, message: 'fewer than the configured workers' }],
    );
  }
  const autoscale = options.autoscale ?? {};
  if (autoscale.targetJobsPerWorker !== undefined && !(autoscale.targetJobsPerWorker > 0)) {
    throw new ConfigError(
      `Expected \`scriptTypes.${scriptType}.autoscale.targetJobsPerWorker\` to be a positive number, got \`${autoscale.targetJobsPerWorker}\`.`,
      [{ path: `scriptTypes.${scriptType}.autoscale.targetJobsPerWorker`, message: 'expected a positive number' }],
    );
  }
  if (options.maxMemoryMb !== undefined && !(options.maxMemoryMb > 0)) {
    throw new ConfigError(
      `Expected \`scriptTypes.${scriptType}.maxMemoryMb\` to be a positive number, got \`${options.maxMemoryMb}\`.`,
      [{ path: `scriptTypes.${scriptType}.maxMemoryMb`, message: 'expected a positive number' }],
    );
  }
  return {
    scriptType,
    template,
    min,
    max,
    initial: Math.min(max, Math.max(min, initial)),
    autoscale,
    maxMemoryMb: options.maxMemoryMb,
    workerIds: configs.map((config) => config.name),
  };
}
