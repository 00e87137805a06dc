// Issue 5: a worker starts only after the services it depends on run, shutdown stops them in reverse order, and
// shutdown leaves no process behind.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import type { ProcessEvent } from '../../src/process/process-events.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { findFreePort } from '../helpers/redis-server.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager dependencies and shutdown', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('starts a managed redis before the workers that depend on it, and stops it after them', async () => {
    const port = await findFreePort();
    const processes = new EmbeddedProcessManager();
    const events: ProcessEvent[] = [];
    processes.subscribe((event) => events.push(event));
    harness = createLifecycleHarness({
      redisUrl: `redis://127.0.0.1:${port}`,
      processes,
      configure: (builder, prefix) =>
        builder
          .addService({
            name: 'redis',
            command: [
              'redis-server',
              '--port',
              String(port),
              '--bind',
              '127.0.0.1',
              '--save',
              '',
              '--appendonly',
              'no',
            ],
            healthCheck: ['redis-cli', '-p', String(port), 'ping'],
          })
          .addWorker(heroWorkerConfig('python_worker_0', prefix).withDependencies(['redis']))
          .addWorker(heroWorkerConfig('python_worker_1', prefix).withDependencies(['redis'])),
    });
    const { manager } = harness;

    await manager.startAllWorkers();
    const outcome = await manager.pingWorker('python_worker_0', { timeoutMs: 5_000 });
    await manager.shutdown();
    await processes.close();

    expect(outcome.type).toBe('ok');
    const order = (service: string, type: ProcessEvent['type']) =>
      events.findIndex((event) => event.service === service && event.type === type);
    const redisRunning = order('redis', 'process.running');
    const redisGone = Math.max(order('redis', 'process.exited'), order('redis', 'process.stopped'));
    for (const worker of ['python_worker_0', 'python_worker_1']) {
      expect(order(worker, 'process.spawned')).toBeGreaterThan(redisRunning);
      expect(Math.max(order(worker, 'process.exited'), order(worker, 'process.stopped'))).toBeLessThan(redisGone);
    }
  });

  it('leaves no process behind after shutdown, which is idempotent', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withScriptType('python', { template: heroWorkerConfig('python', prefix), initial: 3 }),
    });
    const { manager } = harness;
    await manager.startAllWorkers();
    const pids = manager.listWorkers().map((worker) => worker.pid as number);
    expect(pids).toHaveLength(3);

    const first = manager.shutdown();
    const second = manager.shutdown();
    await first;

    expect(second).toBe(first);
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(manager.listWorkers()).toEqual([]);
    await expect(manager.startAllWorkers()).rejects.toThrow(
      'This WorkerLifecycleManager was shut down; build a new one.',
    );
  });
});
