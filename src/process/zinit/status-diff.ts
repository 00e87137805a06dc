/**
 * The status diff: turns what one poll saw (Zinit's `list`, plus a `status` for each service whose state string
 * changed) into process events, against what the earlier polls saw. Pure: no socket, no clock, and its inputs are
 * never modified. The manager fetches; this decides.
 *
 * Zinit pushes nothing and its `list` holds only state strings, so:
 * - only a service whose string changed needs a `status` (for its pid): servicesToInspect();
 * - every event is emitted once per process: the memory records the pids already reported;
 * - a whole run may fall between two polls: `Error(Exited(Pid(n), code))` names the pid that ended, so `spawned` and
 *   `exited` are still both reported;
 * - after Zinit was unreachable, an unchanged `Running` may be a new process (Zinit restarted meanwhile): its pid is
 *   checked once.
 */
import type { ProcessEvent } from '../process-events.js';
import type { ServiceSpec } from '../process-manager.js';
import {
  dependencySatisfied,
  healthCheckFailureReason,
  isStoppedOnPurpose,
  spawnFailureReason,
  type ZinitKnowledge,
} from './normalize-status.js';
import type { ZinitRawStatus } from './zinit-client.js';
import { parseZinitState } from './zinit-state.js';

/** What the poller last saw of one service, and which events it already emitted for it. */
export interface ServiceMemory {
  /** The state string last applied; undefined (nothing applied yet) makes the next status apply whatever it says. */
  readonly raw: string | undefined;
  /** pid for which `process.spawned` was emitted (0: none). */
  readonly spawnedPid: number;
  /** pid for which `process.running` was emitted (0: none). */
  readonly runningPid: number;
  /** pid whose exit was emitted (-1: none). */
  readonly exitedPid: number;
  /** `process.stopped` was emitted and the target has not gone Up since. */
  readonly stoppedReported: boolean;
}

/** Everything the diff remembers between two polls. */
export interface ObservedServices {
  /**
   * False until the first `list` was diffed: a service running then (and not declared through this manager) was
   * there before this supervisor looked. It is adopted without events for its past.
   */
  readonly baselineDone: boolean;
  readonly services: ReadonlyMap<string, ServiceMemory>;
}

export const NOTHING_OBSERVED: ObservedServices = Object.freeze({ baselineDone: false, services: new Map() });

/** What one poll saw. */
export interface PollObservation {
  /** Zinit's `list`: every monitored service and its state string. */
  readonly listed: ReadonlyMap<string, string>;
  /** The `status` of the services servicesToInspect() named; one that could not be fetched is looked at next poll. */
  readonly statuses: ReadonlyMap<string, ZinitRawStatus>;
  /** This is the first `list` that answered after Zinit was unreachable. */
  readonly afterOutage: boolean;
  /** When the `list` answered: every event of this poll carries it. */
  readonly at: number;
}

export interface DiffOutcome {
  readonly observed: ObservedServices;
  readonly events: ProcessEvent[];
  /**
   * Services that just exited with target Up whose restart mode is `never` (or `on-failure` after exit code 0): the
   * manager sends `stop` during Zinit's 2 s post-exit sleep, so Zinit does not restart them.
   */
  readonly holdDown: string[];
}

const FRESH: ServiceMemory = { raw: undefined, spawnedPid: 0, runningPid: 0, exitedPid: -1, stoppedReported: false };

function adoptsSilently(observed: ObservedServices, name: string, specs: ReadonlyMap<string, ServiceSpec>): boolean {
  return !observed.baselineDone && !observed.services.has(name) && !specs.has(name);
}

/** Only after an outage: the same `Running`/`Spawned` may be a new process under a restarted Zinit. */
function mayBeReplaced(seen: ServiceMemory, raw: string, afterOutage: boolean): boolean {
  return afterOutage && (raw === 'Running' || raw === 'Spawned') && seen.spawnedPid > 0;
}

/** The services of this `list` whose `status` the diff needs. */
export function servicesToInspect(
  observed: ObservedServices,
  listed: ReadonlyMap<string, string>,
  knowledge: Pick<ZinitKnowledge, 'specs'>,
  afterOutage: boolean,
): string[] {
  const names: string[] = [];
  for (const [name, raw] of listed) {
    const seen = observed.services.get(name);
    if (seen === undefined) {
      if (!adoptsSilently(observed, name, knowledge.specs)) names.push(name);
    } else if (seen.raw !== raw || mayBeReplaced(seen, raw, afterOutage)) {
      names.push(name);
    }
  }
  return names;
}

/** Zinit's restart is always on; `never` and `on-failure` (after exit 0) are emulated by holding the service down. */
export function holdsDownAfterExit(
  spec: ServiceSpec | undefined,
  target: ZinitRawStatus['target'],
  code: number | null,
): boolean {
  if (spec === undefined || spec.oneshot === true || target !== 'Up') return false;
  const mode = spec.restart?.mode ?? 'always';
  if (mode === 'always') return false;
  return mode === 'never' || code === 0;
}

/** Dependencies first, so a dependent's events never precede those of what it waited for. */
export function inDependencyOrder(statuses: readonly ZinitRawStatus[]): ZinitRawStatus[] {
  const byName = new Map(statuses.map((status) => [status.name, status]));
  const depth = (status: ZinitRawStatus, visiting: Set<string>): number => {
    if (visiting.has(status.name)) return 0; // a cycle: Zinit blocks both forever; any order will do
    visiting.add(status.name);
    let deepest = 0;
    for (const dependency of Object.keys(status.after)) {
      const listed = byName.get(dependency);
      if (listed !== undefined) deepest = Math.max(deepest, depth(listed, visiting) + 1);
    }
    return deepest;
  };
  return statuses
    .map((status) => ({ status, depth: depth(status, new Set()) }))
    .sort((a, b) => a.depth - b.depth)
    .map(({ status }) => status);
}

/** The events one status adds to what was seen of its service. */
function eventsFor(
  before: ServiceMemory,
  status: ZinitRawStatus,
  at: number,
  knowledge: ZinitKnowledge,
): { memory: ServiceMemory; events: ProcessEvent[]; holdDown: boolean } {
  const { name, pid } = status;
  const memory = { ...before };
  const events: ProcessEvent[] = [];
  let holdDown = false;
  // No pid (undefined or 0): nothing was spawned that could be reported.
  const spawned = (spawnedPid = 0) => {
    if (spawnedPid > 0 && memory.spawnedPid !== spawnedPid) {
      memory.spawnedPid = spawnedPid;
      events.push({ type: 'process.spawned', service: name, pid: spawnedPid, at });
    }
  };
  if (memory.raw !== status.state) {
    const parsed = parseZinitState(status.state);
    const spec = knowledge.specs.get(name);
    switch (parsed.state) {
      case 'spawned':
        spawned(pid);
        break;
      case 'running':
        spawned(pid);
        if (pid > 0 && memory.runningPid !== pid) {
          memory.runningPid = pid;
          events.push({ type: 'process.running', service: name, pid, at });
        }
        break;
      case 'success':
      case 'error': {
        // Error strings name the pid that ended; a whole run may have happened between two polls.
        spawned(parsed.pid);
        const exitPid = parsed.pid ?? (memory.spawnedPid > 0 ? memory.spawnedPid : null);
        // A pid-less exit (null) is never the one already reported (-1 stands for none).
        if (memory.exitedPid !== exitPid) {
          memory.exitedPid = exitPid ?? -1;
          const code = parsed.code ?? null;
          events.push({
            type: 'process.exited',
            service: name,
            pid: exitPid,
            code,
            signal: parsed.signal ?? null,
            at,
          });
          holdDown = holdsDownAfterExit(spec, status.target, code);
        }
        break;
      }
      case 'failure':
        events.push({
          type: 'process.spawnFailed',
          service: name,
          reason: spawnFailureReason(spec),
          at,
        });
        break;
      case 'test-failure':
        events.push({
          type: 'process.healthFailed',
          service: name,
          reason: healthCheckFailureReason(spec),
          at,
        });
        break;
      case 'blocked': {
        const waitingFor = Object.entries(status.after)
          .filter(([dependency, state]) => !dependencySatisfied(state, knowledge.specs.get(dependency)))
          .map(([dependency]) => dependency);
        events.push({ type: 'process.blocked', service: name, waitingFor, at });
        break;
      }
      case 'unknown':
      case 'stopped':
        break;
      default:
        parsed.state satisfies never;
    }
    memory.raw = status.state;
  }
  // (A service held down just now has target Up here, so it cannot look stopped in this same status.)
  if (isStoppedOnPurpose(status, knowledge.heldDown)) {
    if (!memory.stoppedReported) {
      memory.stoppedReported = true;
      events.push({ type: 'process.stopped', service: name, at });
    }
  } else if (status.target === 'Up') {
    memory.stoppedReported = false;
  }
  return { memory, events, holdDown };
}

/** Applies one status (stop() fetches one right away, so that `exited` is emitted before it returns). */
export function applyStatus(
  observed: ObservedServices,
  status: ZinitRawStatus,
  at: number,
  knowledge: ZinitKnowledge,
): DiffOutcome {
  const outcome = eventsFor(observed.services.get(status.name) ?? FRESH, status, at, knowledge);
  const services = new Map(observed.services).set(status.name, outcome.memory);
  return {
    observed: { baselineDone: observed.baselineDone, services },
    events: outcome.events,
    holdDown: outcome.holdDown ? [status.name] : [],
  };
}

/** Diffs one poll against what the earlier polls saw. */
export function diffPoll(
  observed: ObservedServices,
  observation: PollObservation,
  knowledge: ZinitKnowledge,
): DiffOutcome {
  const { listed, statuses, afterOutage, at } = observation;
  const services = new Map(observed.services);
  const events: ProcessEvent[] = [];
  const holdDown: string[] = [];
  const changed: ZinitRawStatus[] = [];
  for (const [name, raw] of listed) {
    const seen = services.get(name);
    if (adoptsSilently(observed, name, knowledge.specs)) {
      // Already there before this supervisor looked: no events for the past, but a recorded exit is not news later.
      services.set(name, { ...FRESH, raw, exitedPid: parseZinitState(raw).pid ?? -1 });
      continue;
    }
    const status = statuses.get(name);
    if (seen !== undefined && seen.raw === raw) {
      if (!mayBeReplaced(seen, raw, afterOutage) || status === undefined || status.pid === seen.spawnedPid) continue;
      // The process we knew is gone and another runs in its place: its end was never seen, so its code is unknown.
      events.push({ type: 'process.exited', service: name, pid: seen.spawnedPid, code: null, signal: null, at });
      services.set(name, { ...seen, exitedPid: seen.spawnedPid, raw: undefined });
    }
    if (status !== undefined) changed.push(status);
  }
  for (const status of inDependencyOrder(changed)) {
    const outcome = eventsFor(services.get(status.name) ?? FRESH, status, at, knowledge);
    services.set(status.name, outcome.memory);
    events.push(...outcome.events);
    if (outcome.holdDown) holdDown.push(status.name);
  }
  for (const name of services.keys()) if (!listed.has(name)) services.delete(name);
  return { observed: { baselineDone: true, services }, events, holdDown };
}
