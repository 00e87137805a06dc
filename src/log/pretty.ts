/**
 * A small human-readable log formatter (`logging.pretty: true`), so that no extra dependency is needed:
 * `12:00:01.123 INFO  worker started worker=python_worker_0 pid=4242`. Anything that is not a JSON line
 * passes through unchanged.
 */
import type { Writable } from 'node:stream';

const LEVEL_WIDTH = 5;
const HIDDEN_FIELDS = new Set(['time', 'level', 'msg', 'hostname']);

/** One pino JSON line → one readable line (with its newline). */
export function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : '';
  const level = String(record.level ?? '')
    .toUpperCase()
    .padEnd(LEVEL_WIDTH);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${[time, level, String(record.msg ?? ''), ...fields].filter((part) => part !== '').join(' ')}\n`;
}

/** A destination for pino that writes formatted lines to `target`. */
export function prettyDestination(target: Writable): { write(chunk: string): boolean } {
  return {
    write(chunk: string): boolean {
      return target.write(
        chunk
          .split('\n')
          .filter((line) => line !== '')
          .map(formatPrettyLine)
          .join(''),
      );
    },
  };
}
