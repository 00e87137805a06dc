/**
 * Issue 8, scenario 11: load. Many workers on the embedded backend and a flood of jobs: the supervisor (the real
 * daemon) stays responsive (`/status` latency at p99) and its memory stays flat across the run.
 *
 * CI size: 20 workers and 1,000 jobs; HERO_FAULT_SCALE=10 gives the 200 workers and 10,000 jobs. The p99
 * bound of 100 ms is asserted when HERO_FAULT_STRICT_TIMING=1 (a dedicated machine); on shared CI cores the
 * latency is measured and printed, and a loose bound catches a supervisor that stops answering.
 */

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  alivePids,
  cleanUp,
  type DaemonProcess,
  faultFixture,
  HERO_WORKER,
  killLeftovers,
  processesMatching,
  reportCounts,
  scaled,
  spawnDaemon,
} from './fault-helpers.js';

const WORKERS = scaled(20, 2);
const JOBS = scaled(1_000);
const STRICT = process.env.HERO_FAULT_STRICT_TIMING === '1';
/** The bound for `status` at p99. */
const P99_BOUND_MS = 100;
/**
 * On shared CI cores (two, with other test files spawning processes) a saturated machine delays every answer by
 * seconds; this bound only catches a supervisor that stops answering.
 */
const LOOSE_P99_BOUND_MS = 15_000;
const STATUS_PROBE_INTERVAL_MS = 100;
const MEMORY_SAMPLE_INTERVAL_MS = 250;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command; clock ticks are 100 per second.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function getStatus(
  port: number,
  token: string,
  path = '/status',
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The three most frequent `msg` values of pino JSON lines, with their counts (what the daemon logs under load). */
function topMessages(log: string): string {
  const counts = new Map<string, number>();
  for (const line of log.split('\n')) {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
    if (msg !== undefined) counts.set(msg, (counts.get(msg) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([msg, count]) => `${msg}:${count}`)
    .join('|');
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe(`scenario 11: load (${WORKERS} workers, ${JOBS} jobs, embedded backend)`, () => {
  const redisUrl = inject('redisUrl');
  const prefix = `fault11${randomUUID().slice(0, 8)}`;
  const token = `fault11-${randomUUID()}`;
  let dir: string;
  let port: number;
  let daemon: DaemonProcess;
  let supervisor: Supervisor;

  beforeAll(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'hero-fault11-'));
      port = await findFreePort();
      const configPath = join(dir, 'supervisor.yaml');
      const args = ['--script-type', 'sal', '--worker-id', '{workerId}', '--prefix', prefix, '--interpreter', 'sh'];
      writeFileSync(
        configPath,
        [
          `redis: { url: "${redisUrl}", keyPrefix: ${prefix} }`,
          `processManager: { type: embedded, stateFile: "${join(dir, 'children.json')}" }`,
          `scriptTypes:\n  sal: { binary: hero-worker, args: ${JSON.stringify(args)}, min: ${WORKERS}, max: ${WORKERS} }`,
          `admin: { port: ${port}, token: "${token}" }`,
          'logging: { level: info }',
        ].join('\n'),
      );
      daemon = spawnDaemon(configPath, {}, { logFile: join(dir, 'daemon.log') });
      // Every worker is a Node.js process to start: allow about a second each on a busy machine.
      await daemon.running(Math.max(120_000, WORKERS * 1_000));
      supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault11').build();
    },
    Math.max(180_000, WORKERS * 1_500),
  );

  afterAll(async () => {
    await cleanUp([
      ['close the supervisor', () => supervisor?.close()],
      ['stop the daemon', () => daemon?.stop('SIGTERM'), 40_000],
      ['kill the daemon', () => daemon?.stop('SIGKILL')],
      ['kill leftovers', () => killLeftovers(processesMatching('--prefix', prefix))],
      ['remove the work dir', () => rmSync(dir, { recursive: true, force: true })],
    ]);
  }, 120_000);

  it('answers status promptly and keeps its memory flat while the fleet works through the jobs', async () => {
    const workerProcesses = processesMatching(HERO_WORKER, '--prefix', prefix);
    // Baseline: status latency with the fleet idle.
    const idleLatencies: number[] = [];
    for (let probe = 0; probe < 10; probe += 1) idleLatencies.push((await getStatus(port, token)).ms);
    const cpuBefore = cpuSeconds(daemon.pid);
    const stderrBefore = daemon.stderr().length;
    const runStarted = performance.now();
    const latencies: number[] = [];
    /** /healthz does no I/O: its latency is the daemon's event loop (and the machine's load), for comparison. */
    const healthLatencies: number[] = [];
    const failedProbes: string[] = [];
    const memory: number[] = [];
    // The prober runs in its own process, so that this busy test process (awaiting every job) is not measured.
    const prober = spawn(
      process.execPath,
      [faultFixture('probe-admin.js'), String(port), token, String(STATUS_PROBE_INTERVAL_MS)],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let probeOutput = '';
    prober.stdout.setEncoding('utf8');
    prober.stdout.on('data', (chunk: string) => {
      probeOutput += chunk;
    });
    // 'close', not 'exit': the exit can be reported before the last lines were read from its stdout.
    const proberExited = new Promise((resolve) => prober.once('close', resolve));
    const sampler = setInterval(() => memory.push(rssMb(daemon.pid)), MEMORY_SAMPLE_INTERVAL_MS);

    let completed = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: JOBS }, (_, index) => {
        const job = supervisor
          .newJob()
          .scriptType(ScriptType.SAL)
          .scriptContent(`sleep 0.1\necho job-${index}`)
          .timeout(60_000)
          .build();
        return supervisor.runJobAndAwaitResult(job, { timeoutMs: 300_000 }).then(
          (output) => {
            if (output.trim() === `job-${index}`) completed += 1;
            else failed += 1;
          },
          () => {
            failed += 1;
          },
        );
      }),
    );
    const runSeconds = (performance.now() - runStarted) / 1000;
    const daemonCpuSeconds = cpuSeconds(daemon.pid) - cpuBefore;
    const runLog = daemon.stderr().slice(stderrBefore);
    prober.kill('SIGTERM');
    await proberExited;
    for (const line of probeOutput.split('\n').filter(Boolean)) {
      const answer = JSON.parse(line) as { path: string; status: number; ms: number; error?: string };
      if (answer.path === '/healthz') {
        if (answer.status === 200) healthLatencies.push(answer.ms);
      } else if (answer.status === 200) latencies.push(answer.ms);
      else failedProbes.push(`${answer.status} ${answer.error ?? ''}`);
    }
    clearInterval(sampler);
    memory.push(rssMb(daemon.pid));
    const status = JSON.parse((await getStatus(port, token)).body) as {
      workers: { state: string; restarts: number }[];
    };
    const third = Math.max(1, Math.floor(memory.length / 3));
    const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const early = average(memory.slice(0, third));
    const late = average(memory.slice(-third));
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    reportCounts('11 load', {
      workers: WORKERS,
      workerProcesses: workerProcesses.length,
      jobs: JOBS,
      completed,
      failed,
      lost: JOBS - completed - failed,
      runSeconds: runSeconds.toFixed(1),
      daemonCpuSeconds: daemonCpuSeconds.toFixed(1),
      daemonLogKbDuringRun: (runLog.length / 1024).toFixed(0),
      xstateWarningsDuringRun: runLog.split('Custom actions should not call').length - 1,
      daemonLogTopMessages: topMessages(runLog),
      statusIdleP99Ms: percentile(idleLatencies, 99).toFixed(1),
      statusProbes: latencies.length,
      statusFailures: failedProbes.length,
      statusFailureReasons: [...new Set(failedProbes)].join('|'),
      statusP50Ms: p50.toFixed(1),
      statusP99Ms: p99.toFixed(1),
      healthzP99Ms: percentile(healthLatencies, 99).toFixed(1),
      rssEarlyMb: early.toFixed(1),
      rssLateMb: late.toFixed(1),
      rssMaxMb: Math.max(...memory).toFixed(1),
      workerRestarts: status.workers.reduce((sum, worker) => sum + worker.restarts, 0),
    });

    expect(workerProcesses).toHaveLength(WORKERS);
    expect(completed).toBe(JOBS);
    expect(failedProbes).toEqual([]);
    expect(latencies.length).toBeGreaterThan(0);
    expect(p99).toBeLessThan(STRICT ? P99_BOUND_MS : LOOSE_P99_BOUND_MS);
    // Flat: the late third of the run uses at most 50% (plus 30 MiB of heap slack) more than the early third.
    expect(late).toBeLessThan(early * 1.5 + 30);
    expect(status.workers.every((worker) => worker.state === 'running' || worker.state === 'idle')).toBe(true);
    await daemon.stop('SIGTERM');
    await waitFor(() => alivePids(workerProcesses).length === 0, { description: 'every worker gone after shutdown' });
  });
});
