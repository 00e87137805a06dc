/**
 * What the daemon adds in a fleet (config `fleet`): the host id, the wire ids of its workers (fleet-transport.ts),
 * the member itself (fleet-member.ts), its gauges, and lifecycle events with the host id. Opened before the
 * lifecycle manager is built, started once its workers are up, left before it shuts down.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SupervisorConfig } from '../config/config-types.js';
import type { LifecycleEventMap, LifecycleEventName } from '../lifecycle/lifecycle-events.js';
import { readQueueDepth } from '../lifecycle/queue-depth.js';
import type { WorkerLifecycleManager } from '../lifecycle/worker-lifecycle-manager.js';
import type { SupervisorPort } from '../lifecycle/worker-lifecycle-manager-builder.js';
import { JobActivityStream } from '../transport/job-activity.js';
import { PingClient } from '../transport/ping-client.js';
import { jobQueueName } from '../transport/queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
} from '../transport/redis-connection.js';
import type { FleetConfig } from './fleet-config.js';
import { FleetMember, type FleetMemberTypeOptions } from './fleet-member.js';
import { registerFleetMetrics } from './fleet-metrics.js';
import type { FleetReport } from './fleet-report.js';
import { fleetSupervisorPort } from './fleet-transport.js';
import { resolveHostId } from './identity.js';

export interface DaemonFleetInputs {
  config: SupervisorConfig & { fleet: FleetConfig };
  redis: ResolvedRedisConnection;
  /** How the fleet's own Redis clients connect (the workers' URL, TLS). */
  clientRedis: RedisConnectionOptions;
  logger: Logger;
}

/** A lifecycle event as a fleet member reports it: with its host id. */
export type HostLifecycleEvent<K extends LifecycleEventName> = LifecycleEventMap[K] & { hostId: string };

export class DaemonFleet {
  readonly hostId: string;
  /** The daemon's logger with `hostId` on every line. */
  readonly logger: Logger;
  readonly #inputs: DaemonFleetInputs;
  readonly #pings: PingClient;
  readonly #activity: JobActivityStream;
  readonly #queues = new Map<string, Queue>();
  #connection: Redis | undefined;
  #member: FleetMember | undefined;
  #lifecycle: WorkerLifecycleManager | undefined;

  constructor(inputs: DaemonFleetInputs) {
    this.#inputs = inputs;
    this.hostId = resolveHostId(inputs.config.fleet.hostId);
    this.logger = inputs.logger.child({ hostId: this.hostId });
    this.#pings = new PingClient({ redis: inputs.clientRedis, logger: this.logger });
    this.#activity = new JobActivityStream({ redis: inputs.clientRedis, logger: this.logger });
  }

  /** For `builder.withSupervisor(...)`: pings and job activity under the wire ids of this host's workers. */
  supervisorPort(): SupervisorPort {
    return fleetSupervisorPort({
      hostId: this.hostId,
      pings: this.#pings,
      activity: this.#activity,
      redisDisplay: this.#inputs.redis.display,
    });
  }

  get member(): FleetMember {
    if (this.#member === undefined) throw new Error('fleet not started');
    return this.#member;
  }

  /** Joins the fleet; from now on the coordinator's shares drive the lifecycle manager. */
  async start(lifecycle: WorkerLifecycleManager, registry: Registry, adminEndpoint?: string): Promise<void> {
    const { config, redis } = this.#inputs;
    this.#lifecycle = lifecycle;
    const connection = createRedisConnection(redis, { name: 'hero-fleet', logger: this.logger });
    this.#connection = connection;
    const types = new Map<string, FleetMemberTypeOptions>();
    for (const type of Object.values(config.scriptTypes)) {
      const limits = config.fleet.scriptTypes[type.name];
      types.set(type.name, {
        capacity: type.max,
        limits: { min: limits?.min ?? type.min, max: limits?.max },
        autoscale: {
          enabled: type.autoscale.enabled,
          targetJobsPerWorker: type.autoscale.targetJobsPerWorker,
          stabilizationWindowMs: type.autoscale.stabilizationWindowMs,
          cooldownMs: type.autoscale.cooldownMs,
        },
      });
      const queue = new Queue(jobQueueName(type.name), { connection, prefix: redis.prefix });
      queue.on('error', () => {});
      this.#queues.set(type.name, queue);
    }
    const member = new FleetMember({
      redis: connection,
      prefix: redis.prefix,
      hostId: this.hostId,
      lifecycle,
      types,
      readDepth: async (scriptType) => {
        const queue = this.#queues.get(scriptType);
        return queue === undefined ? 0 : readQueueDepth(queue);
      },
      logger: this.logger,
      heartbeatMs: config.fleet.heartbeatMs,
      ttlMs: config.fleet.ttlMs,
      ...(adminEndpoint !== undefined && { adminEndpoint }),
    });
    this.#member = member;
    registerFleetMetrics(registry, () => member.report());
    await member.start();
    this.logger.info(
      { heartbeatMs: member.heartbeatMs, ttlMs: member.ttlMs, failoverBoundMs: 2 * member.ttlMs },
      'joined the fleet',
    );
  }

  /** A lifecycle event with this member's host id (`worker:stateChanged` → `{ ..., hostId }`). */
  onLifecycle<K extends LifecycleEventName>(name: K, listener: (event: HostLifecycleEvent<K>) => void): () => void {
    if (this.#lifecycle === undefined) throw new Error('fleet not started');
    return this.#lifecycle.on(name, (event) => listener({ ...event, hostId: this.hostId }));
  }

  setDesired(scriptType: string, count: number): Promise<void> {
    return this.member.setDesired(scriptType, count);
  }

  report(): Promise<FleetReport> {
    return this.member.report();
  }

  /** Leaves the fleet (before the lifecycle manager shuts down: the others take the share at once). */
  async leave(): Promise<void> {
    await this.#member?.stop();
  }

  /** Closes the fleet's clients (after the lifecycle manager shut down: it pings through them until then). */
  async close(): Promise<void> {
    await this.leave();
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()));
    await Promise.allSettled([this.#pings.close(), this.#activity.close()]);
    this.#connection?.disconnect();
  }
}
