/**
 * CPU time, resident memory and start time of a process and its descendants, read from Linux `/proc`
 * (the embedded backend's workers; Zinit's JSON-RPC `service_stats` is the other source). One sweep of
 * `/proc` per sample serves every worker, so a status with 200 workers reads `/proc` once, not 200 times.
 */
import { readdir, readFile } from 'node:fs/promises';

/**
 * Clock ticks per second of `/proc/<pid>/stat` times. It is 100 on every Linux architecture Node runs on
 * (USER_HZ is fixed by the kernel ABI); Node offers no sysconf() to ask.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessStats {
  pid: number;
  /** User + system CPU time of the process and its live descendants, in seconds. */
  cpuSeconds: number;
  /** Resident memory of the process and its live descendants, in bytes. */
  memoryBytes: number;
  /** When the process started (epoch ms). */
  startedAt: number;
}

interface ProcEntry {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssPages: number;
  startTicks: number;
}

/** `/proc/<pid>/stat` → fields; the command name may contain spaces and parentheses, so split after the last `)`. */
export function parseProcStat(text: string): ProcEntry | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  // Field n of proc(5) is at index n - 3 once pid and comm are cut off.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => Number(fields[n - 3]);
  const entry = {
    pid,
    ppid: field(4),
    cpuTicks: field(14) + field(15),
    rssPages: field(24),
    startTicks: field(22),
  };
  return Object.values(entry).every(Number.isFinite) ? entry : undefined;
}

let bootTimeMs: number | undefined;
let pageSize: number | undefined;

async function readBootTimeMs(): Promise<number> {
  if (bootTimeMs === undefined) {
    const stat = await readFile('/proc/stat', 'utf8');
    const line = stat.split('\n').find((candidate) => candidate.startsWith('btime '));
    bootTimeMs = Number(line?.split(/\s+/)[1] ?? 0) * 1000;
  }
  return bootTimeMs;
}

/** Page size from the kernel's own accounting: VmRSS (kB) against the rss page count of our own process. */
async function readPageSize(): Promise<number> {
  if (pageSize === undefined) {
    pageSize = 4096;
    try {
      const [status, stat] = await Promise.all([
        readFile('/proc/self/status', 'utf8'),
        readFile('/proc/self/stat', 'utf8'),
      ]);
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
      const pages = parseProcStat(stat)?.rssPages;
      if (rssKb > 0 && pages !== undefined && pages > 0) {
        const estimate = (rssKb * 1024) / pages;
        // Snap to a power of two: the two reads are a few microseconds apart and RSS moves.
        pageSize = 2 ** Math.round(Math.log2(estimate));
      }
    } catch {
      // not Linux: keep the common default
    }
  }
  return pageSize;
}

/** One sweep of `/proc`: every process with its parent, CPU ticks, RSS pages and start time. */
async function readProcessTable(): Promise<Map<number, ProcEntry>> {
  const table = new Map<number, ProcEntry>();
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return table;
  }
  await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        try {
          const entry = parseProcStat(await readFile(`/proc/${name}/stat`, 'utf8'));
          if (entry !== undefined) table.set(entry.pid, entry);
        } catch {
          // the process ended between readdir and readFile
        }
      }),
  );
  return table;
}

/**
 * Stats for each requested pid (with its descendants summed in). Pids that no longer exist are left out.
 * Not Linux, or `/proc` unreadable: an empty map.
 */
export async function readProcessStats(pids: Iterable<number>): Promise<Map<number, ProcessStats>> {
  const wanted = [...pids].filter((pid) => pid > 0);
  const result = new Map<number, ProcessStats>();
  if (wanted.length === 0) return result;
  const [table, boot, page] = await Promise.all([readProcessTable(), readBootTimeMs(), readPageSize()]);
  const children = new Map<number, number[]>();
  for (const entry of table.values()) {
    const siblings = children.get(entry.ppid) ?? [];
    siblings.push(entry.pid);
    children.set(entry.ppid, siblings);
  }
  for (const pid of wanted) {
    const root = table.get(pid);
    if (root === undefined) continue;
    let cpuTicks = 0;
    let rssPages = 0;
    const stack = [pid];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const current = stack.pop() as number;
      if (seen.has(current)) continue;
      seen.add(current);
      const entry = table.get(current);
      if (entry === undefined) continue;
      cpuTicks += entry.cpuTicks;
      rssPages += entry.rssPages;
      stack.push(...(children.get(current) ?? []));
    }
    result.set(pid, {
      pid,
      cpuSeconds: cpuTicks / CLOCK_TICKS_PER_SECOND,
      memoryBytes: rssPages * page,
      startedAt: boot + (root.startTicks / CLOCK_TICKS_PER_SECOND) * 1000,
    });
  }
  return result;
}

/**
 * Turns successive CPU-time samples into a CPU percentage per pid (100 = one core busy). The first sample
 * of a pid has no rate yet.
 */
export class CpuRateTracker {
  #previous = new Map<number, { cpuSeconds: number; at: number }>();

  /** Records `stats` taken at `now` (ms) and returns the percentage since the previous sample, if any. */
  rate(stats: ProcessStats, now: number): number | undefined {
    const previous = this.#previous.get(stats.pid);
    this.#previous.set(stats.pid, { cpuSeconds: stats.cpuSeconds, at: now });
    if (previous === undefined || now <= previous.at) return undefined;
    return Math.max(0, ((stats.cpuSeconds - previous.cpuSeconds) / ((now - previous.at) / 1000)) * 100);
  }

  /** Forgets pids that are gone, so the map does not grow with every restart. */
  retain(pids: Iterable<number>): void {
    const keep = new Set(pids);
    for (const pid of this.#previous.keys()) if (!keep.has(pid)) this.#previous.delete(pid);
  }
}
