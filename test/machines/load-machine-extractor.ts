/**
 * Loads @xstate/machine-extractor (Stately's parser for machine files) under xstate 5.
 *
 * The extractor (0.16, the latest) still `require`s xstate 4's internal paths `xstate/lib/actions` and
 * `xstate/lib/types` at load time. package.json's `overrides` resolve its xstate peer to the project's
 * xstate 5 (issue 2), which has no `lib/`, so a plain import fails with ERR_PACKAGE_PATH_NOT_EXPORTED.
 * We redirect exactly those two requests, and only when the extractor makes them, to the stand-ins in
 * `xstate4-shim/`; the parsing itself (Babel) does not depend on xstate.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type ResolveFilename = (request: string, parent: { filename?: string | null } | null, ...rest: unknown[]) => string;

const require = createRequire(import.meta.url);
const Module = require('node:module') as { _resolveFilename: ResolveFilename };

const shims: Record<string, string> = {
  'xstate/lib/actions': fileURLToPath(new URL('./xstate4-shim/actions.cjs', import.meta.url)),
  'xstate/lib/types': fileURLToPath(new URL('./xstate4-shim/types.cjs', import.meta.url)),
};

export type MachineExtractor = typeof import('@xstate/machine-extractor');

export function loadMachineExtractor(): MachineExtractor {
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveWithShims(request, parent, ...rest) {
    const shim = shims[request];
    if (shim && parent?.filename?.includes('@xstate/machine-extractor')) return shim;
    return original.call(this, request, parent, ...rest);
  };
  try {
    return require('@xstate/machine-extractor') as MachineExtractor;
  } finally {
    Module._resolveFilename = original;
  }
}
