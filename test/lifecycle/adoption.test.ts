// Issue 5 (and issue 8, scenario 4): a supervisor that starts while its workers already run under Zinit adopts
// them (state from Zinit), starts no duplicates, and carries on. Zinit is the protocol-faithful JSON-RPC double.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { toServiceSpec } from '../../src/lifecycle/worker-template.js';
import { ZinitProcessManager } from '../../src/process/zinit/zinit-process-manager.js';
import { ZinitJsonRpcDouble } from '../doubles/zinit-jsonrpc-double.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager adoption (Zinit double)', () => {
  let double: ZinitJsonRpcDouble | undefined;
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
    await double?.close();
    double = undefined;
  });

  it('adopts workers that already run instead of starting duplicates', async () => {
    const redisUrl = inject('redisUrl');
    double = await ZinitJsonRpcDouble.start();
    const zinit = () =>
      new ZinitProcessManager({ socketPath: double?.socketPath ?? '', configDir: double?.configDir ?? '' });
    // A previous supervisor started two workers, then went away (a Zinit client's close() only disconnects).
    const previous = zinit();
    const names = ['python_worker_0', 'python_worker_1'];
    const prefixHolder = { prefix: '' };
    harness = createLifecycleHarness({
      redisUrl,
      processes: zinit(),
      configure: (builder, prefix) => {
        prefixHolder.prefix = prefix;
        return names.reduce((b, name) => b.addWorker(heroWorkerConfig(name, prefix)), builder);
      },
    });
    for (const name of names) {
      const spec = toServiceSpec(
        heroWorkerConfig(name, prefixHolder.prefix),
        { workerId: name, redisUrl, scriptType: 'python' },
        { stopTimeoutMs: 5_000 },
      );
      await previous.ensureService(spec);
      await previous.start(name);
    }
    const runningBefore = await waitFor(
      async () => {
        const statuses = await previous.list();
        const pids = names.map(
          (name) => statuses.find((status) => status.name === name && status.state === 'running')?.pid,
        );
        return pids.every((pid) => pid !== undefined && pid > 0) && (pids as number[]);
      },
      { description: 'both workers running under Zinit' },
    );
    await previous.close();
    const { manager } = harness;

    await manager.startAllWorkers();

    const statuses = manager.listWorkers();
    expect(statuses.map((status) => [status.name, status.state, status.pid])).toEqual([
      ['python_worker_0', 'running', runningBefore[0]],
      ['python_worker_1', 'running', runningBefore[1]],
    ]);
    expect(runningBefore.every(isProcessAlive)).toBe(true);
    // No duplicates: Zinit still runs exactly one process per worker, the same ones.
    const observer = zinit();
    const engineServices = (await observer.list()).filter((status) => names.includes(status.name));
    await observer.close();
    expect(engineServices.map((status) => status.pid).sort()).toEqual([...runningBefore].sort());
    // And it carries on: the adopted worker answers pings.
    const outcome = await manager.pingWorker('python_worker_1', { timeoutMs: 5_000 });
    expect(outcome.type === 'ok' && outcome.reply.pid).toBe(runningBefore[1]);
  });
});
