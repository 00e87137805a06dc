/**
 * Figures `fleet.*` (issue #14): real `hero-supervisor run` daemons on the bench's Redis, one key prefix each setup.
 * - `fleet.burst-to-target`: three daemons (capacity 3 each, fleet max 6, autoscaled from 0): a burst of jobs →
 *   6 workers running across the fleet. Beside it: one daemon (max 6, same autoscaling) → 6 workers running.
 * - `fleet.failover`: the fleet at 2 + 2 + 2, one daemon SIGKILLed → its 2 workers running on the other two.
 *   Beside it: the single host's only way back, its daemon SIGKILLed and started again at once (as systemd or a
 *   container runtime would) → its 6 workers running again.
 * Both use a fleet round (`heartbeatMs`) of 250 ms with a TTL of 1 s, and an autoscale poll of 250 ms on the single
 * host, so that neither side waits on a slower clock.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SupervisorBuilder } from '../jobs/supervisor-builder.js';
import { findFreePort } from '../net/loopback.js';
import type { BenchContext, Figure } from './bench-context.js';
import { benchLine } from './output.js';
import { distPath, killAndWait, spawnNode, waitForLine } from './processes.js';
import { median } from './stats.js';

const CLI = distPath('cli/hero-supervisor.js');
const HEARTBEAT_MS = 250;
const TTL_MS = 1_000;
const TARGET = 6;
const WAIT_MS = 30_000;
// Running means taking jobs: a worker still starting does not count.
const UP = new Set(['running', 'idle', 'pinging']);

interface BenchDaemon {
  child: ChildProcess;
  endpoint: string;
  token: string;
  configPath: string;
}

async function startDaemon(configPath: string, endpoint: string, token: string): Promise<BenchDaemon> {
  const child = spawnNode(CLI, ['run', '-c', configPath]);
  await waitForLine(child, '"msg":"supervisor running"', WAIT_MS, 'stderr');
  return { child, endpoint, token, configPath };
}

async function writeDaemon(
  ctx: BenchContext,
  dir: string,
  name: string,
  prefix: string,
  python: string,
  fleet: string | undefined,
): Promise<BenchDaemon> {
  const port = await findFreePort();
  const token = randomUUID();
  const configPath = join(dir, `${name}.yaml`);
  await writeFile(
    configPath,
    [
      `redis: { url: "${ctx.redisUrl}", keyPrefix: ${prefix} }`,
      `processManager: { type: embedded, stateFile: "${join(dir, `${name}.children.json`)}" }`,
      `scriptTypes:\n  python: ${python}`,
      `admin: { port: ${port}, token: "${token}" }`,
      'logging: { level: info }',
      fleet === undefined ? '' : `fleet: { hostId: ${name}, ${fleet} }`,
    ].join('\n'),
  );
  return startDaemon(configPath, `http://127.0.0.1:${port}`, token);
}

async function running(daemon: BenchDaemon): Promise<number> {
  const response = await fetch(`${daemon.endpoint}/status`, { headers: { Authorization: `Bearer ${daemon.token}` } });
  const status = (await response.json()) as { workers: { state: string }[] };
  return status.workers.filter((worker) => UP.has(worker.state)).length;
}

/** Polls every 25 ms until the daemons run `count` workers together; resolves with performance.now() then. */
async function untilRunning(daemons: readonly BenchDaemon[], count: number): Promise<number> {
  const deadline = performance.now() + WAIT_MS;
  while (performance.now() < deadline) {
    const counts = await Promise.all(daemons.map((daemon) => running(daemon).catch(() => 0)));
    if (counts.reduce((sum, value) => sum + value, 0) === count) return performance.now();
    await sleep(25);
  }
  throw new Error(`the daemons did not run ${count} workers within ${WAIT_MS} ms`);
}

const autoscale = `autoscale: { enabled: true, targetJobsPerWorker: 1, stabilizationWindowMs: 60s, cooldownMs: 60s, pollIntervalMs: ${HEARTBEAT_MS}ms }`;

/** One round of the fleet: burst → 6, then SIGKILL hostC → 6 on hostA and hostB. */
async function fleetRound(ctx: BenchContext, dir: string): Promise<{ burst: number; failover: number }> {
  const prefix = `${ctx.prefix}-fleet-${randomUUID().slice(0, 6)}`;
  const fleet = `heartbeatMs: ${HEARTBEAT_MS}, ttlMs: ${TTL_MS}, scriptTypes: { python: { max: ${TARGET} } }`;
  const python = `{ binary: hero-worker, min: 0, max: 3, ${autoscale} }`;
  const daemons = await Promise.all(
    ['hostA', 'hostB', 'hostC'].map((name) => writeDaemon(ctx, dir, name, prefix, python, fleet)),
  );
  ctx.defer(() => Promise.all(daemons.map((daemon) => killAndWait(daemon.child, 'SIGTERM'))));
  const burst = await burstToTarget(ctx, prefix, daemons);
  const [a, b, c] = daemons as [BenchDaemon, BenchDaemon, BenchDaemon];
  const killedAt = performance.now();
  await killAndWait(c.child, 'SIGKILL');
  const failover = (await untilRunning([a, b], TARGET)) - killedAt;
  await stopDaemons([a, b]);
  return { burst, failover };
}

/** One round of the single host: burst → 6, then SIGKILL the daemon, start it again → 6. */
async function singleRound(ctx: BenchContext, dir: string): Promise<{ burst: number; failover: number }> {
  const prefix = `${ctx.prefix}-single-${randomUUID().slice(0, 6)}`;
  const daemon = await writeDaemon(
    ctx,
    dir,
    'single',
    prefix,
    `{ binary: hero-worker, min: 0, max: ${TARGET}, ${autoscale} }`,
    undefined,
  );
  ctx.defer(() => killAndWait(daemon.child, 'SIGTERM'));
  const burst = await burstToTarget(ctx, prefix, [daemon]);
  const killedAt = performance.now();
  await killAndWait(daemon.child, 'SIGKILL');
  const again = await startDaemon(daemon.configPath, daemon.endpoint, daemon.token);
  ctx.defer(() => killAndWait(again.child, 'SIGTERM'));
  // The queue still holds the burst: autoscaling brings the restarted daemon back to 6.
  const failover = (await untilRunning([again], TARGET)) - killedAt;
  await stopDaemons([again]);
  return { burst, failover };
}

/**
 * A round's daemons stop before the next round starts: the next round's daemons use the same config names, so the
 * same daemon locks, and would share the cores with them. (On a failure, the deferred stops at the end do it.)
 */
async function stopDaemons(daemons: readonly BenchDaemon[]): Promise<void> {
  await Promise.all(daemons.map((daemon) => killAndWait(daemon.child, 'SIGTERM')));
}

async function burstToTarget(ctx: BenchContext, prefix: string, daemons: readonly BenchDaemon[]): Promise<number> {
  const supervisor = new SupervisorBuilder().redisUrl(ctx.redisUrl).prefix(prefix).build();
  ctx.defer(() => supervisor.close());
  const burstAt = performance.now();
  // Long jobs: the queue must still hold work when the failover is measured.
  for (let index = 0; index < 60; index += 1) {
    await supervisor.startJob(
      supervisor.newJob().scriptType('python').scriptContent('import time; time.sleep(2)').build(),
    );
  }
  return (await untilRunning(daemons, TARGET)) - burstAt;
}

export const fleetFigure: Figure = {
  name: 'fleet',
  description:
    'three hero-supervisor daemons on one Redis: burst → fleet at its target; SIGKILLed member → its share elsewhere',
  smokeInCi: false,
  async run(ctx) {
    const dir = await mkdtemp(join(tmpdir(), 'hero-bench-fleet-'));
    ctx.defer(() => rm(dir, { recursive: true, force: true }));
    const rounds = ctx.size(2, 1);
    const fleet: { burst: number; failover: number }[] = [];
    const single: { burst: number; failover: number }[] = [];
    for (let round = 0; round < rounds; round += 1) {
      single.push(await singleRound(ctx, dir));
      fleet.push(await fleetRound(ctx, dir));
      ctx.log(
        `fleet round ${round + 1}/${rounds}: fleet ${JSON.stringify(fleet.at(-1))}, single ${JSON.stringify(single.at(-1))}`,
      );
    }
    ctx.emit(
      benchLine({
        name: 'fleet.burst-to-target',
        value: median(fleet.map((entry) => entry.burst)),
        unit: 'ms',
        baseline: `one daemon (max ${TARGET}, same autoscaling) from the burst to ${TARGET} workers`,
        baselineValue: median(single.map((entry) => entry.burst)),
        runs: rounds,
        notes: `3 daemons of capacity 3, fleet max ${TARGET}, heartbeatMs ${HEARTBEAT_MS}`,
      }),
    );
    ctx.emit(
      benchLine({
        name: 'fleet.failover',
        value: median(fleet.map((entry) => entry.failover)),
        unit: 'ms',
        baseline: 'one daemon SIGKILLed and started again at once, until its workers run again',
        baselineValue: median(single.map((entry) => entry.failover)),
        runs: rounds,
        notes: `bound: 2 × ttlMs (${TTL_MS} ms) + a worker start`,
      }),
    );
  },
};
