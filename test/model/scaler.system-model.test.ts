// Issue 13: model-based tests of the running system, for one script type's pool. The hand-written pool spec
// (scaler-spec.ts) generates the paths with xstate/graph; each runs against a real lifecycle manager scaling real
// hero-worker processes, with real jobs through the Supervisor (scaler-system.ts). HERO_MBT_SWEEP=1: more paths.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { initialTransition } from 'xstate';
import { createTestModel } from 'xstate/graph';
import {
  SCALER_SPEC_EVENTS,
  SCALER_SPEC_STATES,
  SCALER_SPEC_TRANSITIONS,
  scalerSpec,
  serializeScalerSpecState,
} from './scaler-spec.js';
import { ScalerSystem } from './scaler-system.js';
import { SpecCoverage } from './spec-coverage.js';
import { describePath, longerPaths, transitionCoveringPaths } from './spec-paths.js';

const SWEEP = process.env.HERO_MBT_SWEEP === '1';
const model = createTestModel(scalerSpec, { events: SCALER_SPEC_EVENTS, serializeState: serializeScalerSpecState });
const paths = [
  ...transitionCoveringPaths(scalerSpec, model, SCALER_SPEC_EVENTS),
  ...longerPaths(scalerSpec, model, SWEEP ? { count: 10, minLength: 4 } : { count: 1, minLength: 5 }),
];
const coverage = new SpecCoverage('pool', SCALER_SPEC_STATES, SCALER_SPEC_TRANSITIONS);

describe('the running system against the pool spec', { timeout: 180_000 }, () => {
  let system: ScalerSystem;
  beforeAll(async () => {
    system = await ScalerSystem.start();
  }, 60_000);
  afterAll(async () => {
    await system?.close();
    console.log(coverage.report());
    coverage.expectComplete();
  }, 60_000);

  for (const path of paths) {
    it(describePath(path), async () => {
      await system.reset();
      let from: Parameters<ScalerSystem['act']>[1] = initialTransition(scalerSpec)[0];
      for (const [index, event] of path.events.entries()) {
        const state = path.steps[index] as (typeof path.steps)[number];
        await system.act(event, from);
        await system.observe(state);
        coverage.record(String(state.value), state.context.last);
        from = state;
      }
    });
  }
});
