// Faults F9 and F10 (issue 8, scenario 7): worker names that are properties of every JS object (`toString`,
// `constructor`, `valueOf`) are adopted and run under their own names on Zinit; `__proto__`, which a plain object
// cannot hold as a key, is refused when configured. Zinit is the protocol-faithful legacy double.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { toServiceSpec } from '../../src/lifecycle/worker-template.js';
import { ZinitProcessManager } from '../../src/process/zinit/zinit-process-manager.js';
import { ZinitLegacyDouble } from '../doubles/zinit-legacy-double.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

/** `adopted.constructor` of a plain object is the Object function; `workers.toString` a function too. */
const ADOPTED = 'constructor';
const CONFIGURED = ['toString', 'valueOf'];

describe('worker names that are properties of every JS object', () => {
  let double: ZinitLegacyDouble | undefined;
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
    await double?.close();
    double = undefined;
  });

  it('refuses `__proto__` as a worker name with a ConfigError saying why', () => {
    const configure = () => new WorkerConfig('__proto__', process.execPath, 'python');

    expect(configure).toThrow(ConfigError);
    expect(configure).toThrow(
      'Expected `name` to be a name other than `__proto__` (reserved by JavaScript objects; e.g. `proto-worker`), got `__proto__` (string).',
    );
  });

  it('adopts `constructor` and starts `toString` and `valueOf` under their own names on Zinit', async () => {
    const redisUrl = inject('redisUrl');
    double = await ZinitLegacyDouble.start();
    const zinit = () =>
      new ZinitProcessManager({ socketPath: double?.socketPath ?? '', configDir: double?.configDir ?? '' });
    const names = [ADOPTED, ...CONFIGURED];
    const prefixHolder = { prefix: '' };
    harness = createLifecycleHarness({
      redisUrl,
      processes: zinit(),
      configure: (builder, prefix) => {
        prefixHolder.prefix = prefix;
        return names.reduce((b, name) => b.addWorker(heroWorkerConfig(name, prefix)), builder);
      },
    });
    // A previous supervisor started `constructor`, then went away (a Zinit client's close() only disconnects).
    const previous = zinit();
    const spec = toServiceSpec(
      heroWorkerConfig(ADOPTED, prefixHolder.prefix),
      { workerId: ADOPTED, redisUrl, scriptType: 'python' },
      { stopTimeoutMs: 5_000 },
    );
    await previous.ensureService(spec);
    await previous.start(ADOPTED);
    const adoptedPid = await waitFor(
      async () => {
        const status = await previous.status(ADOPTED);
        return status.state === 'running' && status.pid;
      },
      { description: `${ADOPTED} running under Zinit` },
    );
    await previous.close();
    const { manager } = harness;

    await manager.startAllWorkers();
    const statuses = manager.listWorkers().map((status) => [status.name, status.state]);
    const ping = await manager.pingWorker(ADOPTED, { timeoutMs: 5_000 });
    await manager.restartWorker('toString');
    const restarted = manager.getWorkerStatus('toString');

    expect(statuses).toEqual(names.map((name) => [name, 'running']));
    // Adopted with its own pid (the Object function is no pid), not restarted.
    expect(manager.getWorkerStatus(ADOPTED).pid).toBe(adoptedPid);
    expect(ping).toMatchObject({ type: 'ok', reply: { workerId: ADOPTED, pid: adoptedPid } });
    expect(restarted).toMatchObject({ name: 'toString', state: 'running' });
  });
});
