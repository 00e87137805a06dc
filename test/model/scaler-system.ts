/**
 * The system under test for the pool spec: a lifecycle manager on the embedded backend scaling real `hero-worker`
 * processes of script type python within [min, max], with autoscaling on (up at once; down after an hour, so
 * never during a run: manual steps stay put), and a Supervisor for real jobs. A "long" job waits for a gate file,
 * so a step decides when it ends, never a sleep. Paths chain on one manager: `reset()` releases every job and
 * scales back to min.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import {
  ConfigError,
  ScriptType,
  type Supervisor,
  SupervisorBuilder,
  type WorkerLifecycleManager,
  type WorkerStatus,
} from '../../src/index.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from '../lifecycle/lifecycle-harness.js';
import { POOL_LIMITS, type ScalerSpecContext, type ScalerSpecEvent } from './scaler-spec.js';

const TYPE = 'python';
const SETTLE = { timeoutMs: 30_000 };
const UP_STATES = new Set(['running', 'idle', 'pinging']);

type SpecState = { value: unknown; context: ScalerSpecContext };

export class ScalerSystem {
  readonly scaled: { from: number; to: number; reason: string }[] = [];
  #harness: ReturnType<typeof createLifecycleHarness>;
  #supervisor: Supervisor;
  readonly #gateDir = mkdtempSync(join(tmpdir(), 'hero-mbt-'));
  #gates = 0;
  /** Jobs in flight, each with the gate file that lets it finish. */
  #pending: { gate: string; result: Promise<string> }[] = [];
  #before = new Map<string, number | null>();
  #scaledAtStep = 0;
  #busy: { name: string; pid: number } | null = null;
  #refusal: unknown = null;

  private constructor(harness: ReturnType<typeof createLifecycleHarness>, supervisor: Supervisor) {
    this.#harness = harness;
    this.#supervisor = supervisor;
    this.manager.on('scaler:scaled', (event) =>
      this.scaled.push({ from: event.from, to: event.to, reason: event.reason }),
    );
  }

  static async start(): Promise<ScalerSystem> {
    const redisUrl = inject('redisUrl');
    let supervisor: Supervisor | undefined;
    const harness = createLifecycleHarness({
      redisUrl,
      // No idle pings during a run: scaling is what is observed here.
      settings: { idleTimeoutMs: 3_600_000 },
      configure: (builder, prefix) => {
        supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
        return builder
          .withSupervisor(supervisor)
          .withTimings({ autoscalePollIntervalMs: 200 })
          .withScriptType(TYPE, {
            template: heroWorkerConfig(TYPE, prefix).withStopTimeout(5_000),
            ...POOL_LIMITS,
            initial: POOL_LIMITS.min,
            autoscale: { enabled: true, targetJobsPerWorker: 1, stabilizationWindowMs: 3_600_000, cooldownMs: 0 },
          });
      },
    });
    const system = new ScalerSystem(harness, supervisor as Supervisor);
    await harness.manager.startAllWorkers();
    return system;
  }

  get manager(): WorkerLifecycleManager {
    return this.#harness.manager;
  }

  workers(): WorkerStatus[] {
    return this.manager.listWorkers().filter((worker) => worker.scriptType === TYPE);
  }

  async reset(): Promise<void> {
    await this.#releaseAll();
    this.#busy = null;
    if (this.workers().length !== POOL_LIMITS.min) await this.manager.scaleWorkers(TYPE, POOL_LIMITS.min);
    await waitFor(() => this.workers().every((worker) => !worker.busy && UP_STATES.has(worker.state)), {
      ...SETTLE,
      description: 'every worker of the pool up and idle',
    });
  }

  async close(): Promise<void> {
    await this.#releaseAll();
    await this.#harness.cleanup();
    await this.#supervisor.close();
    rmSync(this.#gateDir, { recursive: true, force: true });
  }

  /** Starts a job through the Supervisor that runs until its gate file exists. */
  #startGatedJob(): void {
    const gate = join(this.#gateDir, `gate-${this.#gates++}`);
    const script = `import os, time\nwhile not os.path.exists(${JSON.stringify(gate)}):\n    time.sleep(0.05)\nprint("released")`;
    const job = this.#supervisor.newJob().scriptType(ScriptType.Python).scriptContent(script).timeout(120_000).build();
    this.#pending.push({ gate, result: this.#supervisor.runJobAndAwaitResult(job) });
  }

  async #releaseAll(): Promise<void> {
    const pending = this.#pending.splice(0);
    for (const { gate } of pending) writeFileSync(gate, '');
    const results = await Promise.all(pending.map(({ result }) => result));
    expect(results.map((output) => output.trim())).toEqual(pending.map(() => 'released'));
  }

  // ---- events: real actions --------------------------------------------------------------------------

  async act(event: ScalerSpecEvent, from: SpecState): Promise<void> {
    this.#before = new Map(this.workers().map((worker) => [worker.name, worker.pid]));
    this.#scaledAtStep = this.scaled.length;
    this.#refusal = null;
    const count = from.context.count;
    switch (event.type) {
      case 'SCALE_UP':
        return this.manager.scaleWorkers(TYPE, count + 1);
      case 'SCALE_DOWN':
        return this.manager.scaleWorkers(TYPE, count - 1);
      case 'SCALE_ABOVE_MAX':
        this.#refusal = await this.manager.scaleWorkers(TYPE, POOL_LIMITS.max + 1).catch((error: unknown) => error);
        return;
      case 'SCALE_BELOW_MIN':
        this.#refusal = await this.manager.scaleWorkers(TYPE, POOL_LIMITS.min - 1).catch((error: unknown) => error);
        return;
      case 'BUSY': {
        this.#startGatedJob();
        const busy = await waitFor(() => this.workers().find((worker) => worker.busy), {
          ...SETTLE,
          description: 'a worker busy with the gated job',
        });
        this.#busy = { name: busy.name, pid: busy.pid as number };
        return;
      }
      case 'JOB_DONE':
        await this.#releaseAll();
        this.#busy = null;
        await waitFor(() => this.workers().every((worker) => !worker.busy), {
          ...SETTLE,
          description: 'no busy worker',
        });
        return;
      case 'QUEUE_BURST': {
        // Occupy every worker and leave `max` jobs waiting: the depth asks for more than max.
        for (let index = 0; index < count + POOL_LIMITS.max; index += 1) this.#startGatedJob();
        await waitFor(() => this.workers().length === POOL_LIMITS.max, {
          ...SETTLE,
          description: `the pool scaled up to ${POOL_LIMITS.max} by the queue depth`,
        });
        await this.#releaseAll();
        await waitFor(() => this.workers().every((worker) => !worker.busy), {
          ...SETTLE,
          description: 'no busy worker',
        });
        return;
      }
    }
  }

  // ---- states: observations ----------------------------------------------------------------------------

  async observe(state: SpecState): Promise<void> {
    const { context } = state;
    const where = `spec state ${String(state.value)} after ${context.last}`;
    const workers = this.workers();
    expect(workers.length, `${where}: workers`).toBe(context.count);
    expect(this.manager.getRunningWorkerCount(TYPE), `${where}: running count`).toBe(context.count);
    expect(workers.length >= POOL_LIMITS.min && workers.length <= POOL_LIMITS.max, `${where}: within bounds`).toBe(
      true,
    );
    for (const worker of workers) {
      expect(UP_STATES.has(worker.state), `${where}: ${worker.name} is ${worker.state}`).toBe(true);
      expect(isProcessAlive(worker.pid as number), `${where}: ${worker.name} alive`).toBe(true);
      // Scaling never restarts the workers it keeps.
      if (this.#before.has(worker.name))
        expect(worker.pid, `${where}: ${worker.name} kept`).toBe(this.#before.get(worker.name));
    }
    expect(new Set(workers.map((worker) => worker.pid)).size, `${where}: distinct processes`).toBe(workers.length);
    for (const [name, pid] of this.#before) {
      if (pid !== null && !workers.some((worker) => worker.name === name)) {
        await waitFor(() => !isProcessAlive(pid), {
          ...SETTLE,
          description: `${where}: removed ${name} (${pid}) gone`,
        });
      }
    }
    this.#expectScaled(context.scaled, where);
    if (context.refused === null) {
      expect(this.#refusal, `${where}: no refusal`).toBeNull();
    } else {
      const bound = context.refused === 'max' ? POOL_LIMITS.max + 1 : POOL_LIMITS.min - 1;
      expect(this.#refusal, `${where}: refused`).toBeInstanceOf(ConfigError);
      expect(String((this.#refusal as Error).message)).toContain(
        `Cannot scale \`${TYPE}\` to ${bound}: expected an integer within [${POOL_LIMITS.min}, ${POOL_LIMITS.max}]`,
      );
    }
    if (state.value === 'oneBusy') {
      // The busy worker is never the one removed while an idle one can go.
      const busy = this.#busy as { name: string; pid: number };
      const same = workers.find((worker) => worker.name === busy.name);
      expect(same?.pid, `${where}: the busy worker kept`).toBe(busy.pid);
      expect(same?.busy, `${where}: still busy`).toBe(true);
    } else {
      expect(
        workers.filter((worker) => worker.busy),
        `${where}: no busy worker`,
      ).toEqual([]);
    }
  }

  /** The step's `scaler:scaled` events, folded (an autoscale burst may climb in several decisions). */
  #expectScaled(expected: string | null, where: string): void {
    const events = this.scaled.slice(this.#scaledAtStep);
    if (expected === null) {
      expect(events, `${where}: no scaling`).toEqual([]);
      return;
    }
    const first = events[0];
    const last = events.at(-1);
    const folded = first && last ? `${first.from}→${last.to} ${first.reason}` : 'none';
    expect(folded, `${where}: scaler:scaled`).toBe(expected);
    expect(new Set(events.map((event) => event.reason)).size, `${where}: one reason`).toBe(1);
  }
}
