/** The hero-worker binary: flags, health check, shutdown, recovery after SIGKILL, secrets (issues #4, #8). */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import type { JobActivity } from '../../src/transport/wire-protocol.js';
import { findFreePort, RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { HERO_WORKER_BIN, HeroWorkerProcess } from './hero-worker-process.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** Runs hero-worker to completion (for --help, --health-check and usage errors). */
function runCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [HERO_WORKER_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function freshPrefix(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

function supervisorFor(redisUrl: string, prefix: string): Supervisor {
  const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
  cleanups.push(() => supervisor.close());
  return supervisor;
}

function startWorker(redisUrl: string, prefix: string, workerId: string): HeroWorkerProcess {
  const worker = new HeroWorkerProcess({ workerId, redisUrl, prefix });
  cleanups.push(() => worker.kill());
  return worker;
}

describe('hero-worker flags', () => {
  it('prints its usage with --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('Usage: hero-worker --script-type <type> --worker-id <id>');
  });

  it('exits 2 naming the valid script types for an unknown one', async () => {
    const { code, stderr } = await runCli(['--script-type', 'ruby', '--worker-id', 'w']);

    expect(code).toBe(2);
    expect(stderr).toBe('hero-worker: Unknown --script-type `ruby`: expected one of osis, sal, v, python.\n');
  });

  it('exits 2 when a script type without a built-in interpreter has no --interpreter', async () => {
    const { code, stderr } = await runCli(['--script-type', 'v', '--worker-id', 'w']);

    expect(code).toBe(2);
    expect(stderr).toContain("No interpreter is built in for script type `v`: pass --interpreter '<argv>'");
  });

  it('exits 2 for an unknown flag', async () => {
    const { code, stderr } = await runCli(['--script-type', 'python', '--worker-id', 'w', '--bogus']);

    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--bogus'");
  });
});

describe('hero-worker --health-check', () => {
  it('exits 0 when Redis answers and the configuration is valid', async () => {
    const { code, stderr } = await runCli([
      '--health-check',
      '--script-type',
      'python',
      '--worker-id',
      'w',
      '--redis-url',
      inject('redisUrl'),
    ]);

    expect(stderr).toContain('healthy');
    expect(code).toBe(0);
  });

  it('takes the Redis URL from REDIS_URL', async () => {
    const { code } = await runCli(['--health-check', '--script-type', 'python', '--worker-id', 'w'], {
      ...process.env,
      REDIS_URL: inject('redisUrl'),
    });

    expect(code).toBe(0);
  });

  it('exits 1 when Redis is unreachable, without printing the password', async () => {
    const port = await findFreePort();
    const url = `redis://admin:hunter2-secret@127.0.0.1:${port}`;

    const { code, stderr } = await runCli([
      '--health-check',
      '--script-type',
      'python',
      '--worker-id',
      'w',
      '--redis-url',
      url,
    ]);

    expect(code).toBe(1);
    expect(stderr).toContain(`hero-worker: unhealthy: Redis at redis://admin:***@127.0.0.1:${port} is unreachable`);
    expect(stderr).not.toContain('hunter2-secret');
  });

  it('exits 1 when the interpreter is missing', async () => {
    const { code, stderr } = await runCli([
      '--health-check',
      '--script-type',
      'osis',
      '--worker-id',
      'w',
      '--interpreter',
      'no-such-rhai-runner',
      '--redis-url',
      inject('redisUrl'),
    ]);

    expect(code).toBe(1);
    expect(stderr).toBe('hero-worker: unhealthy: interpreter `no-such-rhai-runner` not found or not executable.\n');
  });

  it('exits 2 for an invalid worker id', async () => {
    const { code, stderr } = await runCli([
      '--health-check',
      '--script-type',
      'python',
      '--worker-id',
      'a:b',
      '--redis-url',
      inject('redisUrl'),
    ]);

    expect(code).toBe(2);
    expect(stderr).toContain('Expected `workerId` to be 1-128 letters, digits, `_`, `.` or `-`, got `a:b` (string).');
  });
});

describe('hero-worker shutdown and recovery', () => {
  it('finishes its active job on SIGTERM, then exits 0', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = freshPrefix();
    const supervisor = supervisorFor(redisUrl, prefix);
    const worker = startWorker(redisUrl, prefix, 'python_draining');
    await worker.ready();
    const started: JobActivity[] = [];
    supervisor.onJobActivity((activity) => started.push(activity));
    await supervisor.jobActivityReady();
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.Python)
      .scriptContent('import time\ntime.sleep(1)\nprint("drained")')
      .build();
    const result = supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 });
    await waitFor(() => started.some((event) => event.jobId === job.id), { description: 'the job to start' });

    worker.child.kill('SIGTERM');

    expect(await result).toBe('drained\n');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it('after --shutdown-timeout kills its scripts, exits 0, and leaves the job to another worker', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = freshPrefix();
    const supervisor = supervisorFor(redisUrl, prefix);
    const stubborn = new HeroWorkerProcess({
      workerId: 'python_stubborn',
      redisUrl,
      prefix,
      extraArgs: ['--shutdown-timeout', '300'],
    });
    cleanups.push(() => stubborn.kill());
    await stubborn.ready();
    const pidFile = join(tmpdir(), `hero-shutdown-${randomUUID()}`);
    cleanups.push(async () => rmSync(pidFile, { force: true }));
    const script = [
      'import os, time',
      `pid_file = ${JSON.stringify(pidFile)}`,
      'if not os.path.exists(pid_file):',
      '    open(pid_file, "w").write(str(os.getpid()))',
      '    time.sleep(60)',
      'print("finished elsewhere")',
    ].join('\n');
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent(script).build();
    const result = supervisor.runJobAndAwaitJobResult(job, { timeoutMs: 30_000 });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', {
      description: 'the script to start',
    });
    const scriptPid = Number(readFileSync(pidFile, 'utf8'));

    stubborn.child.kill('SIGTERM');

    expect(await stubborn.exited).toEqual({ code: 0, signal: null });
    await waitFor(
      () => {
        try {
          process.kill(scriptPid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { description: `script ${scriptPid} to be killed` },
    );
    const rescuer = startWorker(redisUrl, prefix, 'python_heir');
    await rescuer.ready();
    expect(await result).toMatchObject({ stdout: 'finished elsewhere\n', workerId: 'python_heir' });
  });

  it('recovers the job of a worker killed with SIGKILL on another worker, within seconds', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = freshPrefix();
    const supervisor = supervisorFor(redisUrl, prefix);
    const doomed = startWorker(redisUrl, prefix, 'python_doomed');
    await doomed.ready();
    // First run (on the doomed worker): leave a marker with its pid and hang. The re-run finds the marker and finishes.
    const marker = join(tmpdir(), `hero-recovery-${randomUUID()}`);
    cleanups.push(async () => {
      try {
        // The orphaned first run: SIGKILL cannot take a worker's scripts with it (they have their own group).
        process.kill(-Number(readFileSync(marker, 'utf8')), 'SIGKILL');
      } finally {
        rmSync(marker, { force: true });
      }
    });
    const script = [
      'import os, sys, time',
      `marker = ${JSON.stringify(marker)}`,
      'if not os.path.exists(marker):',
      '    open(marker, "w").write(str(os.getpid()))',
      '    time.sleep(60)',
      'print("survived")',
    ].join('\n');
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent(script).build();
    const result = supervisor.runJobAndAwaitJobResult(job, { timeoutMs: 30_000 });
    await waitFor(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', {
      description: 'the doomed worker to run the script',
    });
    const rescuer = startWorker(redisUrl, prefix, 'python_rescuer');
    await rescuer.ready();

    await doomed.kill('SIGKILL');

    // Lock 5 s + stall check every 2 s: back on a worker within ~7 s, never lost.
    expect(await result).toMatchObject({ stdout: 'survived\n', workerId: 'python_rescuer' });
    expect(await supervisor.getJobStatus(job.id)).toBe('completed');
  });
});

describe('hero-worker with Redis authentication', () => {
  it('works with an ACL user and password and never logs the password', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const admin = new Redis(redis.url);
    await admin.call('ACL', 'SETUSER', 'hero', 'on', '>s3cret-pass', '~*', '&*', '+@all');
    await admin.call('ACL', 'SETUSER', 'default', 'off');
    admin.disconnect();
    const url = `redis://hero:s3cret-pass@127.0.0.1:${redis.port}`;
    const prefix = freshPrefix();
    const worker = startWorker(url, prefix, 'python_acl');
    await worker.ready();
    const supervisor = supervisorFor(url, prefix);
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print("authenticated")').build();

    expect(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 })).toBe('authenticated\n');
    expect(await supervisor.pingWorker('python_acl', { timeoutMs: 5_000 })).toMatchObject({ type: 'ok' });
    expect(worker.log).toContain('redis://hero:***@127.0.0.1');
    expect(worker.log).not.toContain('s3cret-pass');
    expect(supervisor.redisDisplay).toBe(`redis://hero:***@127.0.0.1:${redis.port}`);
  });
});
