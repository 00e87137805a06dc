/**
 * The fleet's Redis parts against the run's real Redis (issue #14): membership with TTL, the coordinator lease
 * with its fencing token, and coordinator rounds that split the desired count and move shares without exceeding
 * the fleet's max.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_AUTOSCALE } from '../../machines/scaler-policy.js';
import { parseAssignment } from '../../src/fleet/assignments.js';
import { Coordinator } from '../../src/fleet/coordinator.js';
import { fleetKeys } from '../../src/fleet/fleet-keys.js';
import { CoordinatorLease } from '../../src/fleet/lease.js';
import { type MemberRecord, Membership } from '../../src/fleet/membership.js';
import { waitFor } from '../helpers/wait-for.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const logger = pino({ level: 'silent' });

function record(hostId: string, capacity: number, running = 0): MemberRecord {
  return {
    hostId,
    pid: 1,
    startedAt: Date.now(),
    capacity: { python: capacity },
    running: { python: running },
    stopping: { python: 0 },
    workers: [],
  };
}

describe('Membership', () => {
  it('lists live members sorted by host id, and a member whose heartbeat lapsed is gone', async () => {
    const keys = fleetKeys(`t-${randomUUID().slice(0, 8)}`);
    const membership = new Membership(redis, keys);
    await membership.heartbeat(record('b', 2), 60_000);
    await membership.heartbeat(record('a', 3), 60_000);
    await membership.heartbeat(record('c', 1), 150);
    const first = await membership.read();
    expect(first.members.map((member) => member.record.hostId)).toEqual(['a', 'b', 'c']);
    expect(first.members[0]?.record.capacity.python).toBe(3);
    const later = await waitFor(
      async () => {
        const view = await membership.read();
        return view.members.length === 2 ? view : undefined;
      },
      { description: 'c to lapse' },
    );
    expect(later.members.map((member) => member.record.hostId)).toEqual(['a', 'b']);
    expect(await redis.hexists(keys.members, 'c')).toBe(0);
    await membership.leave('a');
    expect((await membership.read()).members.map((member) => member.record.hostId)).toEqual(['b']);
  });
});

describe('CoordinatorLease', () => {
  it('one holder at a time; a new holder gets a higher token; a former holder cannot write', async () => {
    const keys = fleetKeys(`t-${randomUUID().slice(0, 8)}`);
    const a = new CoordinatorLease(redis, keys, 'a');
    const b = new CoordinatorLease(redis, keys, 'b');
    const taken = await a.acquireOrRenew(200);
    expect(taken).toMatchObject({ held: true, holder: 'a' });
    expect(await b.acquireOrRenew(200)).toMatchObject({ held: false, holder: 'a', token: taken.token });
    expect(await a.fencedHset(taken.token as number, keys.desired, { python: '3' })).toBe(true);
    // a stops renewing (paused, partitioned): the lease lapses and b takes it with a higher token.
    const next = await waitFor(
      async () => {
        const state = await b.acquireOrRenew(60_000);
        return state.held ? state : undefined;
      },
      { description: 'b to take the lapsed lease' },
    );
    expect(next.token).toBeGreaterThan(taken.token as number);
    expect(await a.fencedHset(taken.token as number, keys.desired, { python: '9' })).toBe(false);
    expect(await redis.hget(keys.desired, 'python')).toBe('3');
    expect(await a.acquireOrRenew(200)).toMatchObject({ held: false, holder: 'b' });
    await a.release(taken.token as number);
    expect((await b.read()).holder).toBe('b');
    await b.release(next.token as number);
    expect((await b.read()).holder).toBeNull();
  });
});

describe('Coordinator', () => {
  it('splits the desired count by capacity, and moves the share of a member that left without exceeding max', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const keys = fleetKeys(prefix);
    const membership = new Membership(redis, keys);
    const lease = new CoordinatorLease(redis, keys, 'a');
    const coordinator = new Coordinator({
      redis,
      keys,
      lease,
      types: new Map([['python', { limits: { min: 1, max: 6 }, autoscale: { ...DEFAULT_AUTOSCALE } }]]),
      readDepth: async () => 0,
      logger,
    });
    const { token } = await lease.acquireOrRenew(60_000);
    const running = new Map<string, number>();
    const round = async () => {
      for (const host of ['a', 'b', 'c'])
        if (running.has(host)) await membership.heartbeat(record(host, 4, running.get(host)), 60_000);
      await coordinator.step(await membership.read(), token as number);
      const assignment = parseAssignment(await redis.hget(keys.assignments, 'python'));
      return assignment?.shares ?? {};
    };
    for (const host of ['a', 'b', 'c']) running.set(host, 0);
    // Nothing stored yet: the fleet's min.
    expect(await round()).toEqual({ a: 1, b: 0, c: 0 });
    await redis.hset(keys.desired, 'python', '6');
    expect(await round()).toEqual({ a: 2, b: 2, c: 2 });
    for (const host of ['a', 'b', 'c']) running.set(host, 2);
    // c is gone: its share goes to a and b at once (its workers are no longer counted).
    running.delete('c');
    await membership.leave('c');
    expect(await round()).toEqual({ a: 3, b: 3 });
    running.set('a', 3);
    running.set('b', 3);
    // c returns: a and b are lowered first; c is raised once they report it.
    running.set('c', 0);
    expect(await round()).toEqual({ a: 2, b: 2, c: 0 });
    running.set('a', 2);
    running.set('b', 2);
    expect(await round()).toEqual({ a: 2, b: 2, c: 2 });
    // A stored count above the fleet's max (a member with less capacity wrote it) is clamped: still 6 in all.
    await redis.hset(keys.desired, 'python', '5');
    expect(await round()).toEqual({ a: 2, b: 2, c: 1 });
    running.set('c', 1);
    await redis.hset(keys.desired, 'python', '9');
    expect(await round()).toEqual({ a: 2, b: 2, c: 2 });
    expect(parseAssignment(await redis.hget(keys.assignments, 'python'))?.desired).toBe(6);
  });

  it('autoscaling decides once, in the coordinator, from the queue depth', async () => {
    const keys = fleetKeys(`t-${randomUUID().slice(0, 8)}`);
    const membership = new Membership(redis, keys);
    const lease = new CoordinatorLease(redis, keys, 'a');
    const decisions: number[] = [];
    const coordinator = new Coordinator({
      redis,
      keys,
      lease,
      types: new Map([
        [
          'python',
          {
            limits: { min: 0, max: 5 },
            autoscale: { enabled: true, targetJobsPerWorker: 2, stabilizationWindowMs: 60_000, cooldownMs: 0 },
          },
        ],
      ]),
      readDepth: async () => 40,
      logger,
      onDesired: (event) => decisions.push(event.to),
    });
    await membership.heartbeat(record('a', 4), 60_000);
    await membership.heartbeat(record('b', 4), 60_000);
    const { token } = await lease.acquireOrRenew(60_000);
    await coordinator.step(await membership.read(), token as number);
    await coordinator.step(await membership.read(), token as number);
    expect(decisions).toEqual([5]);
    expect(await redis.hget(keys.desired, 'python')).toBe('5');
    expect(parseAssignment(await redis.hget(keys.assignments, 'python'))?.shares).toEqual({ a: 3, b: 2 });
  });
});
