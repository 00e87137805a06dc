/**
 * Issue 8, scenario 1: 1,000 jobs while workers are killed with SIGKILL at random. Every job completes or fails
 * visibly (counted), none is lost, none is reported done twice to its caller.
 *
 * The whole stack: a Supervisor sends the jobs, a WorkerLifecycleManager over the embedded backend keeps real
 * hero-worker processes alive (restarting the killed ones), the scripts run with `sh` (cheap, so the run fits CI).
 * Each script appends its job number to an execution log, so re-executions after a kill are counted too (BullMQ
 * gives at-least-once execution: a job whose worker died mid-run runs again elsewhere).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobFailedError, JobTimeoutError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { WorkerLifecycleManager } from '../../src/lifecycle/worker-lifecycle-manager.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import { waitFor } from '../helpers/wait-for.js';
import { alivePids, buildFleet, cleanUp, killLeftovers, reportCounts, scaled } from './fault-helpers.js';

const JOBS = scaled(1_000);
const failsOnPurpose = (index: number) => index % 10 === 9;
const PLANNED_FAILURES = Array.from({ length: JOBS }, (_, index) => index).filter(failsOnPurpose).length;
const WORKERS = 4;
const KILLS = scaled(12, 3);
/** A caller waits this long at most: far beyond the recovery of a killed job (lock 5 s + stall check 2 s). */
const CALLER_TIMEOUT_MS = 240_000;

describe('scenario 1: jobs while workers are SIGKILLed at random', () => {
  const redisUrl = inject('redisUrl');
  const prefix = `fault1-${randomUUID().slice(0, 8)}`;
  let dir: string;
  let processes: EmbeddedProcessManager;
  let fleet: WorkerLifecycleManager;
  let supervisor: Supervisor;
  let events: QueueEvents;
  const seenPids = new Set<number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hero-fault1-'));
    processes = new EmbeddedProcessManager();
    processes.subscribe((event) => {
      if (event.type === 'process.spawned') seenPids.add(event.pid);
    });
    fleet = buildFleet({ processes, redisUrl, prefix, scriptType: 'sal', count: WORKERS, interpreter: 'sh' });
    supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault1').build();
    events = new QueueEvents('jobs.sal', { connection: { url: redisUrl }, prefix });
    await events.waitUntilReady();
    await fleet.startAllWorkers();
  });

  afterAll(async () => {
    await cleanUp([
      ['close queue events', () => events?.close()],
      ['close the supervisor', () => supervisor?.close()],
      ['shut the fleet down', () => fleet?.shutdown()],
      ['close the process manager', () => processes?.close()],
      ['kill leftovers', () => killLeftovers(seenPids)],
      ['remove the work dir', () => rmSync(dir, { recursive: true, force: true })],
    ]);
  }, 120_000);

  it(`completes or visibly fails each of ${JOBS} jobs, loses none and reports none done twice`, async () => {
    const log = join(dir, 'executions.log');
    // Every final outcome BullMQ announces (completed or failed), per job: more than one would be a double report.
    const finishedEvents = new Map<string, number>();
    const countFinish = ({ jobId }: { jobId: string }) =>
      finishedEvents.set(jobId, (finishedEvents.get(jobId) ?? 0) + 1);
    events.on('completed', countFinish);
    events.on('failed', countFinish);

    // Send every job; each caller awaits its own result.
    const jobs = Array.from({ length: JOBS }, (_, index) =>
      supervisor
        .newJob()
        .scriptType(ScriptType.SAL)
        // Every 10th script fails on purpose (exit 3): its caller must get a JobFailedError, exactly once.
        .scriptContent(
          `echo ${index} >> '${log}'\nsleep 0.02\necho job-${index}${failsOnPurpose(index) ? '\nexit 3' : ''}`,
        )
        .timeout(30_000)
        .build(),
    );
    const outcomes = jobs.map((job, index) =>
      supervisor.runJobAndAwaitResult(job, { timeoutMs: CALLER_TIMEOUT_MS }).then(
        (output) => ({ kind: output.trim() === `job-${index}` ? 'completed' : 'wrong-output', output }) as const,
        (error: unknown) =>
          ({
            kind: error instanceof JobFailedError ? 'failed' : error instanceof JobTimeoutError ? 'timed-out' : 'error',
            output: String(error),
          }) as const,
      ),
    );
    let settled = 0;
    for (const outcome of outcomes) void outcome.then(() => (settled += 1));

    // Kill a random live worker with SIGKILL at random moments while jobs are outstanding.
    let kills = 0;
    while (kills < KILLS && settled < JOBS) {
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
      const live = fleet.listWorkers().filter((worker) => worker.pid !== null && worker.state !== 'stopped');
      const victim = live[Math.floor(Math.random() * live.length)];
      if (victim?.pid) {
        try {
          process.kill(victim.pid, 'SIGKILL');
          kills += 1;
        } catch {
          // It died between the listing and the kill: pick another next time.
        }
      }
    }

    const results = await Promise.all(outcomes);
    const count = (kind: string) => results.filter((result) => result.kind === kind).length;
    const executions = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const executedJobs = new Set(executions);
    const doneTwice = [...finishedEvents.values()].filter((times) => times > 1).length;
    const statuses = await Promise.all(jobs.map((job) => supervisor.getJobStatus(job.id)));
    const restarts = fleet.listWorkers().reduce((sum, worker) => sum + worker.restarts, 0);
    reportCounts('1 sigkill workers', {
      jobs: JOBS,
      kills,
      workerRestarts: restarts,
      completed: count('completed'),
      plannedFailures: PLANNED_FAILURES,
      failedVisibly: count('failed'),
      timedOut: count('timed-out'),
      wrongOutput: count('wrong-output'),
      otherErrors: count('error'),
      lost: JOBS - results.length + count('timed-out'),
      reportedDoneTwice: doneTwice,
      finishEventsSeen: [...finishedEvents.values()].reduce((sum, times) => sum + times, 0),
      reExecutedAfterKill: executions.length - executedJobs.size,
      statusNotFinal: statuses.filter((status) => status !== 'completed' && status !== 'failed').length,
    });

    expect(kills).toBe(KILLS);
    expect(count('completed')).toBe(JOBS - PLANNED_FAILURES);
    expect(count('failed')).toBe(PLANNED_FAILURES);
    expect(results.filter((result, index) => failsOnPurpose(index) !== (result.kind === 'failed'))).toEqual([]);
    expect(count('wrong-output') + count('error') + count('timed-out')).toBe(0);
    expect(doneTwice).toBe(0);
    expect(statuses.filter((status) => status === 'failed')).toHaveLength(PLANNED_FAILURES);
    expect(statuses.every((status) => status === 'completed' || status === 'failed')).toBe(true);
    // Every completed job ran at least once (its stdout came from its script).
    for (const [index, result] of results.entries()) {
      if (result.kind === 'completed') expect(executedJobs.has(String(index))).toBe(true);
    }
    await fleet.shutdown();
    expect(alivePids(seenPids)).toEqual([]);
  });
});

describe('scenario 1: the script of a SIGKILLed worker', () => {
  const redisUrl = inject('redisUrl');
  const prefix = `fault1s-${randomUUID().slice(0, 8)}`;
  let dir: string;
  let processes: EmbeddedProcessManager;
  let fleet: WorkerLifecycleManager;
  let supervisor: Supervisor;
  const strays: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hero-fault1s-'));
    processes = new EmbeddedProcessManager();
    fleet = buildFleet({ processes, redisUrl, prefix, scriptType: 'sal', count: 1, interpreter: 'sh' });
    supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault1s').build();
    await fleet.startAllWorkers();
  });

  afterAll(async () => {
    await cleanUp([
      ['close the supervisor', () => supervisor?.close()],
      ['shut the fleet down', () => fleet?.shutdown()],
      ['close the process manager', () => processes?.close()],
      ['kill leftovers', () => killLeftovers(strays)],
      ['remove the work dir', () => rmSync(dir, { recursive: true, force: true })],
    ]);
  }, 120_000);

  it('does not outlive its worker: neither the script nor what it started keeps running', async () => {
    const pidFile = join(dir, 'script.pids');
    // The interpreter starts a child of its own (a background sleep), writes both pids, then waits.
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.SAL)
      .scriptContent(`sleep 120 &\necho "$$ $!" > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}'\nwait`)
      .timeout(180_000)
      .build();
    await supervisor.startJob(job);
    const scriptPids = await waitFor(
      () => {
        try {
          const pids = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
          return pids.length === 2 && pids.every((pid) => pid > 0) ? pids : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 20_000, description: 'the script to start' },
    );
    strays.push(...scriptPids);
    const workerPid = fleet.listWorkers()[0]?.pid ?? 0;

    process.kill(workerPid, 'SIGKILL');
    await waitFor(() => alivePids([workerPid]).length === 0, { description: 'the worker to die' });
    // The supervisor restarts the worker; by then the old script and its child must be gone.
    await waitFor(() => (fleet.listWorkers()[0]?.pid ?? workerPid) !== workerPid, {
      timeoutMs: 20_000,
      description: 'the worker to be restarted',
    });
    const [interpreterPid = 0, childPid = 0] = scriptPids;
    reportCounts('1 script of a SIGKILLed worker', {
      orphanedInterpreters: alivePids([interpreterPid]).length,
      orphanedScriptChildren: alivePids([childPid]).length,
    });

    // Weakness F5 (test/faults/README.md): the interpreter dies with its worker (parent-death signal), what it
    // started must too.
    expect(alivePids([interpreterPid])).toEqual([]);
    expect(alivePids([childPid])).toEqual([]);
  });
});
