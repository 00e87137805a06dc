/** Options of ZinitProcessManager: declared once with their defaults, checked once in resolveZinitOptions(). */
import type { Logger } from 'pino';
import { ConfigError } from '../../errors.js';
import { type Clock, systemClock } from '../../lifecycle/clock.js';
import type { ZinitProtocol } from './detect-protocol.js';

export interface ZinitProcessManagerOptions {
  /** Zinit's Unix socket: `/var/run/zinit.sock` (≤ v0.2.14) or `/tmp/zinit.sock` (≥ v0.2.15). Absolute path. */
  socketPath: string;
  /** The directory Zinit loads service files from (`zinit init -c DIR`, default `/etc/zinit`). Used by the legacy protocol. */
  configDir: string;
  /** How often ONE `list` is sent to observe every service. @defaultValue 250 */
  pollIntervalMs?: number;
  /** @defaultValue 'auto' (detected once per socket, as zinit-client does) */
  protocol?: 'auto' | ZinitProtocol;
  logger?: Logger;
  /**
   * Where the manager reads the time: event timestamps and every deadline (stop timeout, SIGKILL confirmation,
   * restart settling). A test can pass a clock that runs ahead to drive those delays. @defaultValue the system clock
   */
  clock?: Clock;
}

export const DEFAULT_POLL_INTERVAL_MS = 250;

export interface ResolvedZinitOptions {
  readonly socketPath: string;
  readonly configDir: string;
  readonly pollIntervalMs: number;
  readonly protocol: 'auto' | ZinitProtocol;
  readonly logger: Logger | undefined;
  readonly clock: Clock;
}

function validateSocketPath(socketPath: unknown): string {
  if (typeof socketPath !== 'string' || socketPath.length === 0) {
    throw new ConfigError(
      `Expected \`socketPath\` to be the absolute path of Zinit's socket (e.g. /var/run/zinit.sock), got ${JSON.stringify(socketPath)}.`,
    );
  }
  if (socketPath.includes('\0')) {
    throw new ConfigError('Expected `socketPath` to be a path without NUL characters.');
  }
  if (!socketPath.startsWith('/')) {
    throw new ConfigError(
      `Expected \`socketPath\` to be an absolute path (e.g. /var/run/zinit.sock), got ${JSON.stringify(socketPath)}.`,
    );
  }
  return socketPath;
}

function validateConfigDir(configDir: unknown): string {
  if (typeof configDir !== 'string' || !configDir.startsWith('/') || configDir.includes('\0')) {
    throw new ConfigError(
      `Expected \`configDir\` to be the absolute path of Zinit's config directory (e.g. /etc/zinit), got ${JSON.stringify(configDir)}.`,
    );
  }
  return configDir;
}

export function resolveZinitOptions(options: ZinitProcessManagerOptions): ResolvedZinitOptions {
  const socketPath = validateSocketPath(options?.socketPath);
  const configDir = validateConfigDir(options.configDir);
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new ConfigError(
      `Expected \`pollIntervalMs\` to be a positive number of ms, got ${String(options.pollIntervalMs)}.`,
    );
  }
  const protocol = options.protocol ?? 'auto';
  if (!['auto', 'legacy', 'jsonrpc'].includes(protocol)) {
    throw new ConfigError(
      `Expected \`protocol\` to be 'auto', 'legacy' or 'jsonrpc', got ${JSON.stringify(options.protocol)}.`,
    );
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') {
    throw new ConfigError('Expected `clock` to be an object with a now() method returning epoch milliseconds.');
  }
  return {
    socketPath,
    configDir,
    pollIntervalMs,
    protocol,
    logger: options.logger?.child({ backend: 'zinit', socketPath }),
    clock,
  };
}
