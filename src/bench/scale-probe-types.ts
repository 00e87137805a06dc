/** What scale-probe.js reports, shared with the `scale` figure (which must not load the probe itself). */

/** How often the health pass runs during the idle measurement: every second, 60× the default, to be conservative. */
export const HEALTH_PASS_INTERVAL_MS = 1_000;

export interface ProbeResult {
  variant: 'bare' | 'managed';
  count: number;
  /** Heap of the actors: heapUsed after gc, minus before creating them. */
  heapBytes: number;
  /** Process heapUsed after gc with the actors alive. */
  totalHeapBytes: number;
  /** State changes reported during the mass crash, and how long until every actor was running again. */
  stateChanges: number;
  stormMs: number;
  /** Managed only: time of scaleWorkers(0 → N), and CPU while idle with health passes running. */
  scaleUpMs?: number;
  /** Managed only: time of shutdown() with every actor running (every worker stopped, actors released). */
  shutdownMs?: number;
  idleCpuPercent?: number;
  idleWindowMs?: number;
  /**
   * CPU time of the probe (user + system, all threads: GC included) during the storm, the scale-up and the
   * shutdown: on a shared machine the wall times above also hold the time other processes had the cores.
   */
  stormCpuMs?: number;
  scaleUpCpuMs?: number;
  shutdownCpuMs?: number;
  /** The machine's 1-minute load average when the probe ended. */
  loadAverage?: number;
}
