/**
 * The fleet scenario of issue #14, run on one Redis and on a Redis Cluster: three daemons, a burst that scales the
 * fleet once to its max, one daemon SIGKILLed mid-burst (its share comes back on the others within the bound),
 * every job completes, worker ids stay unique and qualified, ping replies never reach another supervisor, and the
 * killed member rejoins with the fleet settling at the desired count.
 */
import { expect } from 'vitest';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { type DaemonUnderTest, isAlive, runCli } from '../cli/daemon-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { fleetReport, type PingReplyWatch, runningOn, startFleetDaemon } from './fleet-harness.js';

export const FLEET_MAX = 6;
export const HEARTBEAT_MS = 500;
// Generous for a loaded CI machine: a member whose event loop stalls past its TTL would drop out mid-scenario.
export const TTL_MS = 3_000;
/** The failover bound: 2 × TTL plus a worker start (hero-worker needs well under 10 s even on a loaded CI box). */
export const FAILOVER_BOUND_MS = 2 * TTL_MS + 10_000;
const JOBS = 90;

export interface ScenarioInputs {
  redisUrl: string;
  redisYaml: string;
  supervisor: Supervisor;
  pings: PingReplyWatch;
  /** Daemons started here; the caller stops whatever is left. */
  daemons: DaemonUnderTest[];
  label: string;
}

export interface ScenarioFigures {
  burstToTargetMs: number;
  failoverMs: number;
  rejoinToSettledMs: number;
  maxRunning: number;
}

const PYTHON =
  '{ binary: hero-worker, min: 1, max: 4, autoscale: { enabled: true, targetJobsPerWorker: 2, stabilizationWindowMs: 60s, cooldownMs: 60s, pollIntervalMs: 200ms } }';

export async function runFleetScenario(inputs: ScenarioInputs): Promise<ScenarioFigures> {
  const { redisUrl, redisYaml, supervisor, pings, daemons } = inputs;
  const start = (hostId: string) =>
    startFleetDaemon({
      redisUrl,
      redisYaml,
      hostId,
      python: PYTHON,
      fleetYaml: `heartbeatMs: ${HEARTBEAT_MS}, ttlMs: ${TTL_MS}, scriptTypes: { python: { min: 1, max: ${FLEET_MAX} } }`,
    });
  const [a, b, c] = await Promise.all([start('hostA'), start('hostB'), start('hostC')]);
  if (a === undefined || b === undefined || c === undefined) throw new Error('daemons did not start');
  daemons.push(a, b, c);
  const alive = new Set<DaemonUnderTest>([a, b, c]);

  // Settled at the fleet's min: one worker in the whole fleet, not one per host.
  await waitFor(
    async () => {
      const report = await fleetReport(a);
      return report.members.length === 3 && report.scriptTypes[0]?.running === 1;
    },
    { timeoutMs: 30_000, description: `${inputs.label}: three members at the fleet's min of 1 worker` },
  );

  // Watch what the daemons run, side by side, for the whole scenario.
  let maxRunning = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const counts = await Promise.all([...alive].map((daemon) => runningOn(daemon).catch(() => 0)));
      maxRunning = Math.max(
        maxRunning,
        counts.reduce((sum, count) => sum + count, 0),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const burstAt = Date.now();
  const jobs = Array.from({ length: JOBS }, () =>
    supervisor.newJob().scriptType('python').scriptContent('import time; time.sleep(0.5); print("ok")').build(),
  );
  // Settled promises: a failing assertion must not leave rejections unhandled when the supervisor closes.
  const results = jobs.map((job) =>
    supervisor.runJobAndAwaitResult(job, { timeoutMs: 180_000 }).then(
      (output) => output.trim(),
      (error: Error) => `failed: ${error.message}`,
    ),
  );
  const total = async (daemonsNow: DaemonUnderTest[]) =>
    (await Promise.all(daemonsNow.map((daemon) => runningOn(daemon)))).reduce((sum, count) => sum + count, 0);
  await waitFor(async () => (await total([a, b, c])) === FLEET_MAX, {
    timeoutMs: 30_000,
    description: `${inputs.label}: the burst to scale the fleet to ${FLEET_MAX}`,
  });
  const burstToTargetMs = Date.now() - burstAt;
  const burstReport = await fleetReport(a);
  expect(burstReport.scriptTypes[0]).toMatchObject({ desired: FLEET_MAX, effective: FLEET_MAX });
  expect(burstReport.members.map((member) => member.assigned.python)).toEqual([2, 2, 2]);
  // Autoscaling decided once for the fleet (in the coordinator), not once per host.
  const decisions = [a, b, c].flatMap((daemon) =>
    daemon
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"fleet desired count decided"')),
  );
  expect(decisions).toHaveLength(1);
  const killedPids = await waitFor(
    async () => {
      const workers = (await fleetReport(a)).members.find((member) => member.hostId === 'hostC')?.workers ?? [];
      const pids = workers.map((worker) => worker.pid).filter((pid): pid is number => typeof pid === 'number');
      return pids.length === 2 ? pids : undefined;
    },
    { description: `${inputs.label}: hostC's two workers with their pids` },
  );

  // SIGKILL hostC mid-burst: its share comes back on hostA and hostB within the bound.
  const killedAt = Date.now();
  alive.delete(c);
  await c.stop('SIGKILL');
  await waitFor(async () => (await total([a, b])) === FLEET_MAX, {
    timeoutMs: FAILOVER_BOUND_MS,
    intervalMs: 50,
    description: `${inputs.label}: hostC's share back on hostA and hostB within ${FAILOVER_BOUND_MS} ms`,
  });
  const failoverMs = Date.now() - killedAt;
  // hostC's workers died with it (setpriv --pdeathsig): none keeps taking jobs beside its replacements.
  await waitFor(() => killedPids.every((pid) => !isAlive(pid)), {
    timeoutMs: 15_000,
    description: `${inputs.label}: hostC's workers to stop`,
  });
  expect((await fleetReport(a)).members.map((member) => member.hostId)).toEqual(['hostA', 'hostB']);

  // Every job completes, each on a worker whose id names its host.
  const outputs = await Promise.all(results);
  expect(outputs.filter((output) => output !== 'ok')).toEqual([]);
  const workerIds = await Promise.all(jobs.map(async (job) => (await supervisor.getJobResult(job.id))?.workerId));
  for (const id of workerIds) expect(id).toMatch(/^host[ABC]\.python_worker_\d+$/);
  expect(new Set(workerIds.map((id) => id?.split('.')[0])).size).toBeGreaterThanOrEqual(2);

  // hostC returns: it rejoins, and the fleet settles at the desired count with hostC holding its share again.
  const rejoinAt = Date.now();
  const again = await start('hostC');
  daemons.push(again);
  alive.add(again);
  await waitFor(
    async () => {
      const report = await fleetReport(a);
      const counts = await Promise.all([a, b, again].map((daemon) => runningOn(daemon)));
      return (
        report.members.length === 3 &&
        report.members.every((member) => member.assigned.python === 2 && member.running.python === 2) &&
        counts.every((count) => count === 2)
      );
    },
    { timeoutMs: 30_000, description: `${inputs.label}: hostC back with its share, 2 + 2 + 2` },
  );
  const rejoinToSettledMs = Date.now() - rejoinAt;
  watching = false;
  await watcher;

  // Never above the fleet's max; worker ids unique across the fleet.
  expect(maxRunning).toBeLessThanOrEqual(FLEET_MAX);
  const final = await fleetReport(a);
  const ids = final.members.flatMap((member) => member.workers.map((worker) => worker.id));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.filter((id) => id.startsWith('hostC.'))).toHaveLength(2);
  // Every reply channel belongs to one supervisor: replies only ever came from that supervisor's own workers.
  const hostsPerChannel = pings.hostsPerChannel();
  expect(hostsPerChannel.length).toBeGreaterThanOrEqual(2);
  for (const hosts of hostsPerChannel) expect(hosts).toHaveLength(1);
  await expectFleetVisible(
    a,
    final.members.flatMap((member) => member.workers.map((worker) => worker.id)),
  );
  return { burstToTargetMs, failoverMs, rejoinToSettledMs, maxRunning };
}

/** `status --fleet` (table and JSON), /metrics and the logs show every member and its workers, with host ids. */
async function expectFleetVisible(daemon: DaemonUnderTest, workerIds: string[]): Promise<void> {
  const env = { HERO_ADMIN_TOKEN: daemon.token };
  const table = await runCli(['status', '--fleet', '--endpoint', daemon.endpoint], env);
  expect(table.code).toBe(0);
  for (const host of ['hostA', 'hostB', 'hostC']) expect(table.stdout).toContain(host);
  for (const id of workerIds) expect(table.stdout).toContain(id);
  const json = await runCli(['status', '--fleet', '--json', '--endpoint', daemon.endpoint], env);
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout) as { members: { hostId: string }[] };
  expect(parsed.members.map((member) => member.hostId)).toEqual(['hostA', 'hostB', 'hostC']);
  const metrics = await fetch(`${daemon.endpoint}/metrics`, { headers: { Authorization: `Bearer ${daemon.token}` } });
  const text = await metrics.text();
  expect(text).toContain('hero_fleet_members 3');
  const hostCWorkers = text
    .split('\n')
    .filter((line) => line.startsWith('hero_fleet_workers{host="hostC",script_type="python"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  expect(hostCWorkers).toBe(2);
  // `scale` on any member sets the fleet's count, checked against the fleet's bounds.
  const tooMany = await runCli(['scale', 'python', '9', '--endpoint', daemon.endpoint], env);
  expect(tooMany.code).toBe(2);
  expect(tooMany.stderr).toContain("expected an integer within [1, 6] (the fleet's min, max with 3 live member(s))");
  expect((await runCli(['scale', 'python', '6', '--endpoint', daemon.endpoint], env)).code).toBe(0);
  // Lifecycle events (logged by the lifecycle manager) carry the host id.
  const stateChange = daemon
    .stderr()
    .split('\n')
    .find((line) => line.includes('"msg":"scaler decision"'));
  expect(stateChange).toContain('"hostId":"hostA"');
}
