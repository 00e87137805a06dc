/** Issue #14: three `hero-supervisor run` daemons on one Redis and one prefix run one fleet (fleet-scenario.ts). */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { DaemonUnderTest } from '../cli/daemon-process.js';
import { PingReplyWatch } from './fleet-harness.js';
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
});
