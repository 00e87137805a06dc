// Stand-ins for the xstate 4 action creators that @xstate/machine-extractor 0.16 requires from
// `xstate/lib/actions` (npm `overrides` resolve its xstate peer to the project's xstate 5, which has no
// `lib/`). The extractor only calls them to describe inline built-in actions (`assign(...)` written
// inside a machine config); each returns a plain descriptive object, which is all the extractor keeps.
'use strict';
const describe =
  (type) =>
  (...args) => ({ type: `xstate.${type}`, args });
for (const name of [
  'after',
  'assign',
  'cancel',
  'choose',
  'done',
  'escalate',
  'forwardTo',
  'log',
  'pure',
  'raise',
  'respond',
  'send',
  'sendParent',
  'sendUpdate',
  'start',
  'stop',
]) {
  exports[name] = describe(name);
}
