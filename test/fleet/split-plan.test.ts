/**
 * The fleet's split and assignment plan (issue #14), as properties: the split adds up and respects capacity; the
 * plan never lets the fleet exceed its max while shares move, never gives a member more than its target, and
 * settles on the split within two rounds once members report what they were assigned. The seed is printed; rerun
 * one with FC_SEED=<seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { occupancy, planAssignments } from '../../src/fleet/plan.js';
import { splitByCapacity } from '../../src/fleet/split.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`fleet properties: fast-check seed ${seed} (FC_SEED=${seed} to replay)`);
const runs = { seed, numRuns: 300 };

const members = fc.uniqueArray(
  fc.record({ hostId: fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), capacity: fc.integer({ min: 0, max: 8 }) }),
  { minLength: 1, maxLength: 6, selector: (member) => member.hostId },
);

const sum = (map: ReadonlyMap<string, number>) => [...map.values()].reduce((total, value) => total + value, 0);

describe('splitByCapacity', () => {
  it('examples: equal capacities split evenly, the remainder to the lowest host ids', () => {
    const three = [
      { hostId: 'c', capacity: 4 },
      { hostId: 'a', capacity: 4 },
      { hostId: 'b', capacity: 4 },
    ];
    expect(Object.fromEntries(splitByCapacity(6, three))).toEqual({ a: 2, b: 2, c: 2 });
    expect(Object.fromEntries(splitByCapacity(4, three))).toEqual({ a: 2, b: 1, c: 1 });
    expect(Object.fromEntries(splitByCapacity(20, three))).toEqual({ a: 4, b: 4, c: 4 });
    expect(
      Object.fromEntries(
        splitByCapacity(3, [
          { hostId: 'a', capacity: 1 },
          { hostId: 'b', capacity: 2 },
        ]),
      ),
    ).toEqual({ a: 1, b: 2 });
  });

  it('adds up to min(desired, capacity), never above a member capacity, the same in any member order', () => {
    fc.assert(
      fc.property(members, fc.integer({ min: 0, max: 60 }), (list, desired) => {
        const shares = splitByCapacity(desired, list);
        const capacity = list.reduce((total, member) => total + member.capacity, 0);
        expect(sum(shares)).toBe(Math.min(desired, capacity));
        for (const member of list) {
          const share = shares.get(member.hostId) ?? -1;
          expect(share).toBeGreaterThanOrEqual(0);
          expect(share).toBeLessThanOrEqual(member.capacity);
        }
        expect(splitByCapacity(desired, [...list].reverse())).toEqual(shares);
      }),
      runs,
    );
  });
});

describe('planAssignments', () => {
  it('moves a share in two rounds: the loser is lowered first, the gainer raised once the loser reports', () => {
    const targets = new Map([
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    const before = new Map([
      ['a', 3],
      ['b', 3],
    ]);
    const first = planAssignments({ targets, previous: before, reported: before, fleetMax: 6 });
    expect(Object.fromEntries(first)).toEqual({ a: 2, b: 2, c: 0 });
    const second = planAssignments({
      targets,
      previous: first,
      reported: new Map([
        ['a', 2],
        ['b', 2],
        ['c', 0],
      ]),
      fleetMax: 6,
    });
    expect(Object.fromEntries(second)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('a member that returns still running workers (adopted) keeps up to its target of them, none restarted', () => {
    const targets = new Map([
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    const next = planAssignments({
      targets,
      previous: new Map([
        ['a', 3],
        ['b', 3],
      ]),
      reported: new Map([
        ['a', 3],
        ['b', 3],
        ['c', 3],
      ]),
      fleetMax: 6,
    });
    // Everyone is lowered to 2; c keeps 2 of the 3 it runs instead of dropping to 0 and starting 2 again.
    expect(Object.fromEntries(next)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('keeps Σ max(assigned, reported) within the max, stays within targets, and settles within two rounds', () => {
    const state = members.chain((list) =>
      fc.record({
        list: fc.constant(list),
        desired: fc.integer({ min: 0, max: 40 }),
        fleetMax: fc.integer({ min: 0, max: 40 }),
        previous: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: list.length, maxLength: list.length }),
      }),
    );
    fc.assert(
      fc.property(state, ({ list, desired, fleetMax, previous }) => {
        const hosts = list.map((member) => member.hostId);
        const capped = list.map((member, index) => Math.min(previous[index] ?? 0, member.capacity));
        let assigned = new Map(hosts.map((host, index) => [host, capped[index] ?? 0]));
        let reported = new Map(assigned);
        const capacity = list.reduce((total, member) => total + member.capacity, 0);
        const targets = splitByCapacity(Math.min(desired, fleetMax), list);
        // A fleet that starts above its max (members that returned) may stay there until it shrinks; never grows.
        let bound = Math.max(fleetMax, occupancy(hosts, assigned, reported));
        for (let round = 0; round < 3; round++) {
          const next = planAssignments({ targets, previous: assigned, reported, fleetMax });
          for (const host of hosts) expect(next.get(host) ?? 0).toBeLessThanOrEqual(targets.get(host) ?? 0);
          // What the members may run between the write and their next report: max(old report, new assignment).
          expect(occupancy(hosts, next, reported)).toBeLessThanOrEqual(bound);
          assigned = next;
          reported = new Map(next);
          bound = Math.max(fleetMax, occupancy(hosts, assigned, reported));
        }
        expect(sum(assigned)).toBe(Math.min(desired, fleetMax, capacity));
        expect(assigned).toEqual(targets);
      }),
      runs,
    );
  });
});
