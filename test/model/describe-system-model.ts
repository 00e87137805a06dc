/**
 * One way to run a hand-written spec against the running system (issue 13): the paths are chosen from the spec
 * (every transition, then a few longer paths; more under HERO_MBT_SWEEP=1), each starts from a reset system, every
 * step is done for real and its spec state observed, and the run ends by printing the spec's coverage and failing
 * on any transition no path took.
 */

import { afterAll, beforeAll, describe, it } from 'vitest';
import { type AnyStateMachine, type EventFromLogic, initialTransition, type SnapshotFrom } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { SpecCoverage } from './spec-coverage.js';
import { describePath, longerPaths, transitionCoveringPaths } from './spec-paths.js';

/** The running system as a spec sees it: real actions for its events, observations for its states. */
export interface SystemUnderModel<TMachine extends AnyStateMachine> {
  reset(): Promise<void>;
  act(event: EventFromLogic<TMachine>, from: SnapshotFrom<TMachine>): Promise<void>;
  observe(state: SnapshotFrom<TMachine>): Promise<void>;
  close(): Promise<void>;
}

export interface SystemModel<TMachine extends AnyStateMachine> {
  /** `worker`, `pool`: names the describe block and the coverage line. */
  name: string;
  spec: TMachine;
  events: readonly EventFromLogic<TMachine>[];
  serializeState: (state: SnapshotFrom<TMachine>) => string;
  states: readonly string[];
  transitions: readonly string[];
  /** Longer paths beside the transition-covering ones: in CI, and under HERO_MBT_SWEEP=1. */
  longer: { ci: { count: number; minLength: number }; sweep: { count: number; minLength: number } };
  start(): Promise<SystemUnderModel<TMachine>>;
}

export function describeSystemModel<TMachine extends AnyStateMachine>(model: SystemModel<TMachine>): void {
  const sweep = process.env.HERO_MBT_SWEEP === '1';
  const testModel = createTestModel(model.spec, {
    events: [...model.events],
    serializeState: model.serializeState,
  });
  const paths = [
    ...transitionCoveringPaths(model.spec, testModel, model.events),
    ...longerPaths(model.spec, testModel, sweep ? model.longer.sweep : model.longer.ci),
  ];
  const coverage = new SpecCoverage(model.name, model.states, model.transitions);

  describe(`the running system against the ${model.name} spec`, { timeout: 180_000 }, () => {
    let system: SystemUnderModel<TMachine>;
    beforeAll(async () => {
      system = await model.start();
    }, 60_000);
    afterAll(async () => {
      await system?.close();
      console.log(coverage.report());
      coverage.expectComplete();
    }, 60_000);

    for (const path of paths) {
      it(describePath(path), async () => {
        await system.reset();
        // The specs take no input: their initial state needs none.
        let from = (initialTransition as (spec: AnyStateMachine) => [unknown, unknown])(
          model.spec,
        )[0] as SnapshotFrom<TMachine>;
        for (const [index, event] of path.events.entries()) {
          const state = path.steps[index] as SnapshotFrom<TMachine>;
          await system.act(event, from);
          await system.observe(state);
          const { value, context } = state as { value: unknown; context: { last: string | null } };
          coverage.record(String(value), context.last);
          from = state;
        }
      });
    }
  });
}
