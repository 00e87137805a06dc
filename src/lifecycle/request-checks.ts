/** The checks of a start or scale request, each failing with a ConfigError that names the option and the rule. */
import { ConfigError } from '../errors.js';
import type { ResolvedScriptType } from './lifecycle-options.js';
import type { WorkerConfig } from './worker-config.js';

function known(scriptTypes: ReadonlyMap<string, ResolvedScriptType>): string {
  return [...scriptTypes.keys()].join(', ') || 'none';
}

/** A new worker from `config` may start: its script type is configured and not at its max (`members` run). */
export function checkStartRequest(
  scriptTypes: ReadonlyMap<string, ResolvedScriptType>,
  config: WorkerConfig,
  members: number,
): ResolvedScriptType {
  const scriptType = scriptTypes.get(config.scriptType);
  if (scriptType === undefined) {
    throw new ConfigError(
      `Cannot start worker "${config.name}": script type \`${config.scriptType}\` is not configured (known: ${known(scriptTypes)}). Add a worker of that type to the builder.`,
      [{ path: `workers.${config.name}.scriptType`, message: 'unknown script type' }],
    );
  }
  if (members >= scriptType.max) {
    throw new ConfigError(
      `Cannot start worker "${config.name}": script type \`${config.scriptType}\` already runs its max of ${scriptType.max} workers.`,
      [{ path: `scriptTypes.${config.scriptType}.max`, message: 'reached' }],
    );
  }
  return scriptType;
}

/** `scriptType` exists and `count` is an integer within its [min, max]. */
export function checkScaleRequest(
  scriptTypes: ReadonlyMap<string, ResolvedScriptType>,
  scriptType: string,
  count: number,
): ResolvedScriptType {
  const resolved = scriptTypes.get(scriptType);
  if (resolved === undefined) {
    throw new ConfigError(`Cannot scale \`${scriptType}\`: no such script type (known: ${known(scriptTypes)}).`, [
      { path: `scriptTypes.${scriptType}`, message: 'unknown script type' },
    ]);
  }
  if (!Number.isInteger(count) || count < resolved.min || count > resolved.max) {
    throw new ConfigError(
      `Cannot scale \`${scriptType}\` to ${count}: expected an integer within [${resolved.min}, ${resolved.max}] (min, max).`,
      [{ path: `scriptTypes.${scriptType}`, message: 'count out of bounds' }],
    );
  }
  return resolved;
}
