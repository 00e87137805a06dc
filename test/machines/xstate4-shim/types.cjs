// Stand-in for xstate 4's `xstate/lib/types`, which @xstate/machine-extractor 0.16 only re-exports (see actions.cjs).
'use strict';
