/**
 * Path selection over a hand-written spec with `xstate/graph`: the shortest path to every spec state, each
 * extended by every event that state accepts, then a greedy, deterministic pick so every spec transition is
 * the step of some chosen path; and a bounded, deterministic set of longer (simple) paths for more interleavings.
 * Each spec transition names itself in `context.last`, which is how a step is mapped to the transition it took.
 */
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
  type EventObject,
  initialTransition,
  type Snapshot,
  type SnapshotFrom,
  transition,
} from 'xstate';
import type { TestModel, TestPath } from 'xstate/graph';

export interface SpecPath<TSnapshot, TEvent> {
  events: TEvent[];
  /** The spec state after each event (steps[i] follows events[i]). */
  steps: TSnapshot[];
}

/** The transitions (`context.last`) a path takes. */
export function transitionsOf(path: SpecPath<Snapshot<unknown>, unknown>): string[] {
  return path.steps
    .map((step) => (step as unknown as { context: { last: string | null } }).context.last)
    .filter((last): last is string => last !== null);
}

/** Replays `events` through the spec (pure): the snapshots of xstate/graph paths are shared per serialized
 * state, so their `context.last` may come from another path; a replay gives this path's own. */
export function replay<TMachine extends AnyStateMachine>(
  spec: TMachine,
  events: readonly EventFromLogic<TMachine>[],
): SpecPath<SnapshotFrom<TMachine>, EventFromLogic<TMachine>> {
  const machine: AnyStateMachine = spec;
  let [snapshot] = initialTransition(machine);
  const steps: AnyMachineSnapshot[] = [];
  for (const event of events) {
    if (!snapshot.can(event)) throw new Error(`The spec refuses ${event.type} in ${JSON.stringify(snapshot.value)}`);
    [snapshot] = transition(machine, snapshot, event);
    steps.push(snapshot);
  }
  return { events: [...events], steps: steps as SnapshotFrom<TMachine>[] };
}

function eventsOf<TEvent extends EventObject>(path: TestPath<Snapshot<unknown>, TEvent>): TEvent[] {
  // The first step of an xstate/graph path is the initial state reached by `xstate.init`: not an action.
  return path.steps.map((step) => step.event).filter((event) => event.type !== 'xstate.init');
}

const keyOf = (path: SpecPath<unknown, EventObject>) => path.events.map((event) => event.type).join(' ');

type Model<TMachine extends AnyStateMachine> = TestModel<SnapshotFrom<TMachine>, EventFromLogic<TMachine>, unknown>;

/** Few paths that, together, take every transition of the spec at least once (ties broken by name). */
export function transitionCoveringPaths<TMachine extends AnyStateMachine>(
  spec: TMachine,
  model: Model<TMachine>,
  events: readonly EventFromLogic<TMachine>[],
): SpecPath<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>[] {
  type Path = SpecPath<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>;
  const candidates: Path[] = [];
  for (const shortest of model.getShortestPaths({ allowDuplicatePaths: true })) {
    const prefix = eventsOf(shortest);
    const reached = replay(spec, prefix);
    const machine: AnyStateMachine = spec;
    const state: AnyMachineSnapshot = reached.steps.at(-1) ?? initialTransition(machine)[0];
    candidates.push(reached);
    for (const event of events) if (state.can(event)) candidates.push(replay(spec, [...prefix, event]));
  }
  candidates.sort((a, b) => a.events.length - b.events.length || keyOf(a).localeCompare(keyOf(b)));
  const covered = new Set<string>();
  const chosen: Path[] = [];
  const needed = (path: Path) => new Set(transitionsOf(path).filter((name) => !covered.has(name))).size;
  // The path adding the most uncovered transitions first: a long path covers its prefixes' transitions too.
  for (;;) {
    let best: Path | undefined;
    for (const candidate of candidates) {
      if (needed(candidate) > 0 && (best === undefined || needed(candidate) > needed(best))) best = candidate;
    }
    if (best === undefined) break;
    chosen.push(best);
    for (const name of transitionsOf(best)) covered.add(name);
  }
  return chosen;
}

/**
 * `count` longer simple paths (no spec state visited twice) of at least `minLength` steps: spread evenly over
 * all of them sorted longest first, ties by their event names, so the selection is the same on every run.
 */
export function longerPaths<TMachine extends AnyStateMachine>(
  spec: TMachine,
  model: Model<TMachine>,
  { count, minLength }: { count: number; minLength: number },
): SpecPath<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>[] {
  const paths = model
    .getSimplePaths({ allowDuplicatePaths: true })
    .map((path) => replay(spec, eventsOf(path)))
    .filter((path) => path.events.length >= minLength);
  paths.sort((a, b) => b.events.length - a.events.length || keyOf(a).localeCompare(keyOf(b)));
  if (paths.length <= count) return paths;
  const stride = paths.length / count;
  return Array.from({ length: count }, (_, index) => paths[Math.floor(index * stride)] as (typeof paths)[number]);
}

export function describePath(path: SpecPath<unknown, EventObject>): string {
  return keyOf(path) || '(initial)';
}
