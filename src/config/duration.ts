/**
 * Durations in the config: every `…Ms` field takes milliseconds as a non-negative integer, or a string
 * with a unit (`500ms`, `30s`, `10m`, `1h`, `1.5s`). Both are normalized to milliseconds once, at load.
 */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const UNIT_MS = { ms: 1, s: SECOND, m: MINUTE, h: HOUR } as const;

/** The accepted string form; also published in the JSON Schema. */
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$';
const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

/** `'30s'` → 30000; a number is returned as it is. `undefined` when the string is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const match = DURATION_RE.exec(value);
  if (match === null) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  return Math.round(Number(amount) * UNIT_MS[unit]);
}

/** 90000 → `1m30s`; for messages and status output. */
export function formatDuration(ms: number): string {
  if (ms < SECOND) return `${Math.round(ms)}ms`;
  if (ms < MINUTE) return `${Math.round(ms / 100) / 10}s`;
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  const seconds = Math.floor((ms % MINUTE) / SECOND);
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
