/**
 * Every default of the config file, declared once. The loader fills these in; the JSON Schema publishes them.
 * Worker timings and autoscaling come from the statecharts' own defaults (`machines/worker.defaults.ts`,
 * `machines/scaler-policy.ts`): 10 min idle, 10 min ping interval, 3 failed pings, 5 restarts in 60 s...
 */
import { DEFAULT_AUTOSCALE } from '../../machines/scaler-policy.js';
import { defaultWorkerSettings as worker } from '../../machines/worker.defaults.js';
import { SECOND } from './duration.js';

/** Where `hero-supervisor` and its CLI meet when nothing else is configured. */
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
/** An unassigned port in IANA's registry, easy to remember; `0` picks a free one. */
export const DEFAULT_ADMIN_PORT = 7171;
/** The environment variable that holds the admin token when the config names none. */
export const DEFAULT_ADMIN_TOKEN_ENV = 'HERO_ADMIN_TOKEN';

export const DEFAULTS = {
  redis: {
    url: 'redis://127.0.0.1:6379',
    keyPrefix: 'hero',
  },
  processManager: {
    zinit: {
      socketPath: '/var/run/zinit.sock',
      configDir: '/etc/zinit',
      // Zinit pushes nothing: one `list` per interval for all services, diffed into events.
      pollIntervalMs: 250,
    },
  },
  scriptType: {
    min: 1,
    // A worker being stopped gets this long to finish its active job before SIGKILL.
    stopTimeoutMs: 10 * SECOND,
  },
  autoscale: {
    enabled: DEFAULT_AUTOSCALE.enabled,
    targetJobsPerWorker: DEFAULT_AUTOSCALE.targetJobsPerWorker,
    // Scale down only after the queue stayed low this long (scale-up is immediate).
    stabilizationWindowMs: DEFAULT_AUTOSCALE.stabilizationWindowMs,
    cooldownMs: DEFAULT_AUTOSCALE.cooldownMs,
    pollIntervalMs: SECOND,
  },
  service: {
    oneshot: false,
    stopTimeoutMs: 10 * SECOND,
  },
  health: {
    idleTimeoutMs: worker.idleTimeoutMs,
    pingIntervalMs: worker.pingIntervalMs,
    pingTimeoutMs: worker.pingTimeoutMs,
    failureThreshold: worker.pingFailureThreshold,
    startTimeoutMs: worker.startTimeoutMs,
  },
  restartPolicy: {
    backoffBaseMs: worker.backoffBaseMs,
    backoffMaxMs: worker.backoffMaxMs,
    resetBackoffAfterMs: worker.resetBackoffAfterMs,
    maxRestarts: worker.maxRestarts,
    windowMs: worker.restartWindowMs,
    giveUpCooldownMs: worker.giveUpCooldownMs,
  },
  logging: {
    level: 'info',
    pretty: false,
  },
  admin: {
    host: DEFAULT_ADMIN_HOST,
    port: DEFAULT_ADMIN_PORT,
    tokenEnv: DEFAULT_ADMIN_TOKEN_ENV,
  },
} as const;
