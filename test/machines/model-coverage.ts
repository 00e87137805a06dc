/**
 * Reusable model-based testing for our machines (worker, scaler, supervisor), on `xstate/graph`:
 *
 * 1. `toTestModelMachine(machine)`: `createTestModel` refuses machines with `invoke` or `after`. This builds a
 *    pure twin with the same states, guards and actions in which every delayed transition and every
 *    `onDone`/`onError` becomes an ordinary transition on the very event type the real actor receives
 *    (`xstate.after.<delay>.<stateId>`, `xstate.done.actor.<id>`, `xstate.error.actor.<id>`).
 * 2. `getTransitionCoveringPaths(model)`: the shortest path to every model state (`getShortestPaths`), each
 *    extended by every event that state accepts (`getAdjacencyMap`), deduplicated: so every transition of
 *    the model is the last step of some path.
 * 3. `createCoverageTracker(machine, oracle)`: pass its `inspect` to `createActor` of the real machine; it records
 *    the leaf states entered and the transitions taken (eventless `always` ones included), flattened to
 *    `leaf --event [guard]--> leaf` (test/machines/oracle/flatten.ts). `report()` counts them against the
 *    hand-written oracle (test/machines/oracle/*.oracle.ts), never against the machine: a transition deleted from
 *    the machine is missing, one the oracle does not know is unexpected. `expectFullCoverage` fails on either.
 */
import { expect } from 'vitest';
import {
  type AnyStateMachine,
  type AnyStateNode,
  createMachine,
  type EventObject,
  type InspectionEvent,
  type Snapshot,
  type StateValue,
} from 'xstate';
import type { AdjacencyMap, StatePath, TestModel } from 'xstate/graph';
import { getStateNodes } from 'xstate/graph';
import { createOracleCoverageTracker, leafOfValue, parseFlatKey } from './oracle/flatten.js';

type Config = Record<string, unknown>;

function asArray<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value as T];
}

function toModelStateConfig(node: AnyStateNode): Config {
  const { after, invoke, on, states, ...rest } = node.config as Config;
  const transitions: Config = { ...(on as Config | undefined) };
  for (const [delay, transition] of Object.entries((after ?? {}) as Config)) {
    transitions[`xstate.after.${delay}.${node.id}`] = transition;
  }
  for (const definition of asArray<Config>(invoke as Config | Config[] | undefined)) {
    if (typeof definition.id !== 'string') {
      throw new Error(`State ${node.id} invokes ${String(definition.src)} without an id; give every invoke an id.`);
    }
    if (definition.onDone) transitions[`xstate.done.actor.${definition.id}`] = definition.onDone;
    if (definition.onError) transitions[`xstate.error.actor.${definition.id}`] = definition.onError;
  }
  const config: Config = { ...rest, on: transitions };
  if (states) {
    config.states = Object.fromEntries(
      Object.entries(node.states).map(([key, child]) => [key, toModelStateConfig(child as AnyStateNode)]),
    );
  }
  return config;
}

/** A pure twin of `machine` for `createTestModel`: timers and invoked actors become explicit events. */
export function toTestModelMachine<TMachine extends AnyStateMachine>(machine: TMachine): TMachine {
  const config = toModelStateConfig(machine.root);
  // biome-ignore lint/suspicious/noExplicitAny: the twin is built from an untyped config copy
  return createMachine(config as any, machine.implementations as any) as unknown as TMachine;
}

/** Ids of the state nodes active in `value` (ancestors included), e.g. `worker.failed`, `worker.failed.gaveUp`. */
export function activeStateIds(machine: AnyStateMachine, value: StateValue): string[] {
  const ids: string[] = [];
  const walk = (prefix: string, current: StateValue) => {
    if (typeof current === 'string') {
      ids.push(`${prefix}.${current}`);
      return;
    }
    for (const [key, child] of Object.entries(current)) {
      ids.push(`${prefix}.${key}`);
      if (child !== undefined) walk(`${prefix}.${key}`, child as StateValue);
    }
  };
  walk(machine.root.id, value);
  return ids;
}

interface TransitionLike {
  source: AnyStateNode;
  eventType: string;
}

/** A stable name for one transition definition: `worker.pinging on xstate.done.actor.pingWorker #2`. */
export function transitionKey(transition: TransitionLike): string {
  const { source, eventType } = transition;
  const siblings: readonly unknown[] =
    eventType === '' ? (source.always ?? []) : (source.transitions.get(eventType) ?? []);
  const index = siblings.indexOf(transition);
  return `${source.id} on ${eventType === '' ? '(always)' : eventType} #${index}`;
}

/** Every transition definition of the machine (delayed, invoke onDone/onError and eventless included). */
export function allTransitionKeys(machine: AnyStateMachine): string[] {
  const nodes = [machine.root, ...getStateNodes(machine.root)];
  return nodes.flatMap((node) => [
    ...[...node.transitions.values()].flat().map((t) => transitionKey(t)),
    ...(node.always ?? []).map((t) => transitionKey(t)),
  ]);
}

export function allStateIds(machine: AnyStateMachine): string[] {
  return getStateNodes(machine.root).map((node) => node.id);
}

export interface CoverageReport {
  states: { reached: number; total: number; missing: string[] };
  transitions: { reached: number; total: number; missing: string[]; unexpected: string[] };
}

/**
 * Coverage of the paths run on real actors, against the oracle's flattened transitions (`oracle`, as written in
 * test/machines/oracle/*.oracle.ts): the states are the oracle's leaves, the transitions its lines.
 */
export function createCoverageTracker(_machine: AnyStateMachine, oracle: readonly string[]) {
  const flat = oracle.map(parseFlatKey);
  const transitions = createOracleCoverageTracker(flat);
  const leaves = [...new Set(flat.flatMap((t) => (t.to === null ? [t.from] : [t.from, t.to])))];
  const reachedLeaves = new Set<string>();
  return {
    /** Give this to `createActor(..., { inspect })` of every actor under test. */
    inspect(event: InspectionEvent): void {
      transitions.inspect(event);
      if (event.actorRef.sessionId !== event.rootId) return;
      if (event.type === '@xstate.microstep' || event.type === '@xstate.snapshot') {
        const value = (event.snapshot as { value?: StateValue }).value;
        if (value !== undefined) reachedLeaves.add(leafOfValue(value));
      }
    },
    report(): CoverageReport {
      return {
        states: {
          reached: leaves.filter((leaf) => reachedLeaves.has(leaf)).length,
          total: leaves.length,
          missing: leaves.filter((leaf) => !reachedLeaves.has(leaf)),
        },
        transitions: transitions.report(),
      };
    },
  };
}

export function formatCoverage(name: string, report: CoverageReport): string {
  const percent = (reached: number, total: number) => (total === 0 ? 100 : Math.floor((reached / total) * 100));
  return (
    `${name} model coverage against the oracle: states ${report.states.reached}/${report.states.total} ` +
    `(${percent(report.states.reached, report.states.total)}%), transitions ` +
    `${report.transitions.reached}/${report.transitions.total} ` +
    `(${percent(report.transitions.reached, report.transitions.total)}%)` +
    (report.transitions.unexpected.length > 0 ? `, ${report.transitions.unexpected.length} not in the oracle` : '')
  );
}

/** Fails below 100% state and transition coverage, naming what no path reached, and on any unknown transition. */
export function expectFullCoverage(report: CoverageReport): void {
  expect(report.transitions.unexpected, 'transitions taken that the oracle does not list').toEqual([]);
  expect(report.states.missing, 'oracle states no generated path reached').toEqual([]);
  expect(report.transitions.missing, 'oracle transitions no generated path took').toEqual([]);
}

/**
 * One path per model transition: the shortest path to each state, extended by each event it accepts.
 * Paths whose last step repeats one already taken (same state value, same event, same target value) are
 * dropped. `serializeState` in the model's options must depend on the state alone.
 */
export function getTransitionCoveringPaths<TSnapshot extends Snapshot<unknown>, TEvent extends EventObject>(
  model: TestModel<TSnapshot, TEvent, unknown>,
): StatePath<TSnapshot, TEvent>[] {
  const serializeState = (state: TSnapshot) =>
    model.options.serializeState?.(state, undefined) ?? JSON.stringify(state);
  const serializeEvent = (event: TEvent) => model.options.serializeEvent?.(event) ?? JSON.stringify(event);
  const stateValueOf = (state: TSnapshot) => JSON.stringify((state as { value?: unknown }).value);
  const prefixes = new Map<string, StatePath<TSnapshot, TEvent>>();
  for (const path of model.getShortestPaths({ allowDuplicatePaths: true })) {
    prefixes.set(serializeState(path.state), path);
  }
  const seen = new Set<string>();
  const paths: StatePath<TSnapshot, TEvent>[] = [];
  const adjacency: AdjacencyMap<TSnapshot, TEvent> = model.getAdjacencyMap();
  for (const [key, { state, transitions }] of Object.entries(adjacency)) {
    const prefix = prefixes.get(key);
    if (!prefix) continue;
    for (const { event, state: next } of Object.values<{ event: TEvent; state: TSnapshot }>(transitions)) {
      const edge = `${stateValueOf(state)} ${serializeEvent(event)} ${stateValueOf(next)}`;
      if (seen.has(edge)) continue;
      seen.add(edge);
      paths.push({ state: next, steps: [...prefix.steps, { event, state: next }], weight: prefix.weight + 1 });
    }
  }
  return paths;
}
