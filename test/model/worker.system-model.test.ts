// Issue 13: model-based tests of the running system. The hand-written worker spec (worker-spec.ts) generates the
// paths with xstate/graph; each is executed against a real lifecycle manager, real hero-worker processes and a
// private redis-server, and each spec state is checked against what can be observed (worker-system.ts).
// HERO_MBT_SWEEP=1 adds more and longer paths (see "System-level model-based tests" in machines/README.md).
import { describeSystemModel } from './describe-system-model.js';
import {
  serializeWorkerSpecState,
  WORKER_SPEC_EVENTS,
  WORKER_SPEC_STATES,
  WORKER_SPEC_TRANSITIONS,
  workerSpec,
} from './worker-spec.js';
import { WorkerSystem } from './worker-system.js';

describeSystemModel({
  name: 'worker',
  spec: workerSpec,
  events: WORKER_SPEC_EVENTS,
  serializeState: serializeWorkerSpecState,
  states: WORKER_SPEC_STATES,
  transitions: WORKER_SPEC_TRANSITIONS,
  longer: { ci: { count: 1, minLength: 8 }, sweep: { count: 12, minLength: 6 } },
  start: () => WorkerSystem.start(),
});
