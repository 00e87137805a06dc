/**
 * Issue #14 on a real local Redis Cluster of three masters (test/helpers/redis-cluster.ts): the same three-daemon
 * scenario as on one Redis, with the hash-tag prefix and `redis.cluster` the one change in the config.
 */
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { DaemonUnderTest } from '../cli/daemon-process.js';
import { RedisClusterProcess } from '../helpers/redis-cluster.js';
import { PingReplyWatch } from './fleet-harness.js';
import { FLEET_MAX, runFleetScenario } from './fleet-scenario.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

describe('a fleet of three daemons on a Redis Cluster', () => {
  it('scales once, fails over a SIGKILLed member within the bound, loses no job, and takes it back', async () => {
    const cluster = await RedisClusterProcess.start();
    cleanups.push(() => cluster.stop());
    const prefix = `{fleet-${randomUUID().slice(0, 8)}}`;
    const daemons: DaemonUnderTest[] = [];
    cleanups.push(async () => Promise.all(daemons.map((daemon) => daemon.stop('SIGTERM'))));
    const supervisor = new SupervisorBuilder()
      .redis({ url: cluster.url, cluster: cluster.nodes })
      .prefix(prefix)
      .build();
    cleanups.push(() => supervisor.close());
    const subscriber = new Cluster(
      cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
    );
    const pings = await PingReplyWatch.start(subscriber as never, prefix);
    cleanups.push(async () => pings.close());

    const figures = await runFleetScenario({
      redisUrl: cluster.url,
      redisYaml: `redis: { url: "${cluster.url}", keyPrefix: "${prefix}", cluster: [${cluster.nodes.map((node) => `"${node}"`).join(', ')}] }`,
      supervisor,
      pings,
      daemons,
      label: 'Redis Cluster',
    });
    console.log(`fleet on a Redis Cluster: ${JSON.stringify(figures)}`);
    expect(figures.maxRunning).toBeLessThanOrEqual(FLEET_MAX);
  }, 300_000);
});
