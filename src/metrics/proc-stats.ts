/**
 * CPU time, resident memory and start time of a process and its descendants, read from Linux `/proc`
 * (the embedded backend's workers; Zinit's JSON-RPC `service_stats` is the other source). Only the asked
 * processes' own trees are read, through `/proc/<pid>/task/<tid>/children`, so the cost grows with the
 * workers, not with everything else on the machine. Kernels without those files (no CONFIG_PROC_CHILDREN)
 * fall back to one sweep of all of `/proc` per call.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

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

/**
 * How far `/proc/uptime` may stray from `btime` and still be trusted: `btime` is whole seconds; a container
 * runtime that virtualises `/proc/uptime` (lxcfs) strays by the host's uptime, and then `btime` is kept.
 */
const MAX_UPTIME_BTIME_DISAGREEMENT_MS = 2_000;

/**
 * Boot time (epoch ms). `btime` of `/proc/stat` is whole seconds, which can put a worker's start up to a second before
 * the daemon's own; `now - /proc/uptime` has 10 ms resolution and is used when the two agree.
 */
async function readBootTimeMs(): Promise<number> {
  if (bootTimeMs === undefined) {
    const [stat, uptime] = await Promise.all([
      readFile('/proc/stat', 'utf8').catch(() => ''),
      readFile('/proc/uptime', 'utf8').catch(() => ''),
    ]);
    const line = stat.split('\n').find((candidate) => candidate.startsWith('btime '));
    const btimeMs = Number(line?.split(/\s+/)[1] ?? 0) * 1000;
    const fromUptime = Date.now() - Number(uptime.split(' ')[0]) * 1000;
    bootTimeMs =
      Number.isFinite(fromUptime) && Math.abs(fromUptime - btimeMs) <= MAX_UPTIME_BTIME_DISAGREEMENT_MS
        ? fromUptime
        : btimeMs;
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

/** One sweep of all of `/proc` (the fallback): every process with its parent, CPU ticks, RSS pages and start time. */
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

let childrenFilesReadable: Promise<boolean> | undefined;

/** Whether this kernel lists children in `/proc/<pid>/task/<tid>/children` (CONFIG_PROC_CHILDREN); asked once. */
function hasChildrenFiles(): Promise<boolean> {
  childrenFilesReadable ??= readFile(`/proc/self/task/${process.pid}/children`, 'utf8').then(
    () => true,
    () => false,
  );
  return childrenFilesReadable;
}

/**
 * Trees read between two yields to the event loop. A hero-worker tree (a Node process with 11 threads and a child)
 * reads in about 0.2 ms, so a slice blocks the loop for about 4 ms at most.
 */
const TREES_PER_SLICE = 20;

/**
 * The direct children of a process: the union of its threads' `children` lists (a child is listed under the thread
 * that forked it). A process or thread that ends meanwhile simply contributes nothing.
 */
function readChildrenSync(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const tid of tids) {
    let list = '';
    try {
      list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      // the thread ended meanwhile
    }
    for (const word of list.split(' ')) if (word !== '') children.push(Number(word));
  }
  return children;
}

/** Adds the `/proc` entries of `root` and all its descendants to `table`, walking the `children` files. */
function readProcessTreeSync(root: number, table: Map<number, ProcEntry>): void {
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (table.has(pid)) continue;
    let entry: ProcEntry | undefined;
    try {
      entry = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      continue; // ended meanwhile
    }
    if (entry === undefined) continue;
    table.set(pid, entry);
    stack.push(...readChildrenSync(pid));
  }
}

/**
 * The `/proc` entries of `pids` and all their descendants. The reads are synchronous on purpose: `/proc` files are
 * made by the kernel from memory, never wait for a disk, and a synchronous read costs about a tenth of a thread-pool
 * round trip through `fs/promises` (measured on 40 small trees: 2 ms against 25 ms of CPU). The event loop gets a turn
 * after every `TREES_PER_SLICE` trees.
 */
async function readProcessTrees(pids: readonly number[]): Promise<Map<number, ProcEntry>> {
  const table = new Map<number, ProcEntry>();
  const roots = [...new Set(pids)];
  for (let index = 0; index < roots.length; index += 1) {
    if (index > 0 && index % TREES_PER_SLICE === 0) await yieldToEventLoop();
    readProcessTreeSync(roots[index] as number, table);
  }
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
  const [table, boot, page] = await Promise.all([
    hasChildrenFiles().then((readable) => (readable ? readProcessTrees(wanted) : readProcessTable())),
    readBootTimeMs(),
    readPageSize(),
  ]);
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

/**
 * Below this age a lifetime average is noise: the start time is known to 10 ms ticks on top of a boot time in whole
 * seconds.
 */
const MIN_AGE_FOR_LIFETIME_AVERAGE_MS = 1_000;

/**
 * A process's average CPU percentage since it started: what a first sample can say before there is a previous one to
 * take a difference from. Undefined while the process is too young for the figure to mean anything.
 */
export function lifetimeCpuPercent(stats: ProcessStats, now: number): number | undefined {
  const ageMs = now - stats.startedAt;
  if (ageMs < MIN_AGE_FOR_LIFETIME_AVERAGE_MS) return undefined;
  return Math.max(0, (stats.cpuSeconds / (ageMs / 1000)) * 100);
}
