/**
 * Figure `scale`: 1,000 and 10,000 worker actors under one supervisor (a `WorkerLifecycleManager` over the
 * FakeProcessManager double, which fakes processes so that only the actor layer is measured):
 * - heap per actor, beside bare worker-machine actors driven by the same effects without the manager;
 * - heap of N actors, beside the goal (10,000 actors under 200 MB);
 * - CPU while idle with health monitoring running, in % of one core, beside the goal (under 2%);
 * - state-change events per second during a mass crash (every fake process exits at once and every actor
 *   goes failed → restarting → starting → running), beside the bare actors under the same storm.
 * Each size and variant runs in its own process (scale-probe.js) with a heap and a time limit, so that a
 * blow-up is reported as a missed goal instead of ending the bench.
 */
import type { BenchContext, Figure } from './bench-context.js';
import { benchLine, missingLine } from './output.js';
import { distPath, killAndWait, spawnNode, stderrTail, waitExit } from './processes.js';
import { HEALTH_PASS_INTERVAL_MS, type ProbeResult } from './scale-probe-types.js';

const MB = 1024 * 1024;
/** The issue's goals for 10,000 actors. */
const HEAP_GOAL_MB = 200;
const IDLE_CPU_GOAL_PERCENT = 2;
/** 0 → 10,000 actors, and shutting 10,000 down, each within this. */
const TIME_GOAL_MS = 10_000;
/** Ten times the actors may cost at most this many times as much (linear growth, with slack). */
const RATIO_GOAL = 12;
/** Five times the heap goal: a probe that needs more has missed the goal by far, and must not eat the machine. */
const PROBE_HEAP_LIMIT_MB = 5 * HEAP_GOAL_MB;

async function probe(
  ctx: BenchContext,
  variant: 'bare' | 'managed',
  count: number,
  idleMs: number,
  timeoutMs: number,
): Promise<ProbeResult | string> {
  const child = spawnNode(
    distPath('bench/scale-probe.js'),
    [
      '--variant',
      variant,
      '--count',
      String(count),
      '--redis-url',
      ctx.redisUrl,
      '--prefix',
      `${ctx.prefix}-${variant}-${count}`,
      '--idle-ms',
      String(idleMs),
    ],
    { pipeStdout: true, nodeOptions: ['--expose-gc', `--max-old-space-size=${PROBE_HEAP_LIMIT_MB}`] },
  );
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  // V8's out-of-memory report is long (GC log, native stack): look for it in every chunk, not in the tail.
  let outOfHeap = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('heap out of memory')) outOfHeap = true;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void killAndWait(child);
  }, timeoutMs);
  await waitExit(child);
  clearTimeout(timer);
  if (timedOut) return `did not finish within ${timeoutMs / 1000} s`;
  const line = stdout.trim().split('\n').at(-1);
  if (child.exitCode !== 0 || !line) {
    const tail = stderrTail(child);
    const reason = outOfHeap
      ? `ran out of heap (limit ${PROBE_HEAP_LIMIT_MB} MB) before reaching ${count} running actors`
      : `exited with ${child.exitCode ?? child.signalCode}: ${tail.split('\n').slice(-3).join(' ')}`;
    return reason;
  }
  return JSON.parse(line) as ProbeResult;
}

export const scaleFigure: Figure = {
  name: 'scale',
  description: '1,000 and 10,000 worker actors over a process-manager double: heap, idle CPU, state changes/s',
  smokeInCi: true,
  async run(ctx) {
    const sizes = ctx.size([1_000, 10_000], [50]);
    const idleMs = ctx.size(10_000, 500);
    // Generous for 1,000 actors; for 10,000 it bounds the figure so that the whole bench stays under 10 minutes.
    const timeoutMs = ctx.size(120_000, 30_000);
    const figures = new Map<string, Map<number, number>>();
    const keep = (name: string, count: number, value: number) => {
      const bySize = figures.get(name) ?? new Map<number, number>();
      bySize.set(count, value);
      figures.set(name, bySize);
    };
    for (const count of sizes) {
      const bare = await probe(ctx, 'bare', count, idleMs, timeoutMs);
      const managed = await probe(ctx, 'managed', count, idleMs, timeoutMs);
      const bareOk = typeof bare === 'string' ? undefined : bare;
      if (typeof managed === 'string') {
        const bareSummary =
          typeof bare === 'string'
            ? `bare: ${bare}`
            : `bare actors for comparison: ${(bare.heapBytes / count / 1024).toFixed(2)} KiB each, ` +
              `${(bare.heapBytes / MB).toFixed(1)} MB, ${(bare.stateChanges / (bare.stormMs / 1000)).toFixed(0)} state changes/s`;
        const why = `managed ${count} actors: ${managed}; ${bareSummary}`;
        ctx.log(why);
        for (const [name, unit, baseline] of [
          [`scale.heap-per-actor.${count}`, 'KiB', 'bare worker-machine actor'],
          [`scale.heap.${count}`, 'MB', `goal for 10,000 actors (${HEAP_GOAL_MB} MB)`],
          [`scale.idle-cpu.${count}`, '% of one core', `goal (${IDLE_CPU_GOAL_PERCENT}% of one core)`],
          [`scale.state-changes.${count}`, 'events/s', 'bare worker-machine actors, same storm'],
          [`scale.scale-up.${count}`, 'ms', `goal for 10,000 actors (${TIME_GOAL_MS / 1000} s)`],
          [`scale.shutdown.${count}`, 'ms', `goal for 10,000 actors (${TIME_GOAL_MS / 1000} s)`],
        ] as const) {
          ctx.emit(missingLine(name, unit, baseline, why));
        }
        continue;
      }
      const bareNote = typeof bare === 'string' ? `; bare: ${bare}` : '';
      const scaleUp = managed.scaleUpMs ?? 0;
      const idleCpu = managed.idleCpuPercent ?? 0;
      ctx.log(
        `${count}: scale-up ${scaleUp.toFixed(0)} ms, storm ${managed.stormMs.toFixed(0)} ms` +
          `${bareOk ? ` (bare ${bareOk.stormMs.toFixed(0)} ms)` : ''}, idle CPU ${idleCpu.toFixed(2)}%`,
      );
      ctx.emit(
        benchLine({
          name: `scale.heap-per-actor.${count}`,
          value: managed.heapBytes / count / 1024,
          unit: 'KiB',
          baseline: 'bare worker-machine actor (same effects, no manager or scaler)',
          baselineValue: bareOk ? bareOk.heapBytes / count / 1024 : null,
          runs: 1,
          notes: `heapUsed after gc, delta over scaling 0 → ${count}; scale-up took ${scaleUp.toFixed(0)} ms${bareNote}`,
        }),
      );
      ctx.emit(
        benchLine({
          name: `scale.heap.${count}`,
          value: managed.heapBytes / MB,
          unit: 'MB',
          baseline: `goal for 10,000 actors (${HEAP_GOAL_MB} MB)`,
          baselineValue: HEAP_GOAL_MB,
          runs: 1,
          notes: `heap of the ${count} actors (delta after gc); probe heapUsed ${(managed.totalHeapBytes / MB).toFixed(1)} MB`,
        }),
      );
      ctx.emit(
        benchLine({
          name: `scale.idle-cpu.${count}`,
          value: idleCpu,
          unit: '% of one core',
          baseline: `goal (${IDLE_CPU_GOAL_PERCENT}% of one core)`,
          baselineValue: IDLE_CPU_GOAL_PERCENT,
          runs: 1,
          notes:
            `probe CPU over ${(managed.idleWindowMs ?? 0) / 1000} s idle with health passes every ${HEALTH_PASS_INTERVAL_MS} ms ` +
            `= ${((idleCpu / 100) * 60_000).toFixed(0)} CPU-ms per minute of health monitoring; ` +
            'no worker idle long enough to be pinged (default idleTimeout 10 min)',
        }),
      );
      ctx.emit(
        benchLine({
          name: `scale.state-changes.${count}`,
          value: managed.stateChanges / (managed.stormMs / 1000),
          unit: 'events/s',
          baseline: 'bare worker-machine actors, same storm',
          baselineValue: bareOk ? bareOk.stateChanges / (bareOk.stormMs / 1000) : null,
          runs: 1,
          notes:
            `every fake process SIGKILLed at once → all ${count} actors back in running; ` +
            `${managed.stateChanges} state changes in ${managed.stormMs.toFixed(0)} ms, ${cpuNote(managed.stormCpuMs, managed.loadAverage)}` +
            (bareOk
              ? ` (bare ${bareOk.stateChanges} in ${bareOk.stormMs.toFixed(0)} ms, ${cpuNote(bareOk.stormCpuMs, bareOk.loadAverage)})`
              : bareNote),
        }),
      );
      const shutdownMs = managed.shutdownMs ?? 0;
      for (const [name, value, what] of [
        [
          'scale-up',
          scaleUp,
          `scaleWorkers(0 → ${count}) until every actor runs; ${cpuNote(managed.scaleUpCpuMs, managed.loadAverage)}`,
        ],
        [
          'shutdown',
          shutdownMs,
          `shutdown() of ${count} running actors; ${cpuNote(managed.shutdownCpuMs, managed.loadAverage)}`,
        ],
      ] as const) {
        ctx.emit(
          benchLine({
            name: `scale.${name}.${count}`,
            value,
            unit: 'ms',
            baseline: `goal for 10,000 actors (${TIME_GOAL_MS / 1000} s)`,
            baselineValue: TIME_GOAL_MS,
            runs: 1,
            notes: what,
          }),
        );
      }
      keep('heap', count, managed.heapBytes);
      keep('idle-cpu', count, idleCpu);
      keep('storm', count, managed.stormMs);
      keep('scale-up', count, scaleUp);
      keep('shutdown', count, shutdownMs);
      for (const [name, cpuMs] of [
        ['storm', managed.stormCpuMs],
        ['scale-up', managed.scaleUpCpuMs],
        ['shutdown', managed.shutdownCpuMs],
      ] as const) {
        if (cpuMs !== undefined) keep(`${name}-cpu`, count, cpuMs);
      }
    }
    // Linear growth: the cost of ten times the actors, per figure (only when both sizes were measured).
    const [small, large] = sizes;
    if (small === undefined || large === undefined) return;
    for (const name of ['heap', 'idle-cpu', 'storm', 'scale-up', 'shutdown']) {
      const bySize = figures.get(name);
      const a = bySize?.get(small);
      const b = bySize?.get(large);
      const lineName = `scale.growth.${name}`;
      const baseline = `goal: at most ${RATIO_GOAL}× for ${large / small}× the actors`;
      if (a === undefined || b === undefined || a === 0) {
        ctx.emit(missingLine(lineName, `× (${large}/${small})`, baseline, `not measured at both sizes`));
        continue;
      }
      ctx.emit(
        benchLine({
          name: lineName,
          value: b / a,
          unit: `× (${large}/${small})`,
          baseline,
          baselineValue: RATIO_GOAL,
          runs: 1,
          notes: `${name} at ${large} ÷ at ${small}${cpuGrowthNote(figures.get(`${name}-cpu`), small, large)}`,
        }),
      );
    }
  },
};

/** The probe's CPU time beside a wall time: on a shared machine the wall time also holds other processes' turns. */
function cpuNote(cpuMs: number | undefined, loadAverage: number | undefined): string {
  if (cpuMs === undefined) return 'CPU not measured';
  const load = loadAverage === undefined ? '' : `, load average ${loadAverage.toFixed(1)}`;
  return `${cpuMs.toFixed(0)} ms CPU of the probe${load}`;
}

function cpuGrowthNote(bySize: Map<number, number> | undefined, small: number, large: number): string {
  const a = bySize?.get(small);
  const b = bySize?.get(large);
  if (a === undefined || b === undefined || a === 0) return '';
  return `; in CPU time of the probe ${(b / a).toFixed(2)}× (${a.toFixed(0)} → ${b.toFixed(0)} ms)`;
}
