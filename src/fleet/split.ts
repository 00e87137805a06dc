/**
 * The fleet-wide desired count of a script type, split across the live members by capacity. Pure and
 * deterministic: the same membership and count give the same split on every host (members sorted by host id,
 * largest remainder, ties to the lower host id), so a split never depends on who computes it.
 */

export interface MemberCapacity {
  hostId: string;
  /** The most workers of this type the member runs (its own `max`). */
  capacity: number;
}

/** Members in the one order every host uses: by host id (code unit order, locale-free). */
export function sortMembers<T extends { hostId: string }>(members: readonly T[]): T[] {
  return [...members].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
}

/**
 * Each member's share of `desired`: proportional to its capacity, never above it, summing to
 * min(desired, total capacity). Members with capacity 0 get 0.
 */
export function splitByCapacity(desired: number, members: readonly MemberCapacity[]): Map<string, number> {
  const sorted = sortMembers(members).map((member) => ({ ...member, capacity: Math.max(0, member.capacity) }));
  const capacity = sorted.reduce((sum, member) => sum + member.capacity, 0);
  const total = Math.max(0, Math.min(desired, capacity));
  const shares = new Map<string, number>(sorted.map((member) => [member.hostId, 0]));
  if (total === 0) return shares;
  const parts = sorted.map((member, order) => {
    const ideal = (total * member.capacity) / capacity;
    return { hostId: member.hostId, order, floor: Math.floor(ideal), fraction: ideal - Math.floor(ideal) };
  });
  let left = total;
  for (const part of parts) {
    shares.set(part.hostId, part.floor);
    left -= part.floor;
  }
  // ideal <= capacity, so a member with a fraction > 0 still has room for one more.
  const byRemainder = [...parts].sort((a, b) => b.fraction - a.fraction || a.order - b.order);
  for (const part of byRemainder) {
    if (left <= 0) break;
    if (part.fraction <= 0) continue;
    shares.set(part.hostId, part.floor + 1);
    left -= 1;
  }
  return shares;
}
