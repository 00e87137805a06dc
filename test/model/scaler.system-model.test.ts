// Issue 13: model-based tests of the running system, for one script type's pool. The hand-written pool spec
// (scaler-spec.ts) generates the paths with xstate/graph; each runs against a real lifecycle manager scaling real
// hero-worker processes, with real jobs through the Supervisor (scaler-system.ts). HERO_MBT_SWEEP=1: more paths.
import { describeSystemModel } from './describe-system-model.js';
import {
  SCALER_SPEC_EVENTS,
  SCALER_SPEC_STATES,
  SCALER_SPEC_TRANSITIONS,
  scalerSpec,
  serializeScalerSpecState,
} from './scaler-spec.js';
import { ScalerSystem } from './scaler-system.js';

describeSystemModel({
  name: 'pool',
  spec: scalerSpec,
  events: SCALER_SPEC_EVENTS,
  serializeState: serializeScalerSpecState,
  states: SCALER_SPEC_STATES,
  transitions: SCALER_SPEC_TRANSITIONS,
  longer: { ci: { count: 1, minLength: 5 }, sweep: { count: 10, minLength: 4 } },
  start: () => ScalerSystem.start(),
});
