// Issue 13: model-based tests of the running system. The hand-written worker spec (worker-spec.ts) generates the
// paths with xstate/graph; each is executed against a real lifecycle manager, real hero-worker processes and a
// private redis-server, and each spec state is checked against what can be observed (worker-system.ts).
// HERO_MBT_SWEEP=1 adds more and longer paths (see "System-level model-based tests" in machines/README.md).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { initialTransition } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { SpecCoverage } from './spec-coverage.js';
import { describePath, longerPaths, transitionCoveringPaths } from './spec-paths.js';
import {
  serializeWorkerSpecState,
  WORKER_SPEC_EVENTS,
  WORKER_SPEC_STATES,
  WORKER_SPEC_TRANSITIONS,
  workerSpec,
} from './worker-spec.js';
import { WorkerSystem } from './worker-system.js';

const SWEEP = process.env.HERO_MBT_SWEEP === '1';
const model = createTestModel(workerSpec, { events: WORKER_SPEC_EVENTS, serializeState: serializeWorkerSpecState });
const paths = [
  ...transitionCoveringPaths(workerSpec, model, WORKER_SPEC_EVENTS),
  ...longerPaths(workerSpec, model, SWEEP ? { count: 12, minLength: 6 } : { count: 1, minLength: 8 }),
];
const coverage = new SpecCoverage('worker', WORKER_SPEC_STATES, WORKER_SPEC_TRANSITIONS);

describe('the running system against the worker spec', { timeout: 180_000 }, () => {
  let system: WorkerSystem;
  beforeAll(async () => {
    system = await WorkerSystem.start();
  }, 60_000);
  afterAll(async () => {
    await system?.close();
    console.log(coverage.report());
    coverage.expectComplete();
  }, 60_000);

  for (const path of paths) {
    it(describePath(path), async () => {
      await system.reset();
      let from: Parameters<WorkerSystem['act']>[1] = initialTransition(workerSpec)[0];
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
