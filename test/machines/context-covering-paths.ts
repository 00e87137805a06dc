/**
 * Paths for machines whose behaviour lives in their context as much as in their state value (the scaler, the
 * supervisor): `getTransitionCoveringPaths` keeps one path per (value, event, value) edge, which misses a guarded
 * transition that only some contexts take. Here every edge of the model (the shortest path to each model state,
 * extended by each event it accepts) is replayed on a dry actor of the model machine, and a greedy pick keeps the
 * paths that take a (flattened) transition no earlier path took, plus one path per distinct edge of state values.
 * `dryMachine` is the model machine with harmless effects (`.provide()` no-op actions and stand-in actors).
 */
import { type AnyStateMachine, createActor, type EventObject, type Snapshot } from 'xstate';
import type { StatePath, TestModel } from 'xstate/graph';
import { createOracleCoverageTracker } from './oracle/flatten.js';

export function getContextCoveringPaths<TSnapshot extends Snapshot<unknown>, TEvent extends EventObject>(
  model: TestModel<TSnapshot, TEvent, unknown>,
  dryMachine: AnyStateMachine,
  input: unknown,
): StatePath<TSnapshot, TEvent>[] {
  const serializeState = (state: TSnapshot) =>
    model.options.serializeState?.(state, undefined) ?? JSON.stringify(state);
  const stateValueOf = (state: TSnapshot) => JSON.stringify((state as { value?: unknown }).value);
  const prefixes = new Map<string, StatePath<TSnapshot, TEvent>>();
  for (const path of model.getShortestPaths({ allowDuplicatePaths: true }))
    prefixes.set(serializeState(path.state), path);

  const taken = new Set<string>();
  const valueEdges = new Set<string>();
  const picked: StatePath<TSnapshot, TEvent>[] = [];
  for (const [key, { state, transitions }] of Object.entries(model.getAdjacencyMap())) {
    const prefix = prefixes.get(key);
    if (!prefix) continue;
    for (const { event, state: next } of Object.values<{ event: TEvent; state: TSnapshot }>(transitions)) {
      const path = { state: next, steps: [...prefix.steps, { event, state: next }], weight: prefix.weight + 1 };
      const tracker = createOracleCoverageTracker([]);
      const actor = createActor(dryMachine, { input, inspect: tracker.inspect });
      actor.start();
      for (const step of path.steps) if (step.event.type !== 'xstate.init') actor.send(step.event);
      actor.stop();
      const keys = [...tracker.taken()];
      const valueEdge = `${stateValueOf(state)} ${JSON.stringify(event)} ${stateValueOf(next)}`;
      const addsTransition = keys.some((k) => !taken.has(k));
      if (!addsTransition && valueEdges.has(valueEdge)) continue;
      for (const k of keys) taken.add(k);
      valueEdges.add(valueEdge);
      picked.push(path);
    }
  }
  return picked;
}
