/**
 * The system under test for the worker spec: a lifecycle manager on the embedded backend with one real
 * `hero-worker` (python), a Supervisor for real jobs, and a private redis-server the paths stop and start. Each
 * spec event is a real action here; each spec state is a set of observations through the public API and /proc.
 * Paths chain on one manager: `reset()` brings the worker back to the spec's `stopped` from wherever it is.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  ScriptType,
  type Supervisor,
  SupervisorBuilder,
  type WorkerLifecycleManager,
  type WorkerStatus,
} from '../../src/index.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from '../lifecycle/lifecycle-harness.js';
import { SPEC_LIMITS, type WorkerSpecContext, type WorkerSpecEvent } from './worker-spec.js';

export const WORKER = 'python_worker_0';

/**
 * Timings: idle soon after activity (the actor pings once on going idle), its own next ping an hour away so
 * every counted ping is a PING step; pings get 3 s (a loaded 2-core machine answers well within that); no
 * restart window or cooldown runs out during a run.
 */
const SETTINGS = {
  idleTimeoutMs: 300,
  pingIntervalMs: 3_600_000,
  pingTimeoutMs: 3_000,
  pingFailureThreshold: SPEC_LIMITS.pingFailureThreshold,
  maxRestarts: SPEC_LIMITS.maxRestarts,
  restartWindowMs: 3_600_000,
  giveUpCooldownMs: 3_600_000,
  resetBackoffAfterMs: 3_600_000,
  backoffBaseMs: 50,
  backoffMaxMs: 300,
  startTimeoutMs: 20_000,
};

/** The documented startup grace after pingTimeoutMs (src/lifecycle/README.md, Health), plus a margin. */
const STARTUP_GRACE_MS = 3_000 + 500;

/** The documented reconnect grace after pingTimeoutMs once the manager's Redis connection is back, plus a margin. */
const RECONNECT_GRACE_MS = 2_000 + 500;

/** Generous deadlines: they only bound a failure, a passing step never waits them out. */
const SETTLE = { timeoutMs: 30_000 };

/**
 * Behaviour the spec disagrees with, found by these tests and reported (issue 13); each one is pinned as it is
 * today so a fix fails the test, and the flag is then removed.
 */
const KNOWN_FINDINGS = {
  hungProcessKeptAfterGiveUp: true,
  /**
   * After a SIGKILL restart, an ok health ping did not end the startup grace (see #hang): reproducible before the
   * core refactor (512dbe4), not seen after it; `true` waits the window out.
   */
  startupGraceOutlivesAnswer: false,
};

const UP_STATES = new Set(['running', 'idle', 'pinging']);

/** The state letter of a process in /proc (`T` once SIGSTOPped). */
function processStateLetter(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

type SpecState = { value: unknown; context: WorkerSpecContext };

export class WorkerSystem {
  readonly restarted: string[] = [];
  #harness: ReturnType<typeof createLifecycleHarness>;
  #supervisor: Supervisor;
  #redis: RedisServerProcess;
  /** The pid before the current step, and the restart count when the current path began. */
  #pidBefore: number | null = null;
  #restartsAtPathStart = 0;
  #restartedAtStep = 0;
  #stoppedPid: number | null = null;
  #redisDown = false;
  /** When Redis last came back: failed pings count only after the documented reconnect grace. */
  #redisUpAt = 0;
  /** The outcome of the step's health pass (PING), else null. */
  #healthOutcome: string | null = null;
  #healthDetail = '';
  /** When each pid was first seen running: the startup grace of its pings is counted from about then. */
  readonly #firstSeen = new Map<number, number>();

  private constructor(
    redis: RedisServerProcess,
    supervisor: Supervisor,
    harness: ReturnType<typeof createLifecycleHarness>,
  ) {
    this.#redis = redis;
    this.#supervisor = supervisor;
    this.#harness = harness;
    this.manager.on('worker:restarted', (event) => this.restarted.push(String(event.reason)));
  }

  static async start(): Promise<WorkerSystem> {
    const redis = await RedisServerProcess.start();
    let supervisor: Supervisor | undefined;
    const harness = createLifecycleHarness({
      redisUrl: redis.url,
      settings: SETTINGS,
      configure: (builder, prefix) => {
        supervisor = new SupervisorBuilder().redisUrl(redis.url).prefix(prefix).build();
        return builder.withSupervisor(supervisor).addWorker(heroWorkerConfig(WORKER, prefix).withStopTimeout(1_000));
      },
    });
    const system = new WorkerSystem(redis, supervisor as Supervisor, harness);
    await harness.manager.startAllWorkers();
    await harness.manager.stopWorker(WORKER);
    return system;
  }

  get manager(): WorkerLifecycleManager {
    return this.#harness.manager;
  }

  status(): WorkerStatus {
    const status = this.manager.getWorkerStatus(WORKER);
    if (status.pid !== null && !this.#firstSeen.has(status.pid)) this.#firstSeen.set(status.pid, Date.now());
    return status;
  }

  /** Back to the spec's `stopped`: resume a hung process, bring Redis back, stop the worker. */
  async reset(): Promise<void> {
    if (this.#stoppedPid !== null && isProcessAlive(this.#stoppedPid)) process.kill(this.#stoppedPid, 'SIGCONT');
    this.#stoppedPid = null;
    if (this.#redisDown) await this.#redisUp();
    if (this.status().state !== 'stopped') await this.manager.stopWorker(WORKER);
    this.#pidBefore = null;
    this.#restartsAtPathStart = this.status().restarts;
  }

  async close(): Promise<void> {
    if (this.#stoppedPid !== null && isProcessAlive(this.#stoppedPid)) process.kill(this.#stoppedPid, 'SIGCONT');
    if (this.#redisDown) await this.#redisUp();
    await this.#harness.cleanup();
    await this.#supervisor.close();
    await this.#redis.stop();
  }

  // ---- events: real actions --------------------------------------------------------------------------

  async act(event: WorkerSpecEvent, from: SpecState): Promise<void> {
    this.#pidBefore = this.status().pid;
    this.#restartedAtStep = this.restarted.length;
    this.#healthOutcome = null;
    switch (event.type) {
      case 'START':
        return this.manager.startWorker(heroWorkerConfig(WORKER, this.#harness.prefix).withStopTimeout(1_000));
      case 'STOP':
        return this.manager.stopWorker(WORKER);
      case 'RESTART':
        await this.manager.restartWorker(WORKER);
        this.#stoppedPid = null;
        return;
      case 'JOB':
        return this.#runJob();
      case 'PING':
        return this.#healthPass(from);
      case 'SIGKILL':
        return this.#kill();
      case 'SIGSTOP':
        return this.#hang();
      case 'SIGCONT':
        process.kill(this.#pidBefore as number, 'SIGCONT');
        this.#stoppedPid = null;
        return;
      case 'REDIS_DOWN':
        await this.#redis.stop();
        this.#redisDown = true;
        return;
      case 'REDIS_UP':
        return this.#redisUp();
    }
  }

  async #runJob(): Promise<void> {
    const before = this.status().lastJobAt;
    const job = this.#supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(6*7)').build();
    expect((await this.#supervisor.runJobAndAwaitResult(job)).trim()).toBe('42');
    // The worker publishes its job activity around the time the result arrives: wait for that fact.
    await waitFor(() => this.status().lastJobAt !== before && !this.status().busy, {
      ...SETTLE,
      description: 'the job recorded as activity of the worker',
    });
  }

  /** One health pass through the actor (monitorWorkerHealth pings idle workers only: wait for idle first). */
  async #healthPass(from: SpecState): Promise<void> {
    await waitFor(() => this.status().state === 'idle', { ...SETTLE, description: `${WORKER} idle` });
    const [report] = await this.manager.monitorWorkerHealth();
    this.#healthOutcome = report?.outcome.type ?? 'no report';
    this.#healthDetail = JSON.stringify(report?.outcome);
    if (from.value === 'hung' && from.context.failures + 1 >= SPEC_LIMITS.pingFailureThreshold) {
      await this.#settleAfterCrash();
      this.#stoppedPid = null;
    }
  }

  async #kill(): Promise<void> {
    process.kill(this.#pidBefore as number, 'SIGKILL');
    await this.#settleAfterCrash();
  }

  /** After a crash the worker either runs a new process or gave up. */
  async #settleAfterCrash(): Promise<void> {
    const old = this.#pidBefore;
    await waitFor(
      () => {
        const status = this.status();
        return (status.gaveUp && status.state === 'failed') || (UP_STATES.has(status.state) && status.pid !== old);
      },
      { ...SETTLE, description: `${WORKER} replaced or given up after its process ${old} died` },
    );
  }

  /**
   * Hangs the process. First a health pass that it answers: then its failures are 0 and it has answered since its
   * start (before that, a failed ping of a fresh worker does not count), so each later PING counts exactly one.
   */
  async #hang(): Promise<void> {
    await waitFor(
      async () => {
        if (this.status().state !== 'idle') return false;
        const [report] = await this.manager.monitorWorkerHealth();
        return report?.outcome.type === 'ok';
      },
      { ...SETTLE, description: `${WORKER} answering a health ping before it is stopped` },
    );
    // Finding (machines/README.md): that answer does not end the startup grace of a restarted worker as documented;
    // its failed pings stay uncounted until pingTimeoutMs + 3 s after it came up. Wait the window out (a documented
    // timer, measured from when this test first saw the pid, so later than the runtime's own start).
    const pid = this.#pidBefore as number;
    const since = this.#firstSeen.get(pid) ?? Date.now();
    await waitFor(
      () =>
        !KNOWN_FINDINGS.startupGraceOutlivesAnswer || Date.now() - since > SETTINGS.pingTimeoutMs + STARTUP_GRACE_MS,
      { ...SETTLE, description: `the startup grace of process ${pid} over` },
    );
    // Within the reconnect grace after Redis returned a failed ping is transport-down, as documented: wait it out.
    await waitFor(() => Date.now() - this.#redisUpAt > SETTINGS.pingTimeoutMs + RECONNECT_GRACE_MS, {
      ...SETTLE,
      description: 'the reconnect grace after Redis returned over',
    });
    process.kill(pid, 'SIGSTOP');
    this.#stoppedPid = pid;
  }

  async #redisUp(): Promise<void> {
    await this.#redis.start();
    this.#redisDown = false;
    this.#redisUpAt = Date.now();
  }

  // ---- states: observations ----------------------------------------------------------------------------

  async observe(state: SpecState): Promise<void> {
    const { context } = state;
    const status = this.status();
    const where = `spec state ${String(state.value)} after ${context.last}`;
    expect(status.restarts - this.#restartsAtPathStart, `${where}: restarts`).toBe(context.restarts);
    expect(this.#healthOutcome, `${where}: the health ping's outcome (${this.#healthDetail})`).toBe(
      context.pingOutcome,
    );
    if (context.restartReason === null) {
      expect(this.restarted.slice(this.#restartedAtStep), `${where}: no restart`).toEqual([]);
    } else {
      await waitFor(() => this.restarted.length > this.#restartedAtStep, {
        ...SETTLE,
        description: 'worker:restarted',
      });
      expect(this.restarted.slice(this.#restartedAtStep), `${where}: restart reason`).toEqual([context.restartReason]);
    }
    switch (state.value) {
      case 'stopped':
        expect(status, where).toMatchObject({ state: 'stopped', pid: null });
        return this.#expectGone(where);
      case 'gaveUp': {
        // The reason may carry the last stderr lines: `restart-intensity; last stderr: ...` (src/lifecycle/README.md).
        expect(status, where).toMatchObject({ state: 'failed', gaveUp: true });
        expect(status.reason, `${where}: reason`).toMatch(/^restart-intensity(;|$)/);
        if (context.last === 'hung.PING.giveUp' && KNOWN_FINDINGS.hungProcessKeptAfterGiveUp) {
          // Finding (machines/README.md, system-level tests): the hung process is neither stopped nor killed
          // when its ping failures exceed the restart intensity; it stays (SIGSTOPped, its pid reported) until
          // the cooldown or a STOP/RESTART, which the next steps check. Pinned so a fix shows up here.
          expect(status.pid, `${where}: the hung process still reported`).toBe(this.#pidBefore);
          expect(processStateLetter(status.pid as number), `${where}: still stopped`).toBe('T');
          return;
        }
        await waitFor(() => this.status().pid === null, { ...SETTLE, description: `${where}: no pid reported` });
        return this.#expectGone(where);
      }
      case 'up':
        return this.#observeUp(status, context, where);
      case 'hung':
        expect(UP_STATES.has(status.state), `${where}: state ${status.state}`).toBe(true);
        expect(status.pid, `${where}: the same process`).toBe(this.#pidBefore);
        // The signal lands asynchronously: wait for the kernel to show the process stopped.
        await waitFor(() => processStateLetter(status.pid as number) === 'T', {
          ...SETTLE,
          description: `${where}: process ${status.pid} stopped (T in /proc)`,
        });
        expect(status.consecutivePingFailures, `${where}: ping failures`).toBe(context.failures);
        return;
      case 'redisDown': {
        expect(UP_STATES.has(status.state), `${where}: state ${status.state}`).toBe(true);
        expect(status.pid, `${where}: the same process`).toBe(this.#pidBefore);
        expect(isProcessAlive(status.pid as number), `${where}: process alive`).toBe(true);
        expect(status.consecutivePingFailures, `${where}: ping failures`).toBe(context.failures);
        const outcome = await this.manager.pingWorker(WORKER, { timeoutMs: 2_000 });
        expect(outcome.type, `${where}: a direct ping`).toBe('transport-down');
        return;
      }
      default:
        throw new Error(`${where}: no observation for this spec state`);
    }
  }

  async #observeUp(status: WorkerStatus, context: WorkerSpecContext, where: string): Promise<void> {
    expect(UP_STATES.has(status.state), `${where}: state ${status.state}`).toBe(true);
    expect(status.gaveUp, `${where}: gaveUp`).toBe(false);
    // "What is wrong now": nothing once it is up again after a failure.
    expect(status.reason, `${where}: reason`).toBeNull();
    const pid = status.pid as number;
    expect(typeof pid, `${where}: a pid`).toBe('number');
    if (context.pid === 'same') expect(pid, `${where}: the same process`).toBe(this.#pidBefore);
    if (context.pid === 'new') {
      expect(pid, `${where}: a new process`).not.toBe(this.#pidBefore);
      if (this.#pidBefore !== null) {
        const old = this.#pidBefore;
        await waitFor(() => !isProcessAlive(old), { ...SETTLE, description: `the old process ${old} gone` });
      }
    }
    expect(isProcessAlive(pid), `${where}: process ${pid} alive`).toBe(true);
    expect(status.consecutivePingFailures, `${where}: ping failures`).toBe(context.failures);
    // It answers (after Redis returned, once it reconnected): a direct ping, which never counts.
    const replyPid = await waitFor(
      async () => {
        const outcome = await this.manager.pingWorker(WORKER, { timeoutMs: 2_000 });
        return outcome.type === 'ok' && outcome.reply.pid;
      },
      { ...SETTLE, description: `${WORKER} answering a ping` },
    );
    expect(replyPid, `${where}: the pid in the ping reply`).toBe(pid);
  }

  async #expectGone(where: string): Promise<void> {
    const old = this.#pidBefore;
    if (old === null) return;
    await waitFor(() => !isProcessAlive(old), { ...SETTLE, description: `${where}: process ${old} gone` });
  }
}
