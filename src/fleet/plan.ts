/**
 * From the split (what each member should run) to the assignments the coordinator writes (what each member may
 * run now), so that the fleet never runs more than its max while shares move between members.
 *
 * A member runs at most max(its assignment, what it still runs): it scales down to a lower assignment, and up only
 * to its assignment. So the fleet's count is bounded by `occupancy = Σ max(assigned, reported)`. The plan lowers
 * assignments at once and raises them only within the room under `fleetMax` that the reported counts leave: a
 * share moves from A to B in two rounds (A is lowered; once A reports the lower count, B is raised).
 */
import { sortMembers } from './split.js';

export interface PlanInput {
  /** The split: what each live member should run (already within its capacity). */
  targets: ReadonlyMap<string, number>;
  /** The assignments in force (a member without one has 0). */
  previous: ReadonlyMap<string, number>;
  /** What each live member reported it runs (running and starting workers; stopping ones are not counted). */
  reported: ReadonlyMap<string, number>;
  /** The most workers the fleet may run. */
  fleetMax: number;
}

const get = (map: ReadonlyMap<string, number>, key: string) => Math.max(0, map.get(key) ?? 0);

/** Σ max(assigned, reported) over the given members: the most workers they may be running. */
export function occupancy(
  hosts: Iterable<string>,
  assigned: ReadonlyMap<string, number>,
  reported: ReadonlyMap<string, number>,
): number {
  let sum = 0;
  for (const host of hosts) sum += Math.max(get(assigned, host), get(reported, host));
  return sum;
}

/** The next assignments of the live members (the keys of `targets`). */
export function planAssignments({ targets, previous, reported, fleetMax }: PlanInput): Map<string, number> {
  const hosts = sortMembers([...targets.keys()].map((hostId) => ({ hostId }))).map((member) => member.hostId);
  const next = new Map<string, number>();
  // Lower at once; keep what was assigned where the target is higher.
  for (const host of hosts) next.set(host, Math.min(get(previous, host), get(targets, host)));
  let room = fleetMax - occupancy(hosts, next, reported);
  for (const host of hosts) {
    const current = get(next, host);
    const target = get(targets, host);
    if (target <= current) continue;
    const runs = get(reported, host);
    const before = Math.max(current, runs);
    // Up to what the member already runs is free; above it, each worker takes one unit of room.
    const raised = target <= runs ? target : Math.min(target, before + Math.max(0, room));
    if (raised <= current) continue;
    next.set(host, raised);
    room -= Math.max(raised, runs) - before;
  }
  return next;
}
