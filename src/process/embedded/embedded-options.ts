/** Options of EmbeddedProcessManager: declared once with their defaults, checked once in `resolveEmbeddedOptions()`. */
import type { Logger } from 'pino';
import { ConfigError } from '../../errors.js';
import { DEFAULT_STOP_TIMEOUT_MS } from '../process-manager.js';

export interface EmbeddedProcessManagerOptions {
  /** Diagnostics (spawns, exits, reaped orphans) and, with `forwardOutput`, the services' output. @defaultValue none */
  logger?: Logger;
  /** Lines of stdout/stderr kept per service for logs(). @defaultValue 2000 */
  logRingSize?: number;
  /** Also log each output line through `logger` (info for stdout, warn for stderr). @defaultValue false */
  forwardOutput?: boolean;
  /**
   * Path of a JSON file recording the running children ({name, pid, pgid, startedAt, command}). On construction the
   * manager ends any group recorded there that is still alive (a previous supervisor was SIGKILLed); see
   * `reapOrphans()`. One file per manager. @defaultValue none (no reaping)
   */
  stateFile?: string;
  /** Pause between health-check attempts. @defaultValue 500 */
  healthCheckIntervalMs?: number;
  /** A single health-check run longer than this is killed and counts as failed. @defaultValue 10_000 */
  healthCheckTimeoutMs?: number;
  /** How long a reaped orphan group gets after SIGTERM before SIGKILL. @defaultValue 2_000 */
  orphanStopTimeoutMs?: number;
  /** Default stop signal for specs without `stopSignal`. @defaultValue 'SIGTERM' */
  defaultStopSignal?: NodeJS.Signals;
  /** Default for specs without `stopTimeoutMs`. @defaultValue DEFAULT_STOP_TIMEOUT_MS (10_000) */
  defaultStopTimeoutMs?: number;
  /** Clock for event timestamps (epoch ms). @defaultValue Date.now */
  now?: () => number;
  /**
   * What every child starts with, before its spec's `env`. Pass `process.env` to inherit everything (then every
   * secret of this process reaches every child). @defaultValue `baseEnvironment()`: PATH, HOME, USER, LOGNAME, LANG,
   * LANGUAGE, LC_ALL, LC_CTYPE, TZ, TMPDIR from this process's environment (src/process/base-environment.ts)
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

const SECOND = 1_000;

export const defaultEmbeddedOptions = {
  logRingSize: 2_000,
  forwardOutput: false,
  healthCheckIntervalMs: 500,
  healthCheckTimeoutMs: 10 * SECOND,
  orphanStopTimeoutMs: 2 * SECOND,
  defaultStopSignal: 'SIGTERM',
  defaultStopTimeoutMs: DEFAULT_STOP_TIMEOUT_MS,
  now: Date.now,
} as const satisfies Partial<EmbeddedProcessManagerOptions>;

export type ResolvedEmbeddedOptions = Readonly<
  Required<Omit<EmbeddedProcessManagerOptions, 'logger' | 'stateFile' | 'baseEnv'>> &
    Pick<EmbeddedProcessManagerOptions, 'logger' | 'stateFile' | 'baseEnv'>
>;

function expectPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`Expected \`${name}\` to be a positive integer, got \`${value}\` (${typeof value}).`, [
      { path: name, message: 'must be a positive integer' },
    ]);
  }
}

export function resolveEmbeddedOptions(options: EmbeddedProcessManagerOptions = {}): ResolvedEmbeddedOptions {
  const resolved = { ...defaultEmbeddedOptions, ...options };
  expectPositiveInteger('logRingSize', resolved.logRingSize);
  expectPositiveInteger('healthCheckIntervalMs', resolved.healthCheckIntervalMs);
  expectPositiveInteger('healthCheckTimeoutMs', resolved.healthCheckTimeoutMs);
  expectPositiveInteger('orphanStopTimeoutMs', resolved.orphanStopTimeoutMs);
  expectPositiveInteger('defaultStopTimeoutMs', resolved.defaultStopTimeoutMs);
  if (resolved.stateFile !== undefined && (typeof resolved.stateFile !== 'string' || resolved.stateFile.length === 0)) {
    throw new ConfigError('Expected `stateFile` to be a non-empty path.', [
      { path: 'stateFile', message: 'must be a non-empty path' },
    ]);
  }
  return Object.freeze(resolved);
}
