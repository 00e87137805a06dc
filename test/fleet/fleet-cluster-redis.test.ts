/**
 * The fleet's Redis parts on a real Redis Cluster of three masters (issue #14): with a hash-tag prefix every fleet
 * key shares one slot, so membership, the lease and the coordinator's fenced writes work through an ioredis Cluster
 * client exactly as on one Redis.
 */
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOSCALE } from '../../machines/scaler-policy.js';
import { parseAssignment } from '../../src/fleet/assignments.js';
import { Coordinator } from '../../src/fleet/coordinator.js';
import { fleetKeys } from '../../src/fleet/fleet-keys.js';
import { CoordinatorLease } from '../../src/fleet/lease.js';
import { Membership } from '../../src/fleet/membership.js';
import { RedisClusterProcess } from '../helpers/redis-cluster.js';

let cluster: RedisClusterProcess;
let client: Cluster;
beforeAll(async () => {
  cluster = await RedisClusterProcess.start();
  client = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

describe('the fleet on a Redis Cluster', () => {
  it('refuses keys of one script in different slots without a hash tag, and works with one', async () => {
    const plain = fleetKeys(`plain${randomUUID().slice(0, 6)}`);
    // The keys of a plain prefix land in different slots (and nodes): a multi-key script is refused.
    const slots = await Promise.all(
      [plain.members, plain.alive, plain.desired, plain.lease].map((key) => client.cluster('KEYSLOT', key)),
    );
    expect(new Set(slots).size).toBeGreaterThan(1);
    await expect(new Membership(client, plain).read()).rejects.toThrow(/CROSSSLOT/);

    const tagged = fleetKeys(`{hero-${randomUUID().slice(0, 6)}}`);
    const taggedSlots = await Promise.all(Object.values(tagged).map((key) => client.cluster('KEYSLOT', key)));
    expect(new Set(taggedSlots).size).toBe(1);
  });

  it('membership, lease and coordinator rounds work through the Cluster client', async () => {
    const prefix = `{hero-${randomUUID().slice(0, 6)}}`;
    const keys = fleetKeys(prefix);
    const membership = new Membership(client, keys);
    const lease = new CoordinatorLease(client, keys, 'hostA');
    const other = new CoordinatorLease(client, keys, 'hostB');
    const coordinator = new Coordinator({
      redis: client,
      keys,
      lease,
      types: new Map([['python', { limits: { min: 1, max: 6 }, autoscale: { ...DEFAULT_AUTOSCALE } }]]),
      readDepth: async () => 0,
      logger: pino({ level: 'silent' }),
    });
    for (const hostId of ['hostA', 'hostB', 'hostC']) {
      await membership.heartbeat(
        {
          hostId,
          pid: 1,
          startedAt: Date.now(),
          capacity: { python: 4 },
          running: { python: 0 },
          stopping: { python: 0 },
          workers: [],
        },
        60_000,
      );
    }
    const held = await lease.acquireOrRenew(60_000);
    expect(held.held).toBe(true);
    expect((await other.acquireOrRenew(60_000)).held).toBe(false);
    await client.hset(keys.desired, 'python', '6');
    await coordinator.step(await membership.read(), held.token as number);
    expect(parseAssignment(await client.hget(keys.assignments, 'python'))?.shares).toEqual({
      hostA: 2,
      hostB: 2,
      hostC: 2,
    });
    expect(await other.fencedHset(held.token as number, keys.desired, { python: '1' })).toBe(false);
    await membership.leave('hostC');
    expect((await membership.read()).members.map((member) => member.record.hostId)).toEqual(['hostA', 'hostB']);
  });
});
