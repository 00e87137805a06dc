/**
 * A script never outlives its worker (issue #4; Finding F5 in test/faults/README.md): the worker kills every script
 * group on the exit paths it sees (exit, uncaught exception), and on a SIGKILL the reaper (group-reaper.ts), told of
 * each script's group before the worker goes on, kills the whole group. Since #16 the interpreter no longer runs
 * under `setpriv --pdeathsig KILL` (one more exec per job) while a reaper runs; setpriv is the fallback without one.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { parentDeathWrapper, wrapWithParentDeathSignal } from '../../src/worker/parent-death-signal.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { HeroWorkerProcess } from './hero-worker-process.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/ends-while-script-runs.mjs', import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hero-script-lifetime-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Kills what a failed test left behind, by pid (cleanup only, never asserted on). */
function killLater(pids: readonly number[]): void {
  cleanups.push(() => {
    for (const pid of pids.filter(isProcessAlive)) process.kill(pid, 'SIGKILL');
  });
}

function readPids(file: string): number[] | undefined {
  try {
    const pids = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return pids.every((pid) => pid > 0) ? pids : undefined;
  } catch {
    return undefined;
  }
}

describe('wrapWithParentDeathSignal', () => {
  it('runs the interpreter through setpriv --pdeathsig KILL, argv intact and without a shell', () => {
    const wrapped = wrapWithParentDeathSignal({ type: 'setpriv', path: '/usr/bin/setpriv' }, '/usr/bin/v', [
      'run',
      '-',
    ]);

    expect(wrapped).toEqual({
      file: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'KILL', '--', '/usr/bin/v', 'run', '-'],
    });
  });

  it('runs the interpreter directly when setpriv is unavailable', () => {
    const wrapped = wrapWithParentDeathSignal({ type: 'unavailable', reason: 'not found' }, '/usr/bin/v', ['run']);

    expect(wrapped).toEqual({ file: '/usr/bin/v', args: ['run'] });
  });

  it('finds a working setpriv once and caches it', async () => {
    const first = parentDeathWrapper();

    expect(parentDeathWrapper()).toBe(first);
    // The test machines are Debian-based (util-linux): without setpriv this suite cannot prove F5 fixed.
    expect(await first).toMatchObject({ type: 'setpriv' });
  });
});

describe('a script of a dying worker', () => {
  it('is killed when its hero-worker is killed with SIGKILL (the reaper, no setpriv exec per job)', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const dir = tempDir();
    const pidFile = join(dir, 'script.pid');
    const worker = new HeroWorkerProcess({
      workerId: 'sal_pdeath',
      redisUrl,
      prefix,
      scriptType: 'sal',
      interpreter: 'sh',
    });
    cleanups.push(() => worker.kill());
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    await worker.ready();
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.SAL)
      .scriptContent(`echo $$ > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}'\nexec sleep 120`)
      .timeout(180_000)
      .build();
    await supervisor.startJob(job);
    const [scriptPid] = await waitFor(() => readPids(pidFile), { description: 'the script to start' });
    killLater([scriptPid as number]);

    worker.child.kill('SIGKILL');
    await worker.exited;

    await waitFor(() => !isProcessAlive(scriptPid as number), { description: `script ${scriptPid} to die` });
    expect(worker.log).not.toContain('without a parent-death signal');
  });

  it('takes what the script started with it when its hero-worker is killed with SIGKILL (the reaper)', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const pidFile = join(tempDir(), 'script.pids');
    const worker = new HeroWorkerProcess({
      workerId: 'sal_reaper',
      redisUrl,
      prefix,
      scriptType: 'sal',
      interpreter: 'sh',
    });
    cleanups.push(() => worker.kill());
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    await worker.ready();
    // The background sleep is not the interpreter: the parent-death signal does not reach it, the reaper must.
    const job = supervisor
      .newJob()
      .scriptType(ScriptType.SAL)
      .scriptContent(`sleep 120 &\necho "$$ $!" > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}'\nwait`)
      .timeout(180_000)
      .build();
    await supervisor.startJob(job);
    const pids = await waitFor(() => readPids(pidFile), { description: 'the script to start' });
    killLater(pids);

    worker.child.kill('SIGKILL');
    await worker.exited;

    await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), {
      description: `script ${pids.join(' and ')} to die`,
    });
    expect(pids).toHaveLength(2);
  });

  it.each([
    ['throw', 'an uncaught exception'],
    ['exit', 'process.exit()'],
  ])('is killed with its whole process group when the worker ends by %s (%s)', async (how) => {
    const pidFile = join(tempDir(), 'script.pid');
    const child = spawn(process.execPath, [FIXTURE, how, pidFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(() => child.kill('SIGKILL'));

    const code = await exited;
    const pids = readPids(pidFile);
    killLater(pids ?? []);

    expect(code).toBe(how === 'throw' ? 1 : 3);
    if (how === 'throw') expect(stderr).toContain('fixture crash while its script runs');
    expect(pids).toHaveLength(2);
    // The background sleep is the script's child: only the worker's exit hook reaches it (the parent-death signal
    // covers the interpreter alone).
    await waitFor(() => (pids ?? []).every((pid) => !isProcessAlive(pid)), {
      description: `script and its child ${pids?.join(', ')} to die`,
    });
  });
});
