/** Issue #14: three `hero-supervisor run` daemons on one Redis and one prefix run one fleet (fleet-scenario.ts). */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { DaemonUnderTest } from '../cli/daemon-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { fleetReport, PingReplyWatch, runningOn, startFleetDaemon } from './fleet-harness.js';
import { FLEET_MAX, runFleetScenario } from './fleet-scenario.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

describe('a fleet of three daemons on one Redis', () => {
  it('scales once, fails over a SIGKILLed member within the bound, loses no job, and takes it back', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `fleet-${randomUUID().slice(0, 8)}`;
    const daemons: DaemonUnderTest[] = [];
    cleanups.push(async () => Promise.all(daemons.map((daemon) => daemon.stop('SIGTERM'))));
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    const pings = await PingReplyWatch.start(new Redis(redisUrl), prefix);
    cleanups.push(async () => pings.close());

    const figures = await runFleetScenario({
      redisUrl,
      redisYaml: `redis: { url: "${redisUrl}", keyPrefix: ${prefix} }`,
      supervisor,
      pings,
      daemons,
      label: 'one Redis',
    });
    console.log(`fleet on one Redis: ${JSON.stringify(figures)}`);
    expect(figures.maxRunning).toBeLessThanOrEqual(FLEET_MAX);
  }, 240_000);

  it('a member stopped with SIGTERM leaves at once: the other takes its share without waiting for its TTL', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `fleet-${randomUUID().slice(0, 8)}`;
    const daemons: DaemonUnderTest[] = [];
    cleanups.push(async () => Promise.all(daemons.map((daemon) => daemon.stop('SIGTERM'))));
    // A TTL of a minute: only leaving (not lapsing) can drop hostB within the wait below.
    const start = (hostId: string) =>
      startFleetDaemon({
        redisUrl,
        redisYaml: `redis: { url: "${redisUrl}", keyPrefix: ${prefix} }`,
        hostId,
        python: '{ binary: hero-worker, min: 2, max: 2 }',
        fleetYaml: 'heartbeatMs: 250, ttlMs: 60s',
      });
    const [a, b] = await Promise.all([start('hostA'), start('hostB')]);
    if (a === undefined || b === undefined) throw new Error('daemons did not start');
    daemons.push(a, b);
    await waitFor(async () => (await runningOn(a)) === 1 && (await runningOn(b)) === 1, {
      timeoutMs: 30_000,
      description: 'the fleet min of 2 split 1 + 1',
    });
    expect(await b.stop('SIGTERM')).toBe(0);
    await waitFor(async () => (await runningOn(a)) === 2, {
      timeoutMs: 15_000,
      description: "hostB's share on hostA after hostB left",
    });
    expect((await fleetReport(a)).members.map((member) => member.hostId)).toEqual(['hostA']);
  }, 120_000);
});
