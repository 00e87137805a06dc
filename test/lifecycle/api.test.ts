// Issue 5, the API: jobs run through the Supervisor update their worker's job time by themselves; restart, stop and
// start by name; typed errors; the sha256 check before each start (issue 8, scenario 10).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { BackendUnavailableError, ConfigError, WorkerNotFoundError, WorkerStartFailedError } from '../../src/errors.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager API', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
    await supervisor?.close();
    supervisor = undefined;
  });

  it("updates a worker's lastJobAt by itself when a job runs through the Supervisor", async () => {
    const redisUrl = inject('redisUrl');
    harness = createLifecycleHarness({
      redisUrl,
      configure: (builder, prefix) => {
        supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
        return builder.withSupervisor(supervisor).addWorker(heroWorkerConfig('python_worker_0', prefix));
      },
    });
    const { manager } = harness;
    await manager.startAllWorkers();
    expect(manager.getWorkerStatus('python_worker_0').lastJobAt).toBeNull();
    const jobs = supervisor as Supervisor;

    const output = await jobs.runJobAndAwaitResult(
      jobs.newJob().scriptType(ScriptType.Python).scriptContent('print(6*7)').build(),
    );

    expect(output.trim()).toBe('42');
    // The worker publishes `finished` around the time the caller gets its result: wait for that fact.
    const status = await waitFor(() => {
      const current = manager.getWorkerStatus('python_worker_0');
      return current.lastJobAt !== null && !current.busy && current;
    });
    expect(status).toMatchObject({ state: 'running', busy: false, scriptType: 'python', restarts: 0 });
  });

  it('hands the actor system to the observer given with withInspect(), and reports no pid once stopped', async () => {
    const actorIds = new Set<string>();
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.addWorker(heroWorkerConfig('python_worker_0', prefix)).withInspect((event) => {
          if (event.type === '@xstate.actor') actorIds.add(String((event.actorRef as { id?: string }).id));
        }),
    });
    const { manager } = harness;

    await manager.startAllWorkers();
    await manager.stopWorker('python_worker_0');

    expect(actorIds).toContain('python_worker_0');
    expect(actorIds).toContain('scaler_python');
    expect(manager.getWorkerStatus('python_worker_0')).toMatchObject({ state: 'stopped', pid: null });
  });

  it('restarts, stops and starts a worker by name', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    const { manager } = harness;
    const reasons: (string | null)[] = [];
    manager.on('worker:restarted', (event) => reasons.push(event.reason));
    await manager.startAllWorkers();
    const first = manager.getWorkerStatus('python_worker_0').pid as number;

    await manager.restartWorker('python_worker_0');
    const second = manager.getWorkerStatus('python_worker_0');
    await manager.stopWorker('python_worker_0');
    const stopped = manager.getWorkerStatus('python_worker_0');
    await manager.startWorker(heroWorkerConfig('python_worker_0', harness.prefix));

    expect(reasons).toEqual(['manual']);
    expect(second).toMatchObject({ state: 'running', restarts: 1 });
    expect(second.pid).not.toBe(first);
    expect(isProcessAlive(first)).toBe(false);
    expect(stopped).toMatchObject({ state: 'stopped', pid: null });
    expect(manager.getWorkerStatus('python_worker_0').state).toBe('running');
    expect(manager.getRunningWorkerCount('python')).toBe(1);
  });

  it('adds a new worker with startWorker(config)', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    const { manager } = harness;
    await manager.startAllWorkers();

    await manager.startWorker(heroWorkerConfig('reports', harness.prefix));

    expect(manager.listWorkers().map((worker) => [worker.name, worker.state])).toEqual([
      ['python_worker_0', 'running'],
      ['reports', 'running'],
    ]);
  });

  it('names the known workers when asked for an unknown one', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    await harness.manager.startAllWorkers();

    expect(() => harness?.manager.getWorkerStatus('python_worker_9')).toThrow(WorkerNotFoundError);
    expect(() => harness?.manager.getWorkerStatus('python_worker_9')).toThrow(
      'Unknown worker "python_worker_9" (known workers: python_worker_0). Add it with addWorker() or startWorker(config).',
    );
  });

  it('refuses to start a worker whose binary does not match its sha256, and starts one that does', async () => {
    const actual = createHash('sha256').update(readFileSync(process.execPath)).digest('hex');
    const wrong = '0'.repeat(64);
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder
          .addWorker(heroWorkerConfig('python_worker_0', prefix).withSha256(actual))
          .addWorker(heroWorkerConfig('python_worker_1', prefix).withSha256(wrong)),
    });
    const { manager } = harness;

    const failure = await manager.startAllWorkers().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(WorkerStartFailedError);
    expect((failure as WorkerStartFailedError).worker).toBe('python_worker_1');
    const refused = manager.getWorkerStatus('python_worker_1');
    expect(refused.pid).toBeNull();
    // `spawn failed: …` on the first attempt, `restart failed: …` once the actor retried: refused every time.
    expect(refused.reason?.replace(/^(spawn|restart) failed: /, '')).toBe(
      `Refusing to start worker "python_worker_1": ${process.execPath} has sha256 ${actual}, expected ${wrong}. ` +
        'Was the binary replaced? Update the configured sha256 only if the change is intended.',
    );
    expect(manager.getWorkerStatus('python_worker_0').state).toBe('running');
  });

  it('checks the scale bounds and the configuration with clear errors', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withScriptType('python', { template: heroWorkerConfig('python', prefix), max: 2 }),
    });

    await expect(harness.manager.scaleWorkers('python', 3)).rejects.toThrow(
      'Cannot scale `python` to 3: expected an integer within [0, 2] (min, max).',
    );
    await expect(harness.manager.scaleWorkers('rhai', 1)).rejects.toThrow(ConfigError);
    const builder = () => new WorkerLifecycleManagerBuilder(new EmbeddedProcessManager());
    const config = new WorkerConfig('python_worker_0', process.execPath, 'python');
    expect(() => builder().addWorker(config).addWorker(config)).toThrow(
      'The name "python_worker_0" is used twice: workers and services need unique names.',
    );
    expect(() =>
      builder()
        .addWorker(config.copyAs('a').withDependencies(['redis']))
        .build(),
    ).toThrow('Worker "a" depends on `redis`, which is not a service of this supervisor: add it with addService().');
    expect(() => new WorkerConfig('bad/name', 'x', 'python')).toThrow(
      'Expected `name` to be 1-128 letters, digits, `_` or `-`, got `bad/name` (string).',
    );
    expect(() => builder().withScriptType('python', { min: 3, max: 1, template: config }).build()).toThrow(
      '`scriptTypes.python.min` (3) must not exceed `scriptTypes.python.max` (1).',
    );
  });

  it('reports an unreachable Zinit socket with BackendUnavailableError', async () => {
    const manager = new WorkerLifecycleManagerBuilder('/nonexistent/zinit.sock')
      .withLogger(pino({ level: 'silent' }))
      .addWorker(new WorkerConfig('python_worker_0', process.execPath, 'python'))
      .build();

    await expect(manager.startAllWorkers()).rejects.toThrow(BackendUnavailableError);
    await manager.shutdown();
  });

  it('stops every worker and starts them again, keeping their slots', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) =>
        builder.withScriptType('python', { template: heroWorkerConfig('python', prefix), initial: 2 }),
    });
    const { manager } = harness;
    await manager.startAllWorkers();
    const pids = manager.listWorkers().map((worker) => worker.pid as number);

    await manager.stopAllWorkers();
    const stopped = manager.listWorkers().map((worker) => [worker.name, worker.state]);
    await manager.startAllWorkers();

    expect(stopped).toEqual([
      ['python_worker_0', 'stopped'],
      ['python_worker_1', 'stopped'],
    ]);
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(manager.getRunningWorkerCount('python')).toBe(2);
  });
});
