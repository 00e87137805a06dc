/**
 * One coordinator step, run only by the holder of the lease: for each script type, the fleet's desired count
 * (the stored one, or the autoscaler's decision from the queue depth: decided once per fleet, here), its split
 * across the live members by capacity, and the assignments that move toward it without the fleet exceeding its
 * max (plan.ts). Every write is fenced by the lease token.
 */
import type { Logger } from 'pino';
import {
  type AutoscaleMemory,
  type AutoscaleSettings,
  decideAutoscale,
  EMPTY_AUTOSCALE_MEMORY,
} from '../../machines/scaler-policy.js';
import { parseAssignment, sameShares, type TypeAssignment } from './assignments.js';
import { clampDesired, effectiveBounds, type FleetTypeLimits } from './fleet-bounds.js';
import type { FleetKeys } from './fleet-keys.js';
import type { CoordinatorLease } from './lease.js';
import type { MembershipView } from './membership.js';
import { planAssignments } from './plan.js';
import type { FleetRedis } from './redis-client.js';
import { splitByCapacity } from './split.js';

export interface FleetTypeSettings {
  limits: FleetTypeLimits;
  /** The fleet's autoscaling of this type (enabled or not). */
  autoscale: AutoscaleSettings;
}

export interface CoordinatorParts {
  redis: FleetRedis;
  keys: FleetKeys;
  lease: CoordinatorLease;
  types: ReadonlyMap<string, FleetTypeSettings>;
  /** Waiting + prioritized jobs of a type (BullMQ getters). */
  readDepth: (scriptType: string) => Promise<number>;
  logger: Logger;
  onDesired?: (event: { scriptType: string; from: number; to: number; reason: string; detail: string }) => void;
}

/** The desired count when none is stored yet: the fleet's min. */
export function parseDesired(text: string | undefined, fallback: number): number {
  const value = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

export class Coordinator {
  readonly #parts: CoordinatorParts;
  readonly #memory = new Map<string, AutoscaleMemory>();

  constructor(parts: CoordinatorParts) {
    this.#parts = parts;
  }

  /** Forgets the autoscaler's window (the lease was lost: the next holder starts its own). */
  reset(): void {
    this.#memory.clear();
  }

  /** One round; returns the assignments written (empty when nothing changed or the lease was lost). */
  async step(view: MembershipView, token: number): Promise<Map<string, TypeAssignment>> {
    const { redis, keys, lease, types } = this.#parts;
    const [storedDesired, storedAssignments] = await Promise.all([
      redis.hgetall(keys.desired),
      redis.hgetall(keys.assignments),
    ]);
    const written = new Map<string, TypeAssignment>();
    const desiredWrites: Record<string, string> = {};
    const assignmentWrites: Record<string, string> = {};
    for (const [scriptType, settings] of types) {
      const members = view.members.map(({ record }) => ({
        hostId: record.hostId,
        capacity: record.capacity[scriptType] ?? 0,
        running: record.running[scriptType] ?? 0,
      }));
      const bounds = effectiveBounds(
        settings.limits,
        members.map((member) => member.capacity),
      );
      const stored = storedDesired[scriptType];
      let desired = parseDesired(stored, settings.limits.min);
      // The first coordinator seeds the count; HSETNX so that a `scale` sent meanwhile is not overwritten.
      if (stored === undefined) await redis.hsetnx(keys.desired, scriptType, String(desired));
      if (settings.autoscale.enabled && members.length > 0) {
        const decision = decideAutoscale({
          now: view.now,
          depth: await this.#parts.readDepth(scriptType),
          desired: clampDesired(desired, bounds),
          min: bounds.min,
          max: bounds.max,
          settings: settings.autoscale,
          memory: this.#memory.get(scriptType) ?? EMPTY_AUTOSCALE_MEMORY,
        });
        this.#memory.set(scriptType, decision.memory);
        if (decision.type === 'scale' && decision.desired !== desired) {
          this.#parts.onDesired?.({
            scriptType,
            from: desired,
            to: decision.desired,
            reason: decision.reason,
            detail: decision.detail,
          });
          desired = decision.desired;
          desiredWrites[scriptType] = String(desired);
        }
      }
      const effective = clampDesired(desired, bounds);
      const previous = parseAssignment(storedAssignments[scriptType]);
      const next = planAssignments({
        targets: splitByCapacity(effective, members),
        previous: new Map(Object.entries(previous?.shares ?? {})),
        reported: new Map(members.map((member) => [member.hostId, member.running])),
        fleetMax: bounds.max,
      });
      if (previous !== undefined && previous.desired === effective && sameShares(next, previous.shares)) continue;
      const assignment: TypeAssignment = { token, desired: effective, shares: Object.fromEntries(next) };
      assignmentWrites[scriptType] = JSON.stringify(assignment);
      written.set(scriptType, assignment);
    }
    if (!(await lease.fencedHset(token, keys.desired, desiredWrites))) return new Map();
    if (!(await lease.fencedHset(token, keys.assignments, assignmentWrites))) return new Map();
    return written;
  }
}
