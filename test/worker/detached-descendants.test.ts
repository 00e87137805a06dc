/**
 * A script's outcome is decided when it exits (issue #11 item 5). Before, a script that started a daemon in a new
 * session (stdout inherited) and exited 0 failed after its whole timeout ("its process group was killed"), its output
 * was lost, and the daemon kept running. Now the job completes with its output read after a short bounded drain; the
 * daemon is killed where the worker gives each script a cgroup (root, cgroup v2) and named (pid, command) otherwise,
 * in the job's stderr and the worker's log.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { JobData } from '../../src/transport/wire-protocol.js';
import { scriptCgroupSupport } from '../../src/worker/script-cgroup.js';
import { createScriptRunner } from '../../src/worker/script-runner.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { HeroWorkerProcess } from './hero-worker-process.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
});

/** Starts `sleep 305` in a new session with stdout inherited, prints its pid, exits 0. */
const DAEMONIZING_SCRIPT = [
  'import subprocess',
  'p = subprocess.Popen(["sleep", "305"], start_new_session=True)',
  'print(p.pid, flush=True)',
].join('\n');

function killLater(pid: number): void {
  cleanups.push(() => {
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  });
}

describe('a script that leaves a daemon behind', () => {
  it('completes when it exits, with its output; the daemon is killed (cgroup) or named', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const worker = new HeroWorkerProcess({ workerId: `python_${randomUUID().slice(0, 6)}`, redisUrl, prefix });
    cleanups.push(() => worker.kill());
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    await worker.ready();
    // A long job timeout: the job must complete at the script's exit, not fail at its timeout.
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.Python)
      .scriptContent(DAEMONIZING_SCRIPT)
      .timeout(120_000)
      .build();

    const result = await supervisor.runJobAndAwaitJobResult(job, { timeoutMs: 30_000 });

    const daemon = Number(result.stdout.trim());
    expect(daemon).toBeGreaterThan(0);
    killLater(daemon);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`pid ${daemon} (sleep 305)`);
    expect(worker.log).toContain(`"pid":${daemon}`);
    if (scriptCgroupSupport().type === 'available') {
      expect(result.stderr).toContain("killed (they were in the script's cgroup)");
      await waitFor(() => !isProcessAlive(daemon), { description: `daemon ${daemon} to be killed` });
    } else {
      expect(result.stderr).toContain('not killed');
    }
  });

  it('dies with its SIGKILLed worker where scripts get a cgroup, and the cgroups are removed', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const worker = new HeroWorkerProcess({ workerId: `python_${randomUUID().slice(0, 6)}`, redisUrl, prefix });
    cleanups.push(() => worker.kill());
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    await worker.ready();
    const pidFile = join(mkdtempSync(join(tmpdir(), 'hero-daemon-')), 'daemon.pid');
    // The daemon leaves the script's process group; the script itself keeps running until the worker is killed.
    const script = [
      'import os, subprocess, time',
      'p = subprocess.Popen(["sleep", "305"], start_new_session=True)',
      `open(${JSON.stringify(`${pidFile}.tmp`)}, "w").write(str(p.pid))`,
      `os.rename(${JSON.stringify(`${pidFile}.tmp`)}, ${JSON.stringify(pidFile)})`,
      'time.sleep(300)',
    ].join('\n');
    await supervisor.startJob(
      supervisor.newJob().scriptType(ScriptType.Python).scriptContent(script).timeout(600_000).build(),
    );
    const daemon = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined), {
      description: 'the daemon to start',
    });
    killLater(daemon);
    const workerPid = worker.child.pid as number;

    worker.child.kill('SIGKILL');
    await worker.exited;

    const support = scriptCgroupSupport();
    if (support.type === 'available') {
      await waitFor(() => !isProcessAlive(daemon), { description: `daemon ${daemon} to die with its worker` });
      const dir = join(dirname(support.root), `hero-worker-${workerPid}`);
      await waitFor(() => !existsSync(dir), { description: `${dir} to be removed` });
    } else {
      // Not tracked without a cgroup (documented): the daemon outlives the worker.
      expect(isProcessAlive(daemon)).toBe(true);
    }
  });

  it('a script aborted at its timeout never takes the next script down with it (its cgroup is reused only after its exit)', async () => {
    const run = createScriptRunner({ interpreter: ['python3'] });
    const context = (signal: AbortSignal) => ({ jobId: 'j', workerId: 'w', attempt: 1, signal, logger: undefined });
    const job = (script: string): JobData => ({
      id: 'j',
      scriptType: 'python',
      script,
      env: {},
      timeoutMs: 60_000,
      callerId: 'c',
      contextId: 'x',
      createdAt: 0,
    });
    const controller = new AbortController();
    const first = run(job('import time\nprint("started", flush=True)\ntime.sleep(60)'), context(controller.signal));
    first.catch(() => {});
    // Aborted while running; the next script starts at once, before the first one's exit is handled.
    setTimeout(() => controller.abort(new Error('timed out')), 300);
    await expect(first).rejects.toThrow('timed out');

    const second = await run(
      job('import time\ntime.sleep(0.5)\nprint("second")'),
      context(new AbortController().signal),
    );

    expect(second).toMatchObject({ stdout: 'second\n', exitCode: 0 });
  });

  it("names nothing for a child left in the script's own process group: killed as always, not a leftover", async () => {
    const run = createScriptRunner({ interpreter: ['sh'] });
    const job: JobData = {
      id: 'j',
      scriptType: 'sal',
      script: 'sleep 120 &\necho $!',
      env: {},
      timeoutMs: 60_000,
      callerId: 'c',
      contextId: 'x',
      createdAt: 0,
    };

    const output = await run(job, {
      jobId: 'j',
      workerId: 'w',
      attempt: 1,
      signal: new AbortController().signal,
      logger: undefined,
    });

    const child = Number(output.stdout.trim());
    killLater(child);
    expect(output).toMatchObject({ exitCode: 0, stderr: '' });
    await waitFor(() => !isProcessAlive(child), { description: `the script's child ${child} to be killed` });
  });

  it('without a cgroup, names the daemon (pid, command) and leaves it running', async () => {
    const run = createScriptRunner({ interpreter: ['python3'], cgroups: false });
    const job: JobData = {
      id: 'job-1',
      scriptType: 'python',
      script: DAEMONIZING_SCRIPT,
      env: {},
      timeoutMs: 120_000,
      callerId: 'c',
      contextId: 'x',
      createdAt: 0,
    };

    const output = await run(job, {
      jobId: 'job-1',
      workerId: 'w',
      attempt: 1,
      signal: new AbortController().signal,
      logger: undefined,
    });

    const daemon = Number(output.stdout.trim());
    killLater(daemon);
    expect(output.exitCode).toBe(0);
    expect(output.stderr).toContain(
      `still running outside its process group (not killed: the worker has no cgroup per script here): pid ${daemon} (sleep 305)`,
    );
    expect(isProcessAlive(daemon)).toBe(true);
  });
});
