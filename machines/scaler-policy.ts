/**
 * Pure helpers of the scaler statechart (`machines/scaler.machine.ts`): worker ids, which worker to remove
 * first, clamping, and the autoscale decision. No I/O and no clock: every function takes `now` as an argument.
 */

import type { WorkerStateName } from './worker.machine.js';

const SECOND = 1_000;

/** What a scaler remembers of one of its workers, from the worker's own `worker.stateChanged` reports. */
export interface WorkerSlot {
  id: string;
  /** The worker actor's top-level state (`starting`, `running`, `idle`, ...), as last reported. */
  state: WorkerStateName;
  /** A job is active on it right now. */
  busy: boolean;
  /** Sent STOP to be removed; its actor goes once it reports `stopped`. */
  removing: boolean;
}

export type WorkerSlots = Readonly<Record<string, WorkerSlot>>;

/** Autoscaling of one script type from its queue depth (waiting + prioritized jobs). */
export interface AutoscaleSettings {
  /** @defaultValue false */
  enabled: boolean;
  /** Desired workers = ceil(depth / targetJobsPerWorker). @defaultValue 10 */
  targetJobsPerWorker: number;
  /** Scale down only once the queue asked for fewer workers during this whole window. @defaultValue 60 s */
  stabilizationWindowMs: number;
  /** No scale-down sooner than this after the previous scaling. @defaultValue 30 s */
  cooldownMs: number;
}

export const DEFAULT_AUTOSCALE = {
  enabled: false,
  // A worker drains several short jobs in the time a new worker takes to become ready.
  targetJobsPerWorker: 10,
  // As Kubernetes' HPA: a short lull between bursts must not stop workers that are needed again a moment later.
  stabilizationWindowMs: 60 * SECOND,
  cooldownMs: 30 * SECOND,
} as const satisfies AutoscaleSettings;

/** What the autoscaler carries from one queue-depth observation to the next. */
export interface AutoscaleMemory {
  /** Recommendations (workers wanted) inside the stabilization window, oldest first. */
  recommendations: readonly { at: number; count: number }[];
  /** Since when every recommendation asked for fewer workers than desired; null while it does not. */
  belowSince: number | null;
  /** When the desired count last changed. */
  lastScaledAt: number | null;
}

export const EMPTY_AUTOSCALE_MEMORY: AutoscaleMemory = { recommendations: [], belowSince: null, lastScaledAt: null };

export type AutoscaleDecision =
  | {
      type: 'scale';
      desired: number;
      reason: 'autoscale-up' | 'autoscale-down';
      detail: string;
      memory: AutoscaleMemory;
    }
  | { type: 'hold'; detail: string; memory: AutoscaleMemory };

export interface AutoscaleInput {
  now: number;
  /** Waiting + prioritized jobs. */
  depth: number;
  /** Jobs in flight (active). The need counts them too: a busy pool with a queue is never scaled down. @defaultValue 0 */
  active?: number;
  desired: number;
  min: number;
  max: number;
  settings: AutoscaleSettings;
  memory: AutoscaleMemory;
}

/** The worker states in which a worker takes jobs. */
const UP_STATES: ReadonlySet<WorkerStateName> = new Set(['running', 'idle', 'pinging']);

export function isUpState(state: WorkerStateName): boolean {
  return UP_STATES.has(state);
}

export function clampCount(count: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(count)));
}

/** `python_worker_3` for script type `python` and index 3. */
export function workerIdFor(scriptType: string, index: number): string {
  return `${scriptType}_worker_${index}`;
}

/** The workers that count toward the desired number: every one not on its way out. */
export function memberCount(workers: WorkerSlots): number {
  return Object.values(workers).filter((slot) => !slot.removing).length;
}

export function upCount(workers: WorkerSlots): number {
  return Object.values(workers).filter((slot) => !slot.removing && isUpState(slot.state)).length;
}

/**
 * `record[key]` when `key` is the record's own key, else undefined. Worker ids are user-chosen names, and a plain
 * object answers `toString`, `constructor` or `valueOf` from Object.prototype: `workers['toString']` is a function.
 */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The id for the next worker: a preferred (configured or adopted) id not in use, otherwise the lowest free
 * `<type>_worker_<n>`, so that ids stay small and a scaled-down id is reused. `fromIndex` skips a prefix known to
 * be taken (every generated id below it is in use), so that growing a fleet does not rescan it for each worker.
 */
export function nextWorkerId(
  scriptType: string,
  workers: WorkerSlots | { has(id: string): boolean },
  preferred: readonly string[] = [],
  fromIndex = 0,
): string {
  const taken = (id: string) =>
    typeof workers.has === 'function' ? (workers as { has(id: string): boolean }).has(id) : Object.hasOwn(workers, id);
  const free = preferred.find((id) => !taken(id));
  if (free !== undefined) return free;
  for (let index = Math.max(0, fromIndex); ; index += 1) {
    const id = workerIdFor(scriptType, index);
    if (!taken(id)) return id;
  }
}

/** 12 for `python_worker_12` of script type `python`; undefined for any other id (configured names included). */
export function generatedIndexOf(scriptType: string, id: string): number | undefined {
  const prefix = `${scriptType}_worker_`;
  if (!id.startsWith(prefix)) return undefined;
  const index = Number(id.slice(prefix.length));
  return Number.isSafeInteger(index) && index >= 0 && workerIdFor(scriptType, index) === id ? index : undefined;
}

/**
 * How eager a scale-down is to take a worker (lower goes first): one that does nothing useful (stopped, failed,
 * restarting), then an idle one, then one still starting, then one that runs without a job, and a busy one last.
 */
function removalRank(slot: WorkerSlot): number {
  if (slot.busy) return 4;
  switch (slot.state) {
    case 'idle':
    case 'pinging':
      return 1;
    case 'starting':
      return 2;
    case 'running':
      return 3;
    default:
      return 0;
  }
}

/** Trailing number of `python_worker_12` (12); ids without one sort first. */
function indexOf(id: string): number {
  const match = /(\d+)$/.exec(id);
  return match === null ? -1 : Number(match[1]);
}

/**
 * The `count` workers a scale-down removes: never a busy one while a non-busy one remains; then generated
 * instances before the `configured` (named) workers; then by state (see removalRank), and among equals the newest
 * (highest index) first so that the remaining ids stay compact.
 */
export function pickVictims(
  workers: WorkerSlots | Iterable<WorkerSlot>,
  count: number,
  configured: ReadonlySet<string> = new Set(),
): WorkerSlot[] {
  const slots: Iterable<WorkerSlot> =
    Symbol.iterator in workers ? (workers as Iterable<WorkerSlot>) : Object.values(workers);
  const candidates = [...slots].filter((slot) => !slot.removing);
  const busy = (slot: WorkerSlot) => Number(slot.busy);
  const named = (slot: WorkerSlot) => Number(configured.has(slot.id));
  candidates.sort(
    (a, b) =>
      busy(a) - busy(b) ||
      named(a) - named(b) ||
      removalRank(a) - removalRank(b) ||
      indexOf(b.id) - indexOf(a.id) ||
      (a.id < b.id ? 1 : -1),
  );
  return candidates.slice(0, Math.max(0, count));
}

/** The id of a worker that was asked to go and has reported `stopped`: its actor can be released. */
export function releasableWorkerId(workers: WorkerSlots): string | undefined {
  return Object.values(workers).find((slot) => slot.removing && slot.state === 'stopped')?.id;
}

/**
 * The autoscale decision for one queue-depth observation: scale up at once toward ceil(depth / target); scale
 * down only once every recommendation during the stabilization window asked for fewer workers and the cooldown
 * since the last scaling has passed, and then only to the highest recommendation of that window.
 */
export function decideAutoscale({
  now,
  depth,
  active = 0,
  desired,
  min,
  max,
  settings,
  memory,
}: AutoscaleInput): AutoscaleDecision {
  const queued = Math.max(0, depth);
  const inFlight = Math.max(0, active);
  // While jobs wait, every worker busy with one is still needed, whatever targetJobsPerWorker says.
  const busyFloor = queued > 0 ? inFlight : 0;
  const wanted = clampCount(
    Math.max(Math.ceil((queued + inFlight) / settings.targetJobsPerWorker), busyFloor),
    min,
    max,
  );
  const recommendations = [
    ...memory.recommendations.filter((entry) => entry.at > now - settings.stabilizationWindowMs),
    { at: now, count: wanted },
  ];
  const activeNote = inFlight > 0 ? ` + ${inFlight} active` : '';
  const why = `queue depth ${depth}${activeNote} wants ${wanted} worker(s) at ${settings.targetJobsPerWorker} job(s) per worker`;

  if (wanted > desired) {
    return {
      type: 'scale',
      desired: wanted,
      reason: 'autoscale-up',
      detail: why,
      memory: { recommendations, belowSince: null, lastScaledAt: now },
    };
  }
  if (wanted === desired) {
    return { type: 'hold', detail: why, memory: { ...memory, recommendations, belowSince: null } };
  }

  const belowSince = memory.belowSince ?? now;
  const held = { ...memory, recommendations, belowSince };
  if (now - belowSince < settings.stabilizationWindowMs) {
    return {
      type: 'hold',
      detail: `${why}; waiting for the ${settings.stabilizationWindowMs} ms window`,
      memory: held,
    };
  }
  if (memory.lastScaledAt !== null && now - memory.lastScaledAt < settings.cooldownMs) {
    return { type: 'hold', detail: `${why}; in the ${settings.cooldownMs} ms cooldown`, memory: held };
  }
  const stabilized = Math.max(...recommendations.map((entry) => entry.count));
  if (stabilized >= desired) return { type: 'hold', detail: why, memory: held };
  return {
    type: 'scale',
    desired: stabilized,
    reason: 'autoscale-down',
    detail: `${why} for ${now - belowSince} ms`,
    memory: { recommendations, belowSince: null, lastScaledAt: now },
  };
}
