/**
 * The config's script types, services and timings → a `WorkerLifecycleManagerBuilder` (issue 5's API): one
 * worker template per script type (`{workerId}` and `{redisUrl}` filled per instance), the dependency services,
 * the worker settings. The Redis URL reaches workers through `REDIS_URL` in their environment, not argv.
 */
import type { Logger } from 'pino';
import type { SupervisorConfig } from '../config/config-types.js';
import { dieWithParent, findSetpriv } from '../fleet/die-with-parent.js';
import { qualifyPlaceholder } from '../fleet/identity.js';
import { WorkerConfig } from '../lifecycle/worker-config.js';
import { WorkerLifecycleManagerBuilder } from '../lifecycle/worker-lifecycle-manager-builder.js';
import { pickEnv } from '../process/base-environment.js';
import type { ProcessManager, ServiceSpec } from '../process/process-manager.js';
import { BUNDLED_WORKER_NAME, defaultWorkerArgs, workerCommand } from './hero-worker-binary.js';
import { primaryGroupOf, resolveGroupId, resolveUserId } from './user-ids.js';

export interface LifecycleInputs {
  config: SupervisorConfig;
  processManager: ProcessManager;
  /** The URL workers connect with (credentials included): goes to their environment only. */
  workerRedisUrl: string;
  logger: Logger;
  /** Set in a fleet (src/fleet/): worker ids carry the host id; the fleet, not this host, decides the counts. */
  fleetHostId?: string;
}

/** The template of a script type: its first worker, `<type>_worker_0`. */
export async function templateFor(
  config: SupervisorConfig,
  scriptType: string,
  fleetHostId?: string,
): Promise<WorkerConfig> {
  const type = config.scriptTypes[scriptType];
  if (type === undefined) throw new Error(`no script type ${scriptType}`);
  const { binaryPath, prefixArgs } = fleetCommand(config, type.binary, type.sha256, fleetHostId);
  // The bundled worker always gets its standard arguments; configured ones follow (and win: the last value counts).
  const unqualified =
    type.binary === BUNDLED_WORKER_NAME
      ? [...defaultWorkerArgs(scriptType, config.redis.keyPrefix), ...(type.args ?? [])]
      : (type.args ?? []);
  const args = fleetHostId === undefined ? unqualified : unqualified.map((arg) => qualifyPlaceholder(arg, fleetHostId));
  const template = new WorkerConfig(`${scriptType}_worker_0`, binaryPath, scriptType)
    .withArgs([...prefixArgs, ...args])
    .withEnv({ REDIS_URL: '{redisUrl}' }, { secret: true })
    // A Redis Cluster's nodes (hero-worker reads them; they hold no secret).
    .withEnv(config.redis.cluster === undefined ? {} : { REDIS_CLUSTER_NODES: config.redis.cluster.join(',') })
    .withDependencies(type.dependencies)
    .withStopTimeout(type.stopTimeoutMs);
  const publicEnv = Object.fromEntries(Object.entries(type.env).filter(([key]) => !type.secretEnv.includes(key)));
  const secretEnv = Object.fromEntries(Object.entries(type.env).filter(([key]) => type.secretEnv.includes(key)));
  if (Object.keys(publicEnv).length > 0) template.withEnv(publicEnv);
  if (Object.keys(secretEnv).length > 0) template.withSecretEnv(secretEnv);
  if (type.passEnv !== undefined && type.passEnv.length > 0) template.withPassEnv(type.passEnv);
  if (type.healthCheck !== undefined) template.withHealthCheck(type.healthCheck);
  if (type.sha256 !== undefined) template.withSha256(type.sha256.toLowerCase());
  if (type.user !== undefined) {
    const uid = await resolveUserId(type.user, `scriptTypes.${scriptType}.user`);
    const gid =
      type.group !== undefined
        ? await resolveGroupId(type.group, `scriptTypes.${scriptType}.group`)
        : await primaryGroupOf(uid);
    template.withUser(uid, gid);
  }
  return template;
}

/** In a fleet with the embedded backend, workers die with their supervisor (src/fleet/die-with-parent.ts). */
function fleetCommand(config: SupervisorConfig, binary: string, sha256: string | undefined, fleetHostId?: string) {
  const command = workerCommand(binary);
  const setpriv = fleetHostId !== undefined && config.processManager.type === 'embedded' ? findSetpriv() : undefined;
  // A pinned binary is checked by its path: wrapping it would check setpriv instead.
  return setpriv === undefined || sha256 !== undefined ? command : dieWithParent(command, setpriv);
}

export function serviceSpecOf(config: SupervisorConfig, name: string): ServiceSpec {
  const service = config.services[name];
  if (service === undefined) throw new Error(`no service ${name}`);
  const spec: ServiceSpec = {
    name,
    command: service.command,
    // Only what the config names: the variables it passes, then its own env (the backend adds the base, PATH...).
    env: { ...pickEnv(service.passEnv ?? []), ...service.env },
    after: service.after,
    oneshot: service.oneshot,
    stopTimeoutMs: service.stopTimeoutMs,
  };
  if (service.healthCheck !== undefined) spec.healthCheck = service.healthCheck;
  return spec;
}

export async function buildLifecycle({ config, processManager, workerRedisUrl, logger, fleetHostId }: LifecycleInputs) {
  const fleet = fleetHostId !== undefined;
  const { health, restartPolicy } = config;
  const types = Object.values(config.scriptTypes);
  const autoscalePoll = Math.min(...types.map((type) => type.autoscale.pollIntervalMs), Number.POSITIVE_INFINITY);
  const builder = new WorkerLifecycleManagerBuilder(processManager)
    .withRedis(workerRedisUrl, {
      prefix: config.redis.keyPrefix,
      ...(config.redis.cluster !== undefined && { cluster: config.redis.cluster }),
    })
    .withLogger(logger)
    .withSettings({
      idleTimeoutMs: health.idleTimeoutMs,
      pingIntervalMs: health.pingIntervalMs,
      pingTimeoutMs: health.pingTimeoutMs,
      pingFailureThreshold: health.failureThreshold,
      startTimeoutMs: health.startTimeoutMs,
      backoffBaseMs: restartPolicy.backoffBaseMs,
      backoffMaxMs: restartPolicy.backoffMaxMs,
      resetBackoffAfterMs: restartPolicy.resetBackoffAfterMs,
      maxRestarts: restartPolicy.maxRestarts,
      restartWindowMs: restartPolicy.windowMs,
      giveUpCooldownMs: restartPolicy.giveUpCooldownMs,
    });
  if (Number.isFinite(autoscalePoll)) builder.withTimings({ autoscalePollIntervalMs: autoscalePoll });
  for (const name of Object.keys(config.services)) builder.addService(serviceSpecOf(config, name));
  for (const type of types) {
    builder.withScriptType(type.name, {
      template: await templateFor(config, type.name, fleetHostId),
      // In a fleet the member runs its share (0 up to its max) and the fleet's coordinator autoscales.
      min: fleet ? 0 : type.min,
      max: type.max,
      initial: fleet ? 0 : type.min,
      autoscale: {
        enabled: type.autoscale.enabled && !fleet,
        targetJobsPerWorker: type.autoscale.targetJobsPerWorker,
        stabilizationWindowMs: type.autoscale.stabilizationWindowMs,
        cooldownMs: type.autoscale.cooldownMs,
      },
      ...(type.maxMemoryMb !== undefined && { maxMemoryMb: type.maxMemoryMb }),
    });
  }
  return builder;
}
