/**
 * The last lines a worker wrote to stderr, for the reason of a worker that gave up (a crash loop's "exited with
 * code 2" says little; its stderr usually says why). Read from the backend's captured output: the embedded backend
 * marks stderr lines `[stderr] `; a backend that does not separate the streams yields none.
 */
import type { ProcessManager } from '../process/process-manager.js';
import { type Clock, withinOn } from './clock.js';

const STDERR_MARK = '[stderr] ';
/** Lines of output looked at, and stderr lines kept. */
const SCANNED_LINES = 200;
const KEPT_LINES = 5;
/** The output is in memory (embedded) or one socket call away (Zinit): never wait long for it. */
const READ_TIMEOUT_MS = 1_000;

export async function readStderrTail(processes: ProcessManager, name: string, clock: Clock): Promise<string[]> {
  const read = async () => {
    const lines: string[] = [];
    for await (const line of processes.logs(name, { tail: SCANNED_LINES })) {
      if (line.startsWith(STDERR_MARK)) lines.push(line.slice(STDERR_MARK.length));
    }
    return lastDistinct(lines, KEPT_LINES);
  };
  try {
    return (await withinOn(clock, read(), READ_TIMEOUT_MS)) ?? [];
  } catch {
    return []; // no output to read (the service is gone): the reason stays as it is
  }
}

/** The last `count` distinct lines, in order: a crash loop prints the same lines at every start. */
function lastDistinct(lines: readonly string[], count: number): string[] {
  const kept: string[] = [];
  for (let i = lines.length - 1; i >= 0 && kept.length < count; i -= 1) {
    const line = lines[i] as string;
    if (!kept.includes(line)) kept.push(line);
  }
  return kept.reverse();
}

/** `restart-intensity; last stderr: a | b`, or the reason as it is when there is no stderr. */
export function withStderr(reason: string | null, lines: readonly string[]): string | null {
  if (lines.length === 0) return reason;
  return `${reason ?? 'failed'}; last stderr: ${lines.join(' | ')}`;
}
