/**
 * The resolved configuration everything else reads: defaults applied, durations in milliseconds,
 * environment references resolved. Secrets are plain strings here; `configSecrets()` lists them for redaction.
 */
import type { FleetConfig } from '../fleet/fleet-config.js';
import type { ParsedConfig } from './schema.js';

export type LogLevel = ParsedConfig['logging']['level'];

export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export interface RedisConfig {
  url: string;
  /** Set when `tls` is configured or the URL is `rediss://`. */
  tls?: TlsConfig;
  username?: string;
  /** Secret. */
  password?: string;
  keyPrefix: string;
  /** Redis Cluster nodes (`host:port`); the key prefix is then a hash tag. */
  cluster?: string[];
}

export type ProcessManagerConfig =
  | { type: 'embedded'; stateFile?: string }
  | { type: 'zinit'; socketPath: string; configDir: string; pollIntervalMs: number };

export interface AutoscaleConfig {
  enabled: boolean;
  targetJobsPerWorker: number;
  stabilizationWindowMs: number;
  cooldownMs: number;
  pollIntervalMs: number;
}

export interface ScriptTypeConfig {
  name: string;
  binary: string;
  /** Undefined when not configured (the bundled `hero-worker` then gets its standard arguments). */
  args?: string[];
  env: Record<string, string>;
  /** Names of `env` entries marked secret. */
  secretEnv: string[];
  /** Variables of the supervisor's environment the workers also get: the top-level `passEnv`, then the type's own. */
  passEnv?: string[];
  healthCheck?: string[];
  dependencies: string[];
  min: number;
  max: number;
  maxMemoryMb?: number;
  sha256?: string;
  user?: string | number;
  group?: string | number;
  stopTimeoutMs: number;
  autoscale: AutoscaleConfig;
}

export interface ServiceConfig {
  name: string;
  command: string[];
  env: Record<string, string>;
  secretEnv: string[];
  /** As `ScriptTypeConfig.passEnv`. */
  passEnv?: string[];
  healthCheck?: string[];
  after: string[];
  oneshot: boolean;
  stopTimeoutMs: number;
}

export type HealthConfig = ParsedConfig['health'];
export type RestartPolicyConfig = ParsedConfig['restartPolicy'];

export interface AdminConfig {
  enabled: boolean;
  host: string;
  port: number;
  socketPath?: string;
  /** Secret. From `token`, or the `tokenEnv` variable; undefined when neither is set. */
  token?: string;
  tokenEnv: string;
  tokenFile?: string;
  /** Set (true) when the config allows a non-loopback `host`. */
  allowRemote?: boolean;
}

export interface SupervisorConfig {
  redis: RedisConfig;
  processManager: ProcessManagerConfig;
  scriptTypes: Record<string, ScriptTypeConfig>;
  services: Record<string, ServiceConfig>;
  health: HealthConfig;
  restartPolicy: RestartPolicyConfig;
  logging: { level: LogLevel; pretty: boolean };
  admin: AdminConfig;
  /** Set: this supervisor is a fleet member (src/fleet/). */
  fleet?: FleetConfig;
}
