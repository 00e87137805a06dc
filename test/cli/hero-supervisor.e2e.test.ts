/**
 * Every control command end to end (issue 6): a real daemon spawned from dist/ (embedded backend, the run's
 * Redis, hero-worker workers), driven by the real CLI binary; the documented exit codes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StatusReport } from '../../src/admin/status-report.js';
import { findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { type DaemonUnderTest, isAlive, runCli, startDaemon } from './daemon-process.js';

let daemon: DaemonUnderTest;
const control = (...args: string[]) =>
  runCli([...args, '--endpoint', daemon.endpoint], { HERO_ADMIN_TOKEN: daemon.token });

async function status(): Promise<StatusReport> {
  const result = await control('status', '--json');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as StatusReport;
}

const up = (report: StatusReport) =>
  report.workers.filter((worker) => ['running', 'idle', 'pinging'].includes(worker.state));

beforeAll(async () => {
  daemon = await startDaemon({ redisUrl: inject('redisUrl') });
});

afterAll(async () => {
  await daemon?.stop();
});

describe('hero-supervisor status', () => {
  it('prints a table of the workers with state, pid, uptime, restarts and memory', async () => {
    const result = await runCli(['status', '-c', daemon.configPath]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/WORKER\s+TYPE\s+STATE\s+PID\s+UPTIME\s+LAST JOB\s+RESTARTS\s+CPU\s+MEM/);
    expect(result.stdout).toMatch(/python_worker_0\s+python\s+running\s+\d+/);
    expect(result.stdout).toMatch(/python_worker_1\s+python\s+running\s+\d+/);
    expect(result.stdout).toMatch(/SCRIPT TYPE\s+RUNNING\s+DESIRED\s+MIN-MAX\s+WAITING/);
  });

  it('prints JSON with /proc figures and queue depth with --json', async () => {
    // Figures come from a background sample, each part failing soft: on a loaded machine the first sample's queue
    // read can miss its deadline (`queue: null`, unknown). The next sample, a second later, has it.
    const report = await waitFor(
      async () => {
        const current = await status();
        return current.scriptTypes.every((type) => type.queue !== null) ? current : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, description: 'a status sample with the queue counts read' },
    );

    expect(report.workers.map((worker) => worker.name)).toEqual(['python_worker_0', 'python_worker_1']);
    for (const worker of report.workers) {
      expect(worker.pid).toBeGreaterThan(0);
      expect(worker.memoryBytes).toBeGreaterThan(1024 * 1024);
      expect(worker.uptimeMs).toBeGreaterThanOrEqual(0);
    }
    expect(report.scriptTypes).toEqual([
      expect.objectContaining({
        name: 'python',
        min: 2,
        max: 4,
        queue: { waiting: 0, prioritized: 0, delayed: 0, active: 0 },
      }),
    ]);
    expect(report.daemon.backend).toBe('embedded');
  });

  it('serves figures from a background sample and says when it was taken (fault finding F13)', async () => {
    const report = await status();

    expect(report.sampledAt).toBeGreaterThanOrEqual(report.daemon.startedAt);
    expect(report.sampleAgeMs).toBeGreaterThanOrEqual(0);
  });
});

describe('hero-supervisor scale, restart, stop, logs', () => {
  it('scales a script type up', async () => {
    const result = await control('scale', 'python', '3');

    expect(result).toMatchObject({ code: 0, stdout: 'scaled python to 3\n' });
    expect(up(await status())).toHaveLength(3);
  });

  it('restarts a worker: it comes back with a new pid', async () => {
    const before = (await status()).workers.find((worker) => worker.name === 'python_worker_0');

    const result = await control('restart', 'python_worker_0');

    expect(result).toMatchObject({ code: 0, stdout: 'restarted python_worker_0\n' });
    const after = (await status()).workers.find((worker) => worker.name === 'python_worker_0');
    expect(after?.state).toBe('running');
    expect(after?.pid).not.toBe(before?.pid);
    expect(isAlive(before?.pid as number)).toBe(false);
    // The new process is picked up by a following background sample.
    await waitFor(
      async () =>
        ((await status()).workers.find((worker) => worker.name === 'python_worker_0')?.memoryBytes ?? 0) > 1024 * 1024,
      { intervalMs: 200, description: "the restarted worker's memory in status" },
    );
  });

  it('stops a worker and leaves it stopped', async () => {
    const victim = (await status()).workers.find((worker) => worker.name === 'python_worker_2');

    const result = await control('stop', 'python_worker_2');

    expect(result).toMatchObject({ code: 0, stdout: 'stopped python_worker_2\n' });
    expect((await status()).workers.find((worker) => worker.name === 'python_worker_2')?.state).toBe('stopped');
    expect(isAlive(victim?.pid as number)).toBe(false);
  });

  it("prints a worker's captured output", async () => {
    const result = await control('logs', 'python_worker_1');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('python_worker_1');
  });

  it('follows a worker output with -f until interrupted', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI, cleanEnv } = await import('./daemon-process.js');
    const child = spawn(process.execPath, [CLI, 'logs', 'python_worker_1', '-f', '--endpoint', daemon.endpoint], {
      env: cleanEnv({ HERO_ADMIN_TOKEN: daemon.token }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await waitFor(() => output.includes('python_worker_1'), { description: 'followed log lines' });
    child.kill('SIGINT');

    expect(await exited).toBe(0);
  });
});

describe('hero-supervisor exit codes', () => {
  it('exits 5 for an unknown worker', async () => {
    const result = await control('restart', 'python_worker_99');

    expect(result.code).toBe(5);
    expect(result.stderr).toContain('Unknown worker "python_worker_99"');
    // It speaks of CLI commands, not of the library's addWorker() (issue 11 item 6).
    expect(result.stderr).toContain('`hero-supervisor status` lists them');
    expect(result.stderr).toContain('hero-supervisor scale <type> <n>');
    expect(result.stderr).not.toContain('addWorker');
  });

  it('exits 5 for an unknown script type', async () => {
    const result = await control('scale', 'ruby', '2');

    expect(result.code).toBe(5);
    expect(result.stderr).toBe('Unknown script type "ruby" (configured: python).\n');
  });

  it('exits 2 for a count outside min and max', async () => {
    const result = await control('scale', 'python', '9');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected an integer within [2, 4]');
  });

  it('exits 2 for a malformed command line', async () => {
    const result = await control('scale', 'python', 'many');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "error: command-argument value 'many' is invalid for argument 'n'. expected a non-negative integer.",
    );
  });

  it('exits 4 with a wrong token', async () => {
    const result = await runCli(['status', '--endpoint', daemon.endpoint], { HERO_ADMIN_TOKEN: 'not-the-token' });

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('refused the request');
  });

  it('exits 3 when no daemon listens', async () => {
    const port = await findFreePort();

    const result = await runCli(['status', '--endpoint', `http://127.0.0.1:${port}`], { HERO_ADMIN_TOKEN: 'x' });

    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `Cannot reach the hero-supervisor daemon at http://127.0.0.1:${port} (ECONNREFUSED).`,
    );
  });
});

describe('hero-supervisor run', () => {
  it('shuts down on SIGTERM with exit 0 and leaves no worker running', async () => {
    const second = await startDaemon({
      redisUrl: inject('redisUrl'),
      python: '{ binary: hero-worker, min: 1, max: 1 }',
    });
    const pids = (
      JSON.parse((await runCli(['status', '--json', '-c', second.configPath])).stdout) as StatusReport
    ).workers.map((worker) => worker.pid as number);

    const code = await second.stop('SIGTERM');

    expect(code).toBe(0);
    expect(pids).toHaveLength(1);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('exits 2 and starts nothing for an invalid config', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'hero-cli-'));
    await writeFile(join(dir, 'bad.yaml'), 'scriptTypes: { python: { binary: hero-worker, min: 3, max: 1 } }\n');

    const result = await runCli(['run', '-c', join(dir, 'bad.yaml')]);

    await rm(dir, { recursive: true, force: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `Invalid config ${join(dir, 'bad.yaml')} (1 error):\n  - scriptTypes.python: \`min\` (3) is greater than \`max\` (1); expected min <= max\n`,
    );
  });
});
