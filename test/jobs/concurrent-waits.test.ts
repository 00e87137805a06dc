/**
 * Many callers awaiting results at once print no `MaxListenersExceededWarning` (issue #11 item 6). Before, every
 * waiting `runJobAndAwaitResult` added an `abort` listener to the supervisor's one close signal, and the eleventh
 * printed "Possible EventTarget memory leak detected. 11 abort listeners added to [AbortSignal]".
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { JobTimeoutError, RedisUnavailableError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { HeroWorkerProcess } from '../worker/hero-worker-process.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** Every process warning emitted while `work` runs. */
async function warningsDuring(work: () => Promise<unknown>): Promise<Error[]> {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await work();
    // Warnings are emitted on the next tick after the listener that caused them.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

function setup(): { supervisor: Supervisor; prefix: string } {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const supervisor = new SupervisorBuilder().redisUrl(inject('redisUrl')).prefix(prefix).build();
  cleanups.push(() => supervisor.close());
  return { supervisor, prefix };
}

describe('concurrent runJobAndAwaitResult', () => {
  it('twenty calls completed by a worker print no warning', async () => {
    const { supervisor, prefix } = setup();
    const worker = new HeroWorkerProcess({
      workerId: `python_${randomUUID().slice(0, 6)}`,
      redisUrl: inject('redisUrl'),
      prefix,
      extraArgs: ['--concurrency', '4'],
    });
    cleanups.push(() => worker.kill());
    await worker.ready();

    let outputs: string[] = [];
    const warnings = await warningsDuring(async () => {
      outputs = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          supervisor.runJobAndAwaitResult(
            supervisor.newJob().scriptType(ScriptType.Python).scriptContent(`print(${index})`).build(),
          ),
        ),
      );
    });

    expect(outputs).toEqual(Array.from({ length: 20 }, (_, index) => `${index}\n`));
    expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
  });

  it('a thousand calls waiting at once print no warning', async () => {
    const { supervisor } = setup();

    const warnings = await warningsDuring(async () => {
      // No worker runs: all thousand wait together until their deadline, then their jobs are removed.
      const results = await Promise.allSettled(
        Array.from({ length: 1_000 }, () =>
          supervisor.runJobAndAwaitResult(
            supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build(),
            { timeoutMs: 1_500 },
          ),
        ),
      );
      // Each ends with JobTimeoutError, or (on a loaded machine, when settling a thousand jobs at once takes longer
      // than the 1 s read budget after the deadline) RedisUnavailableError: only the warnings are the point here.
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toSatisfy(
          (reason) => reason instanceof JobTimeoutError || reason instanceof RedisUnavailableError,
        );
      }
    });

    expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
  }, 60_000);
});
