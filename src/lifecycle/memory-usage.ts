/** Reads a process's resident memory from /proc (Linux), for the `maxMemoryMb` limit. */
import { readFile } from 'node:fs/promises';

/** Resident set size in MiB, or undefined when the process is gone or /proc is unavailable. */
export async function readRssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}
