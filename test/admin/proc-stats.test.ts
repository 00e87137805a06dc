/** CPU and memory of workers from /proc (issue 6: `status` shows them for the embedded backend). */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuRateTracker, lifetimeCpuPercent, parseProcStat, readProcessStats } from '../../src/metrics/proc-stats.js';
import { waitFor } from '../helpers/wait-for.js';

const children: ChildProcess[] = [];
afterEach(() => {
  // Each holder leads its own process group: the group dies whole, grandchild included.
  for (const child of children.splice(0)) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A node process holding `megabytes` of touched memory, and optionally a child doing the same. */
function holder(megabytes: number, withChild: boolean): ChildProcess {
  const script = `
    const keep = Buffer.alloc(${megabytes} * 1024 * 1024, 1);
    console.log("ready");
    ${withChild ? `require('node:child_process').spawn(process.execPath, ['-e', 'const k = Buffer.alloc(${megabytes} * 1024 * 1024, 1); console.log("ready"); setInterval(() => k[0]++, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });` : ''}
    setInterval(() => keep[0]++, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  children.push(child);
  return child;
}

async function readyLines(child: ChildProcess, count: number): Promise<void> {
  let seen = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    seen += String(chunk).split('ready').length - 1;
  });
  await waitFor(() => seen >= count, { description: `${count} ready line(s)` });
}

describe('parseProcStat', () => {
  it('reads a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, index) => String(index + 3));
    const entry = parseProcStat(`4242 (my (odd) name) ${['S', ...fields.slice(1)].join(' ')}`);

    expect(entry).toEqual({ pid: 4242, ppid: 4, cpuTicks: 14 + 15, rssPages: 24, startTicks: 22 });
  });
});

describe('readProcessStats', () => {
  it('reports the resident memory of a process', async () => {
    const child = holder(64, false);
    await readyLines(child, 1);

    const stats = (await readProcessStats([child.pid as number])).get(child.pid as number);

    expect(stats?.memoryBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(stats?.startedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('adds the memory of the process tree (a worker and its interpreter)', async () => {
    const alone = holder(48, false);
    const parent = holder(48, true);
    await Promise.all([readyLines(alone, 1), readyLines(parent, 2)]);

    const stats = await readProcessStats([alone.pid as number, parent.pid as number]);

    expect(stats.get(parent.pid as number)?.memoryBytes).toBeGreaterThan(
      (stats.get(alone.pid as number)?.memoryBytes ?? 0) + 40 * 1024 * 1024,
    );
  });

  it('leaves out a pid that does not exist', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));

    expect((await readProcessStats([child.pid as number])).has(child.pid as number)).toBe(false);
  });
});

describe("readProcessStats on the workers' own trees (fault finding F13)", () => {
  it('adds a grandchild, two levels down', async () => {
    // A process that starts one that starts a holder: the worker → interpreter → job shape.
    const leaf =
      "const keep = Buffer.alloc(48 * 1024 * 1024, 1); console.log('ready'); setInterval(() => keep[0]++, 1000);";
    const middle = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(leaf)}], { stdio: ['ignore', 'inherit', 'inherit'] }); setInterval(() => {}, 1000);`;
    const top = spawn(
      process.execPath,
      [
        '-e',
        `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(middle)}], { stdio: ['ignore', 'inherit', 'inherit'] }); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    children.push(top);
    await readyLines(top, 1);

    const stats = (await readProcessStats([top.pid as number])).get(top.pid as number);

    expect(stats?.memoryBytes).toBeGreaterThan(48 * 1024 * 1024);
  });
});

describe('lifetimeCpuPercent', () => {
  it('averages CPU time over the age of the process', () => {
    expect(lifetimeCpuPercent({ pid: 1, cpuSeconds: 2, memoryBytes: 0, startedAt: 0 }, 10_000)).toBe(20);
  });

  it('says nothing about a process younger than a second', () => {
    expect(lifetimeCpuPercent({ pid: 1, cpuSeconds: 0.1, memoryBytes: 0, startedAt: 9_500 }, 10_000)).toBeUndefined();
  });
});

describe('CpuRateTracker', () => {
  it('turns two samples into a percentage of one core', () => {
    const tracker = new CpuRateTracker();
    tracker.rate({ pid: 1, cpuSeconds: 1, memoryBytes: 0, startedAt: 0 }, 10_000);

    expect(tracker.rate({ pid: 1, cpuSeconds: 1.5, memoryBytes: 0, startedAt: 0 }, 11_000)).toBe(50);
  });
});
