/**
 * Turns a `WorkerConfig` into the process manager's `ServiceSpec` for one worker instance: the placeholders
 * `{workerId}`, `{redisUrl}`, `{scriptType}` and `{prefix}` in args, env values and the health check are filled per
 * instance.
 */
import type { ServiceSpec } from '../process/process-manager.js';
import { DEFAULT_PREFIX } from '../transport/queue-names.js';
import { redactRedisUrl } from '../transport/redis-connection.js';
import type { WorkerConfig } from './worker-config.js';
import { workerEnvironment } from './worker-environment.js';

export interface TemplateValues {
  workerId: string;
  redisUrl: string;
  scriptType: string;
  /** The key prefix (`{prefix}`). @defaultValue 'hero' */
  prefix?: string;
}

const PLACEHOLDER = /\{(workerId|redisUrl|scriptType|prefix)\}/g;

/** Replaces the known placeholders; any other `{...}` text is left as it is. */
export function fillPlaceholders(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (_match, key: keyof TemplateValues) => values[key] ?? DEFAULT_PREFIX);
}

export interface SpecDefaults {
  stopTimeoutMs: number;
}

export function toServiceSpec(config: WorkerConfig, values: TemplateValues, defaults: SpecDefaults): ServiceSpec {
  const fill = (text: string) => fillPlaceholders(text, values);
  const spec: ServiceSpec = {
    name: values.workerId,
    command: [config.binaryPath, ...config.args.map(fill)],
    env: workerEnvironment(config, (value) => fill(value)),
    after: config.dependencies,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: config.stopTimeoutMs ?? defaults.stopTimeoutMs,
    // The worker actor decides about restarts (backoff, intensity): the backend must not restart on its own.
    restart: { mode: 'never' },
  };
  if (config.healthCheck !== undefined) spec.healthCheck = config.healthCheck.map(fill);
  if (config.cwd !== undefined) spec.cwd = config.cwd;
  if (config.uid !== undefined) spec.uid = config.uid;
  if (config.gid !== undefined) spec.gid = config.gid;
  return spec;
}

/**
 * The spec as it may be logged: values of secret env keys replaced by `***`, and each Redis URL (which may hold a
 * password) shown with its password hidden wherever it was filled in.
 */
export function redactSpec(
  spec: ServiceSpec,
  secretKeys: ReadonlySet<string>,
  redisUrls: readonly string[] = [],
): ServiceSpec {
  const hide = (text: string) =>
    redisUrls.reduce((result, url) => (url === '' ? result : result.split(url).join(redactRedisUrl(url))), text);
  return {
    ...spec,
    command: spec.command.map(hide),
    env:
      spec.env === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(spec.env).map(([key, value]) => [key, secretKeys.has(key) ? '***' : hide(value)]),
          ),
    healthCheck: spec.healthCheck?.map(hide),
  };
}
