/**
 * A supervisor's place in the fleet, above its lifecycle manager's public API. Every `heartbeatMs` it:
 * 1. publishes its record (capacity, workers and their states) with a TTL of `ttlMs` (membership.ts);
 * 2. takes or renews the coordinator lease; the holder runs the coordinator step (coordinator.ts);
 * 3. reads its own share of each script type and scales its lifecycle manager to it (`scaleWorkers`).
 * `setDesired` (the `scale` command on any member) writes the fleet's desired count; `stop` leaves the fleet
 * at once (the others take the share at their next round) and gives the lease up.
 */
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import type { WorkerStatus } from '../lifecycle/worker-lifecycle-manager.js';
import { parseAssignment, type TypeAssignment } from './assignments.js';
import { Coordinator, type FleetTypeSettings, parseDesired } from './coordinator.js';
import { effectiveBounds } from './fleet-bounds.js';
import { type FleetEventMap, type FleetEventName, FleetEvents } from './fleet-events.js';
import { type FleetKeys, fleetKeys } from './fleet-keys.js';
import { buildFleetReport, type FleetReport } from './fleet-report.js';
import { fleetWorkerId } from './identity.js';
import { CoordinatorLease } from './lease.js';
import { type MemberRecord, Membership, type MembershipView } from './membership.js';
import type { FleetRedis } from './redis-client.js';

/** What the fleet uses of a `WorkerLifecycleManager`. */
export interface FleetLifecycle {
  scaleWorkers(scriptType: string, count: number): Promise<void>;
  listWorkers(): WorkerStatus[];
}

export interface FleetMemberTypeOptions extends FleetTypeSettings {
  /** The most workers of this type this member runs (its own `max`). */
  capacity: number;
}

export interface FleetMemberOptions {
  redis: FleetRedis;
  prefix: string;
  hostId: string;
  lifecycle: FleetLifecycle;
  types: ReadonlyMap<string, FleetMemberTypeOptions>;
  readDepth: (scriptType: string) => Promise<number>;
  logger: Logger;
  /** @defaultValue 1000 */
  heartbeatMs?: number;
  /** A member (and the lease) whose heartbeat is older than this is gone. @defaultValue 3 × heartbeatMs */
  ttlMs?: number;
  adminEndpoint?: string;
}

const COUNTED_STATES: ReadonlySet<string> = new Set(['starting', 'running', 'idle', 'pinging']);

export class FleetMember {
  readonly hostId: string;
  readonly heartbeatMs: number;
  readonly ttlMs: number;
  readonly #options: FleetMemberOptions;
  readonly #keys: FleetKeys;
  readonly #membership: Membership;
  readonly #lease: CoordinatorLease;
  readonly #coordinator: Coordinator;
  readonly #events = new FleetEvents();
  readonly #startedAt = Date.now();
  /** The share last handed to the lifecycle manager per type, and the scale call in flight. */
  readonly #applied = new Map<string, number>();
  readonly #applying = new Map<string, Promise<void>>();
  #members: string[] = [];
  #coordinatorHost: string | null = null;
  #token: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #failing = false;

  constructor(options: FleetMemberOptions) {
    this.#options = options;
    this.hostId = options.hostId;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? 3 * this.heartbeatMs;
    if (this.ttlMs < 2 * this.heartbeatMs) {
      throw new ConfigError(
        `Expected \`fleet.ttlMs\` (${this.ttlMs}) to be at least twice \`fleet.heartbeatMs\` (${this.heartbeatMs}): one late heartbeat must not drop a member.`,
        [{ path: 'fleet.ttlMs', message: 'less than 2 × heartbeatMs' }],
      );
    }
    this.#keys = fleetKeys(options.prefix);
    this.#membership = new Membership(options.redis, this.#keys);
    this.#lease = new CoordinatorLease(options.redis, this.#keys, options.hostId);
    this.#coordinator = new Coordinator({
      redis: options.redis,
      keys: this.#keys,
      lease: this.#lease,
      types: options.types,
      readDepth: options.readDepth,
      logger: options.logger,
      onDesired: (event) => {
        options.logger.info({ ...event }, 'fleet desired count decided');
        this.#events.emit('fleet:desired', { hostId: this.hostId, ...event, at: Date.now() });
      },
    });
  }

  on<K extends FleetEventName>(name: K, listener: (event: FleetEventMap[K]) => void): () => void {
    return this.#events.on(name, listener);
  }

  /** Joins: the first round runs now (a Redis error rejects), then one every `heartbeatMs`. */
  async start(): Promise<void> {
    await this.#runRound(true);
    this.#timer = setInterval(() => {
      if (this.#round === undefined) this.#round = this.#runRound(false).finally(() => (this.#round = undefined));
    }, this.heartbeatMs);
    this.#timer.unref();
  }

  /** The fleet's desired count of a script type (the `scale` command): checked against the live fleet's [min, max]. */
  async setDesired(scriptType: string, count: number): Promise<void> {
    const type = this.#options.types.get(scriptType);
    if (type === undefined) {
      throw new ConfigError(
        `Cannot scale \`${scriptType}\`: no such script type (known: ${[...this.#options.types.keys()].join(', ') || 'none'}).`,
        [{ path: `scriptTypes.${scriptType}`, message: 'unknown script type' }],
      );
    }
    const view = await this.#membership.read();
    const bounds = effectiveBounds(
      type.limits,
      view.members.map(({ record }) => record.capacity[scriptType] ?? 0),
    );
    if (!Number.isInteger(count) || count < bounds.min || count > bounds.max) {
      throw new ConfigError(
        `Cannot scale \`${scriptType}\` to ${count}: expected an integer within [${bounds.min}, ${bounds.max}] (the fleet's min, max with ${view.members.length} live member(s)).`,
        [{ path: `scriptTypes.${scriptType}`, message: 'count out of bounds' }],
      );
    }
    await this.#options.redis.hset(this.#keys.desired, scriptType, String(count));
    this.#options.logger.info({ scriptType, count, reason: 'manual' }, 'fleet desired count set');
  }

  /** Every live member, its workers and shares, and per type the fleet's counts. */
  async report(): Promise<FleetReport> {
    const [view, lease, desired, assignments] = await Promise.all([
      this.#membership.read(),
      this.#lease.read(),
      this.#options.redis.hgetall(this.#keys.desired),
      this.#options.redis.hgetall(this.#keys.assignments),
    ]);
    const limits = new Map([...this.#options.types].map(([name, type]) => [name, type.limits]));
    return buildFleetReport({
      hostId: this.hostId,
      prefix: this.#options.prefix,
      view,
      lease,
      desired: Object.fromEntries(
        [...limits].map(([name, type]) => [name, parseDesired(desired[name], type.min)] as const),
      ),
      assignments: Object.fromEntries(Object.entries(assignments).map(([name, text]) => [name, parseAssignment(text)])),
      limits,
    });
  }

  /** Leaves the fleet (the others take over at their next round) and gives the lease up; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#timer);
      await this.#round;
      try {
        await this.#membership.leave(this.hostId);
        if (this.#token !== null && this.#coordinatorHost === this.hostId) await this.#lease.release(this.#token);
      } catch (error) {
        this.#options.logger.warn({ err: error }, 'could not leave the fleet (its heartbeat lapses by itself)');
      }
    })();
    return this.#stopping;
  }

  /** The record this member publishes. */
  record(): MemberRecord {
    const capacity: Record<string, number> = {};
    const running: Record<string, number> = {};
    const stopping: Record<string, number> = {};
    for (const [name, type] of this.#options.types) {
      capacity[name] = type.capacity;
      running[name] = 0;
      stopping[name] = 0;
    }
    const workers = this.#options.lifecycle.listWorkers().map((worker) => {
      if (COUNTED_STATES.has(worker.state)) running[worker.scriptType] = (running[worker.scriptType] ?? 0) + 1;
      if (worker.state === 'stopping') stopping[worker.scriptType] = (stopping[worker.scriptType] ?? 0) + 1;
      return {
        id: fleetWorkerId(this.hostId, worker.name),
        name: worker.name,
        scriptType: worker.scriptType,
        state: worker.state,
        pid: worker.pid,
      };
    });
    return {
      hostId: this.hostId,
      pid: process.pid,
      startedAt: this.#startedAt,
      capacity,
      running,
      stopping,
      workers,
      ...(this.#options.adminEndpoint !== undefined && { adminEndpoint: this.#options.adminEndpoint }),
    };
  }

  async #runRound(rethrow: boolean): Promise<void> {
    if (this.#stopping !== undefined) return;
    try {
      await this.#membership.heartbeat(this.record(), this.ttlMs);
      const view = await this.#membership.read();
      this.#noteMembers(view);
      const lease = await this.#lease.acquireOrRenew(this.ttlMs);
      this.#noteCoordinator(lease.holder, lease.token);
      if (lease.held && lease.token !== null) await this.#coordinator.step(view, lease.token);
      else this.#coordinator.reset();
      this.#apply(await this.#options.redis.hgetall(this.#keys.assignments));
      if (this.#failing) this.#options.logger.info('fleet rounds work again');
      this.#failing = false;
    } catch (error) {
      if (rethrow) throw error;
      if (!this.#failing) {
        this.#options.logger.warn({ err: error }, 'fleet round failed; retrying every heartbeat');
        this.#events.emit('fleet:error', { hostId: this.hostId, context: 'fleet round', error: error as Error });
      }
      this.#failing = true;
    }
  }

  #noteMembers(view: MembershipView): void {
    const members = view.members.map(({ record }) => record.hostId);
    const joined = members.filter((host) => !this.#members.includes(host));
    const left = this.#members.filter((host) => !members.includes(host));
    this.#members = members;
    if (joined.length === 0 && left.length === 0) return;
    this.#options.logger.info({ members, joined, left }, 'fleet membership changed');
    this.#events.emit('fleet:members', { hostId: this.hostId, members, joined, left, at: Date.now() });
  }

  #noteCoordinator(holder: string | null, token: number | null): void {
    if (holder === this.#coordinatorHost && token === this.#token) return;
    this.#coordinatorHost = holder;
    this.#token = token;
    this.#options.logger.info({ coordinator: holder, token }, 'fleet coordinator');
    this.#events.emit('fleet:coordinator', { hostId: this.hostId, coordinator: holder, token, at: Date.now() });
  }

  /** Scales to this member's share of each type; a member not in an assignment yet keeps what it runs. */
  #apply(stored: Record<string, string>): void {
    for (const [scriptType, type] of this.#options.types) {
      const assignment: TypeAssignment | undefined = parseAssignment(stored[scriptType]);
      const share = assignment?.shares[this.hostId];
      if (assignment === undefined || share === undefined) continue;
      const count = Math.min(share, type.capacity);
      if (this.#applied.get(scriptType) === count || this.#applying.has(scriptType)) continue;
      const from = this.#applied.get(scriptType) ?? null;
      this.#applied.set(scriptType, count);
      this.#options.logger.info({ scriptType, from, to: count, token: assignment.token }, 'fleet share assigned');
      this.#events.emit('fleet:assigned', {
        hostId: this.hostId,
        scriptType,
        from,
        to: count,
        token: assignment.token,
        at: Date.now(),
      });
      const applying = this.#options.lifecycle
        .scaleWorkers(scriptType, count)
        .catch((error: Error) => {
          // Tried again at the next round.
          this.#applied.delete(scriptType);
          this.#options.logger.warn({ err: error, scriptType, count }, 'could not scale to the fleet share');
          this.#events.emit('fleet:error', { hostId: this.hostId, context: `scale ${scriptType}`, error });
        })
        .finally(() => this.#applying.delete(scriptType));
      this.#applying.set(scriptType, applying);
    }
  }
}
