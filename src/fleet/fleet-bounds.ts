/**
 * The fleet's [min, max] of a script type and the desired count kept within them. The max is the configured
 * fleet max, but never more than the live members can run together (the sum of their capacities).
 */

export interface FleetTypeLimits {
  /** Fewest workers of the type in the whole fleet. */
  min: number;
  /** Most workers of the type in the whole fleet; undefined: as many as the members can run. */
  max: number | undefined;
}

export interface EffectiveBounds {
  min: number;
  max: number;
}

/** [min, max] given the live members' capacities; min is lowered to max when the fleet cannot run min workers. */
export function effectiveBounds(limits: FleetTypeLimits, capacities: Iterable<number>): EffectiveBounds {
  let capacity = 0;
  for (const value of capacities) capacity += Math.max(0, value);
  const max = Math.min(limits.max ?? Number.POSITIVE_INFINITY, capacity);
  return { min: Math.min(limits.min, max), max };
}

export function clampDesired(desired: number, bounds: EffectiveBounds): number {
  return Math.max(bounds.min, Math.min(bounds.max, desired));
}
