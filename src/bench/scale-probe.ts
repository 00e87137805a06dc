/**
 * The `scale` figure's measuring process: one size, one variant (`bare` worker-machine actors, or a `managed`
 * WorkerLifecycleManager over the FakeProcessManager double), in a fresh process so that heap figures start clean
 * and a blow-up (heap limit, time limit) ends only this probe. Prints one JSON result on stdout.
 *
 *   node --expose-gc scale-probe.js --variant bare|managed --count N --redis-url ... --prefix ... --idle-ms 10000
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type AnyActorRef, createActor } from 'xstate';
import type { WorkerEvent } from '../../machines/worker.events.js';
import { workerMachine, workerStateOf } from '../../machines/worker.machine.js';
import { systemClock } from '../lifecycle/clock.js';
import { WorkerConfig } from '../lifecycle/worker-config.js';
import { createWorkerEffects } from '../lifecycle/worker-effects.js';
import { WorkerLifecycleManagerBuilder } from '../lifecycle/worker-lifecycle-manager-builder.js';
import { FakeProcessManager } from './fake-process-manager.js';
import { HEALTH_PASS_INTERVAL_MS, type ProbeResult } from './scale-probe-types.js';

const SCRIPT_TYPE = 'osis';
/** How long a storm or a scale-up may take before the figure fails. */
const SETTLE_TIMEOUT_MS = 240_000;

/** The probe runs with --expose-gc: heap figures are meaningless without a full collection first. */
function loadGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('scale-probe needs node --expose-gc');
  return gc;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const silentLogger = () => pino({ level: 'silent' });

/** CPU ms of this process since `since` (process.cpuUsage()). */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function until(condition: () => boolean, description: string): Promise<void> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${description}: not within ${SETTLE_TIMEOUT_MS} ms`);
    await sleep(5);
  }
}

/** N bare worker actors: the worker machine with the real effects over the double, no manager, no scaler. */
async function measureBare(gc: () => void, count: number): Promise<ProbeResult> {
  const processes = new FakeProcessManager();
  const template = new WorkerConfig('bench_scale_bare', process.execPath, SCRIPT_TYPE);
  let stateChanges = 0;
  let toRunning = 0;
  const effects = createWorkerEffects({
    processes,
    pings: { pingWorker: async () => ({ type: 'transport-down', reason: 'bench: no pings' }) },
    clock: systemClock,
    logger: silentLogger(),
    launchFor: (worker) => ({
      config: template,
      values: { workerId: worker, redisUrl: 'redis://unused', scriptType: SCRIPT_TYPE },
      stopTimeoutMs: 1_000,
    }),
    isRedisReachable: async () => true,
    onStateChange: ({ change }) => {
      stateChanges += 1;
      if (change.state === 'running') toRunning += 1;
      return undefined;
    },
  });
  const machine = workerMachine.provide(effects);
  const before = heapAfterGc(gc);
  const actors = new Map<string, AnyActorRef>();
  processes.subscribe((event) => {
    const { service, ...rest } = event;
    actors.get(service)?.send({ ...rest, at: Date.now() } as WorkerEvent);
  });
  for (let i = 0; i < count; i += 1) {
    const name = `${SCRIPT_TYPE}_worker_${i}`;
    const actor = createActor(machine, { input: { name, scriptType: SCRIPT_TYPE } }).start();
    actors.set(name, actor);
    actor.send({ type: 'START', at: Date.now() });
  }
  await until(() => toRunning >= count, `${count} bare actors running`);
  const totalHeapBytes = heapAfterGc(gc);
  const heapBytes = totalHeapBytes - before;

  stateChanges = 0;
  toRunning = 0;
  const started = performance.now();
  const stormCpu = process.cpuUsage();
  processes.crashAll();
  await until(() => toRunning >= count, 'bare actors recovered');
  const stormMs = performance.now() - started;
  const stormCpuMs = cpuMsSince(stormCpu);
  const notRunning = [...actors.values()].filter((actor) => workerStateOf(actor.getSnapshot()) !== 'running').length;
  if (notRunning > 0) throw new Error(`${notRunning} bare actors not running after the storm`);
  for (const actor of actors.values()) actor.stop();
  await processes.close();
  return {
    variant: 'bare',
    count,
    heapBytes,
    totalHeapBytes,
    stateChanges,
    stormMs,
    stormCpuMs,
    loadAverage: loadavg()[0],
  };
}

async function measureManaged(
  redisUrl: string,
  prefix: string,
  gc: () => void,
  count: number,
  idleWindowMs: number,
): Promise<ProbeResult> {
  const processes = new FakeProcessManager();
  const template = new WorkerConfig('bench_scale_template', process.execPath, SCRIPT_TYPE);
  const manager = new WorkerLifecycleManagerBuilder(processes)
    .withRedis(redisUrl, { prefix })
    .withLogger(silentLogger())
    .withScriptType(SCRIPT_TYPE, { template, min: 0, max: count, initial: 0 })
    .build();
  try {
    let stateChanges = 0;
    let toRunning = 0;
    manager.on('worker:stateChanged', (event) => {
      stateChanges += 1;
      if (event.to === 'running') toRunning += 1;
    });
    await manager.startAllWorkers();
    const before = heapAfterGc(gc);
    const scaleStarted = performance.now();
    const scaleUpCpu = process.cpuUsage();
    await manager.scaleWorkers(SCRIPT_TYPE, count);
    await until(() => toRunning >= count, `${count} managed actors running`);
    const scaleUpMs = performance.now() - scaleStarted;
    const scaleUpCpuMs = cpuMsSince(scaleUpCpu);
    const heapBytes = heapAfterGc(gc) - before;
    const totalHeapBytes = process.memoryUsage().heapUsed;

    // Idle: every actor running, health monitoring on; nothing else happens in this process.
    const health = manager.startHealthMonitoring({ intervalMs: HEALTH_PASS_INTERVAL_MS });
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(idleWindowMs);
    const cpu = process.cpuUsage(cpuBefore);
    const wall = performance.now() - wallBefore;
    health.stop();
    const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / wall) * 100;

    stateChanges = 0;
    toRunning = 0;
    const stormStarted = performance.now();
    const stormCpu = process.cpuUsage();
    processes.crashAll();
    // Counting events, not polling listWorkers(): a poll over 10,000 actors would be part of what is measured.
    await until(() => toRunning >= count, `${count} managed actors recovered`);
    const stormMs = performance.now() - stormStarted;
    const stormCpuMs = cpuMsSince(stormCpu);
    const running = manager.getRunningWorkerCount(SCRIPT_TYPE);
    if (running !== count) throw new Error(`${count - running} managed actors not running after the storm`);
    const shutdownStarted = performance.now();
    const shutdownCpu = process.cpuUsage();
    await manager.shutdown();
    const shutdownMs = performance.now() - shutdownStarted;
    const shutdownCpuMs = cpuMsSince(shutdownCpu);
    return {
      shutdownMs,
      shutdownCpuMs,
      stormCpuMs,
      scaleUpCpuMs,
      loadAverage: loadavg()[0],
      variant: 'managed',
      count,
      heapBytes,
      totalHeapBytes,
      idleCpuPercent,
      idleWindowMs,
      stateChanges,
      stormMs,
      scaleUpMs,
    };
  } finally {
    await manager.shutdown();
    await processes.close();
  }
}

const { values } = parseArgs({
  options: {
    variant: { type: 'string' },
    count: { type: 'string' },
    'redis-url': { type: 'string' },
    prefix: { type: 'string' },
    'idle-ms': { type: 'string', default: '10000' },
  },
});
const count = Number(values.count);
const gc = loadGc();
const result =
  values.variant === 'bare'
    ? await measureBare(gc, count)
    : await measureManaged(values['redis-url'] ?? '', values.prefix ?? 'bench', gc, count, Number(values['idle-ms']));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
