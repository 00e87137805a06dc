/**
 * A script killed by the worker's own stop signal is handed back, not failed (issue #4). A script spawned just before
 * the worker is stopped is still in the worker's process group until its child calls setsid, so the SIGTERM sent to
 * that group reaches it: the job must go back to `wait` for another worker, not fail with "Script was killed by
 * SIGTERM". The tests kill the script with SIGTERM themselves, since the real window (fork to setsid) is too short
 * to hit on purpose.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { JobFailedError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { jobQueueName } from '../../src/transport/queue-names.js';
import { createWorker, type HeroWorker } from '../../src/worker/create-worker.js';
import { createScriptRunner } from '../../src/worker/script-runner.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
});

/** Long enough that a job left hanging would hold `close()` far beyond what the test waits. */
const SHUTDOWN_TIMEOUT_MS = 60_000;

function setup() {
  const redisUrl = inject('redisUrl');
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'hero-stop-race-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const startWorker = (workerId: string): HeroWorker => {
    const worker = createWorker({
      scriptType: 'sal',
      workerId,
      redis: redisUrl,
      prefix,
      execute: createScriptRunner({ interpreter: ['sh'] }),
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
      handleSignals: false,
    });
    cleanups.push(() => worker.close());
    return worker;
  };
  const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
  cleanups.push(() => supervisor.close());
  const queue = new Queue(jobQueueName('sal'), { connection: { url: redisUrl }, prefix });
  cleanups.push(() => queue.close());
  const pidFile = join(dir, 'script.pid');
  // First run: record the pid and wait to be killed; any later run: answer at once.
  const script = [
    `if [ -e '${dir}/ran' ]; then echo second-run; exit 0; fi`,
    `touch '${dir}/ran'`,
    `echo $$ > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}'`,
    'exec sleep 120',
  ].join('\n');
  const job = supervisor.newJob().scriptType(ScriptType.SAL).scriptContent(script).timeout(180_000).build();
  const scriptPid = () =>
    waitFor(
      () => {
        try {
          return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
        } catch {
          return undefined;
        }
      },
      { description: 'the script to start' },
    ).then((pid) => {
      cleanups.push(() => isProcessAlive(pid) && process.kill(pid, 'SIGKILL'));
      return pid;
    });
  return { startWorker, supervisor, queue, job, scriptPid };
}

describe('a script killed by SIGTERM', () => {
  it('while its worker stops: hands the job back to wait, unfailed, and another worker completes it', async () => {
    const { startWorker, supervisor, queue, job, scriptPid } = setup();
    const first = startWorker('sal_stopping');
    await first.ready;
    await supervisor.startJob(job);
    const pid = await scriptPid();

    // The worker's stop and the stop signal reaching the script, as when the group signal arrives before setsid.
    const closed = first.close();
    process.kill(pid, 'SIGTERM');
    await closed;

    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('waiting');
    expect(stored?.failedReason).toBeFalsy();
    expect(stored?.attemptsMade).toBe(0);
    const second = startWorker('sal_next');
    await second.ready;
    expect(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 }).catch((error) => error)).toBe(
      'second-run\n',
    );
  });

  it('while its worker keeps running: fails the job as a script error', async () => {
    const { startWorker, supervisor, job, scriptPid } = setup();
    const worker = startWorker('sal_running');
    await worker.ready;
    const result = supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 }).catch((error: unknown) => error);
    const pid = await scriptPid();

    process.kill(pid, 'SIGTERM');

    const error = await result;
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).message).toContain('Script was killed by SIGTERM (sh).');
  });
});
