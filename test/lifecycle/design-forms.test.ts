// Issue 16, the design's own forms: a `{prefix}` placeholder so a custom binary gets a non-default key prefix, and
// `withHealthCheck` taking the design's one-string command, split into words as Zinit splits `test:`, never a shell.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { fillPlaceholders, toServiceSpec } from '../../src/lifecycle/worker-template.js';
import { PingClient } from '../../src/transport/ping-client.js';
import { createLifecycleHarness, HERO_WORKER } from './lifecycle-harness.js';

const CHECKS_FILE_EXISTS = fileURLToPath(new URL('../fixtures/workers/checks-file-exists.js', import.meta.url));
const SPEC_WORKER = fileURLToPath(new URL('../fixtures/workers/spec-worker.mjs', import.meta.url));

describe('the design forms of a worker config', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await harness?.cleanup();
    harness = undefined;
  });

  it('fills {prefix} with the key prefix, and with hero when none is given', () => {
    expect(
      fillPlaceholders('--prefix={prefix}', { workerId: 'w', redisUrl: 'r', scriptType: 's', prefix: 'blue' }),
    ).toBe('--prefix=blue');
    expect(fillPlaceholders('{prefix}:{workerId}', { workerId: 'w', redisUrl: 'r', scriptType: 's' })).toBe('hero:w');
  });

  it('splits the one-string health check like Zinit does, without a shell', () => {
    const config = new WorkerConfig('osis_worker_0', '/usr/local/bin/osis_worker', 'osis').withHealthCheck(
      `/usr/local/bin/osis_worker --health-check --name "a b" '$HOME' {workerId}`,
    );

    expect(config.healthCheck).toEqual([
      '/usr/local/bin/osis_worker',
      '--health-check',
      '--name',
      'a b',
      '$HOME',
      '{workerId}',
    ]);
    expect(
      toServiceSpec(config, { workerId: 'osis_worker_0', redisUrl: 'r', scriptType: 'osis' }, { stopTimeoutMs: 1 })
        .healthCheck,
    ).toEqual(['/usr/local/bin/osis_worker', '--health-check', '--name', 'a b', '$HOME', 'osis_worker_0']);
    expect(() => new WorkerConfig('w', '/bin/w', 'osis').withHealthCheck(`/bin/w --check 'unbalanced`)).toThrow(
      ConfigError,
    );
    expect(() => new WorkerConfig('w', '/bin/w', 'osis').withHealthCheck('   ')).toThrow(/`healthCheck`/);
  });

  it('runs a worker whose args say only {prefix}, gated by a one-string health check taken literally', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hero-design-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // A shell would expand `$HOME` and split at the space: the check passes only if the words arrive literally.
    const ready = join(dir, 'ready $HOME');
    writeFileSync(ready, '');
    const redisUrl = inject('redisUrl');
    harness = createLifecycleHarness({
      redisUrl,
      configure: (builder) =>
        builder.addWorker(
          new WorkerConfig('python_worker_0', process.execPath, 'python')
            .withArgs([
              HERO_WORKER,
              '--script-type',
              '{scriptType}',
              '--worker-id',
              '{workerId}',
              '--redis-url',
              '{redisUrl}',
              '--prefix',
              '{prefix}',
            ])
            .withHealthCheck(`${process.execPath} ${CHECKS_FILE_EXISTS} '${ready}'`)
            .withStopTimeout(5_000),
        ),
    });
    await harness.manager.startAllWorkers();
    const client = new PingClient({ redis: redisUrl, prefix: harness.prefix });
    cleanups.push(() => client.close());

    const outcome = await client.ping('python_worker_0', { timeoutMs: 5_000 });

    expect(outcome).toMatchObject({ type: 'ok', reply: { workerId: 'python_worker_0' } });
    expect(harness.manager.getWorkerStatus('python_worker_0').state).toBe('running');
  });

  it('supervises a foreign worker that answers pings without version: invalid-reply, and a warn naming the field', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder) =>
        builder.addWorker(
          new WorkerConfig('python_worker_0', process.execPath, 'python')
            .withArgs([SPEC_WORKER, '--worker-id', '{workerId}', '--redis-url', '{redisUrl}', '--prefix', '{prefix}'])
            .withEnv({ SPEC_WORKER_BREAK: 'no-version' })
            .withStopTimeout(5_000),
        ),
    });
    await harness.manager.startAllWorkers();

    const outcome = await harness.manager.pingWorker('python_worker_0', { timeoutMs: 5_000 });

    expect(outcome).toEqual({
      type: 'invalid-reply',
      reason: 'ping reply field `version` is missing (expected a string)',
    });
    expect(harness.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        workerId: 'python_worker_0',
        problem: 'ping reply field `version` is missing (expected a string)',
      }),
    );
  });
});
