/**
 * Issue #14 on a real local Redis Cluster of three masters (test/helpers/redis-cluster.ts): the same three-daemon
 * scenario as on one Redis, with the hash-tag prefix and `redis.cluster` the one change in the config; and a single
 * supervisor (no fleet) on the same cluster.
 */
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { type DaemonUnderTest, startDaemon } from '../cli/daemon-process.js';
import { RedisClusterProcess } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/wait-for.js';
import { PingReplyWatch } from './fleet-harness.js';
import { FLEET_MAX, runFleetScenario } from './fleet-scenario.js';

let cluster: RedisClusterProcess;
beforeAll(async () => {
  cluster = await RedisClusterProcess.start();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function clusterClient(): Cluster {
  return new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
}

function redisYaml(prefix: string): string {
  const nodes = cluster.nodes.map((node) => `"${node}"`).join(', ');
  return `redis: { url: "${cluster.url}", keyPrefix: "${prefix}", cluster: [${nodes}] }`;
}

async function clients(prefix: string) {
  const supervisor = new SupervisorBuilder().redis({ url: cluster.url, cluster: cluster.nodes }).prefix(prefix).build();
  cleanups.push(() => supervisor.close());
  // A Cluster client takes the same PSUBSCRIBE and `pmessage` as a single Redis.
  const pings = await PingReplyWatch.start(clusterClient() as never, prefix);
  cleanups.push(async () => pings.close());
  return { supervisor, pings };
}

describe('on a Redis Cluster of three masters', () => {
  it('a fleet of three daemons scales once, fails over a SIGKILLed member, loses no job, and takes it back', async () => {
    const prefix = `{fleet-${randomUUID().slice(0, 8)}}`;
    const daemons: DaemonUnderTest[] = [];
    cleanups.push(async () => Promise.all(daemons.map((daemon) => daemon.stop('SIGTERM'))));
    const { supervisor, pings } = await clients(prefix);
    const figures = await runFleetScenario({
      redisUrl: cluster.url,
      redisYaml: redisYaml(prefix),
      supervisor,
      pings,
      daemons,
      label: 'Redis Cluster',
    });
    console.log(`fleet on a Redis Cluster: ${JSON.stringify(figures)}`);
    expect(figures.maxRunning).toBeLessThanOrEqual(FLEET_MAX);
  }, 300_000);

  it('a single supervisor (no fleet) runs jobs and pings its workers through the cluster', async () => {
    const prefix = `{single-${randomUUID().slice(0, 8)}}`;
    const { supervisor, pings } = await clients(prefix);
    const daemon = await startDaemon({
      redisUrl: cluster.url,
      redisYaml: redisYaml(prefix),
      python: '{ binary: hero-worker, min: 2, max: 2 }',
      extraYaml: 'health: { idleTimeoutMs: 300ms, pingIntervalMs: 300ms, pingTimeoutMs: 2s }',
    });
    cleanups.push(() => daemon.stop('SIGTERM'));
    const job = supervisor.newJob().scriptType('python').scriptContent('print(6*7)').build();
    expect((await supervisor.runJobAndAwaitResult(job, { timeoutMs: 30_000 })).trim()).toBe('42');
    // Single-supervisor ids stay as they were: no host id.
    expect((await supervisor.getJobResult(job.id))?.workerId).toMatch(/^python_worker_[01]$/);
    await waitFor(() => pings.byChannel.size === 1 && [...pings.byChannel.values()][0]?.size === 2, {
      timeoutMs: 15_000,
      description: 'ping replies from both workers',
    });
  }, 120_000);
});
