/**
 * The `maxMemoryMb` limit (as PM2's `max_memory_restart`): a worker's resident memory read from /proc, and the
 * accounting that restarts it only once it stayed above the limit for several readings in a row.
 */
import { readFile } from 'node:fs/promises';

/** Resident set size in MiB, or undefined when the process is gone or /proc is unavailable (not Linux). */
export async function readRssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Counts readings above the limit per worker; a reading at or below it forgives the earlier ones. */
export class MemoryLimitTracker {
  readonly #strikes = new Map<string, number>();

  constructor(readonly readingsBeforeRestart: number) {}

  /** True when this reading makes `readingsBeforeRestart` in a row above `limitMb`: restart now (and start over). */
  record(worker: string, rssMb: number | undefined, limitMb: number): boolean {
    if (rssMb === undefined || rssMb <= limitMb) {
      this.#strikes.delete(worker);
      return false;
    }
    const strikes = (this.#strikes.get(worker) ?? 0) + 1;
    if (strikes < this.readingsBeforeRestart) {
      this.#strikes.set(worker, strikes);
      return false;
    }
    this.#strikes.delete(worker);
    return true;
  }
}
