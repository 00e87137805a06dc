/**
 * The script types of the design: each has its own job queue (`jobs.<value>`) and its own workers. The values are
 * the wire names (queue names, `--script-type`, `JobData.scriptType`).
 */
export const ScriptType = {
  OSIS: 'osis',
  SAL: 'sal',
  V: 'v',
  Python: 'python',
} as const;

export type ScriptType = (typeof ScriptType)[keyof typeof ScriptType];

export const SCRIPT_TYPES: readonly ScriptType[] = Object.values(ScriptType);

export function isScriptType(value: unknown): value is ScriptType {
  return typeof value === 'string' && (SCRIPT_TYPES as readonly string[]).includes(value);
}
