// Issue 5, health: a worker killed with SIGKILL is restarted and answers a ping; a hung worker (SIGSTOP) fails
// 3 pings and is restarted; while Redis is unreachable no worker is restarted, and health checks resume after.
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { isProcessAlive } from '../helpers/process-alive.js';
import { RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLifecycleHarness, heroWorkerConfig } from './lifecycle-harness.js';

describe('WorkerLifecycleManager health', () => {
  let harness: ReturnType<typeof createLifecycleHarness> | undefined;
  let redis: RedisServerProcess | undefined;
  const stoppedPids: number[] = [];
  afterEach(async () => {
    // A SIGSTOPped process ignores everything but SIGKILL and SIGCONT: let it go before cleaning up.
    for (const pid of stoppedPids.splice(0)) if (isProcessAlive(pid)) process.kill(pid, 'SIGCONT');
    await harness?.cleanup();
    harness = undefined;
    await redis?.stop();
    redis = undefined;
  });

  it('restarts a worker killed with SIGKILL, which then answers a ping', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    const { manager } = harness;
    const restarted: string[] = [];
    manager.on('worker:restarted', (event) => restarted.push(`${event.worker}: ${event.reason}`));
    const warn = vi.spyOn(console, 'warn');
    await manager.startAllWorkers();
    const before = manager.getWorkerStatus('python_worker_0').pid as number;

    process.kill(before, 'SIGKILL');

    const after = await waitFor(
      () => {
        const status = manager.getWorkerStatus('python_worker_0');
        return status.state === 'running' && status.pid !== before && status.pid;
      },
      { description: 'python_worker_0 running again with a new pid' },
    );
    expect(isProcessAlive(after)).toBe(true);
    expect(restarted).toEqual(['python_worker_0: killed by SIGKILL']);
    expect(manager.getWorkerStatus('python_worker_0').restarts).toBe(1);
    const outcome = await manager.pingWorker('python_worker_0', { timeoutMs: 5_000 });
    expect(outcome.type === 'ok' && outcome.reply.pid).toBe(after);
    // XState warns when an action sends imperatively (Finding F4 in test/faults/README.md): no state change may do that.
    expect(warn.mock.calls.map(String).filter((call) => call.includes('Custom actions should not'))).toEqual([]);
    warn.mockRestore();
  });

  it('restarts a hung worker (SIGSTOP) after 3 failed pings', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      // Idle after 300 ms without jobs, then pinged every 200 ms; a stopped process never answers, so the ping
      // timeout can be generous: a slow machine answering a live worker late must not cause a second restart.
      settings: { idleTimeoutMs: 300, pingIntervalMs: 200, pingTimeoutMs: 2_000, pingFailureThreshold: 3 },
      configure: (builder, prefix) =>
        builder.addWorker(heroWorkerConfig('python_worker_0', prefix).withStopTimeout(500)),
    });
    const { manager } = harness;
    const restarted: (string | null)[] = [];
    manager.on('worker:restarted', (event) => restarted.push(event.reason));
    await manager.startAllWorkers();
    const hung = manager.getWorkerStatus('python_worker_0').pid as number;

    process.kill(hung, 'SIGSTOP');
    stoppedPids.push(hung);

    await waitFor(() => restarted.length > 0, { description: 'a restart', timeoutMs: 30_000 });
    expect(restarted).toEqual(['ping-failures']);
    // A loaded machine may need several seconds before the new process answers: poll until it does.
    const answeringPid = await waitFor(
      async () => {
        const outcome = await manager.pingWorker('python_worker_0', { timeoutMs: 2_000 });
        return outcome.type === 'ok' && outcome.reply.pid;
      },
      { description: 'the new process answering a ping', timeoutMs: 30_000 },
    );
    expect(answeringPid).not.toBe(hung);
    expect(manager.getWorkerStatus('python_worker_0').pid).toBe(answeringPid);
    expect(isProcessAlive(hung)).toBe(false);
  });

  it('monitorWorkerHealth() pings idle workers through their actors: its failures count toward the restart', async () => {
    harness = createLifecycleHarness({
      redisUrl: inject('redisUrl'),
      // Idle after 300 ms; the actor's own next ping is an hour away, so every later ping is the health pass's. A
      // generous ping timeout: on a slow machine, the passes before the first answer must not add up to a restart.
      settings: { idleTimeoutMs: 300, pingIntervalMs: 3_600_000, pingTimeoutMs: 2_000, pingFailureThreshold: 3 },
      configure: (builder, prefix) =>
        builder.addWorker(heroWorkerConfig('python_worker_0', prefix).withStopTimeout(500)),
    });
    const { manager } = harness;
    const pinged: string[] = [];
    const restarted: (string | null)[] = [];
    manager.on('worker:pinged', (event) => pinged.push(`${event.worker}:${event.scriptType}:${event.outcome}`));
    manager.on('worker:restarted', (event) => restarted.push(event.reason));
    await manager.startAllWorkers();
    const pid = manager.getWorkerStatus('python_worker_0').pid as number;

    // A health pass answered: from then on the worker's failures count (before, it may still be starting).
    const healthy = await waitFor(
      async () => {
        const reports = await manager.monitorWorkerHealth();
        return reports[0]?.outcome.type === 'ok' && reports;
      },
      { description: 'a health pass the idle worker answered' },
    );

    expect(healthy.map((report) => report.worker)).toEqual(['python_worker_0']);
    expect(healthy[0]?.outcome.type === 'ok' && healthy[0].outcome.reply.pid).toBe(pid);
    expect(pinged.at(-1)).toBe('python_worker_0:python:ok');
    const mark = pinged.length;

    process.kill(pid, 'SIGSTOP');
    stoppedPids.push(pid);
    for (let pass = 1; pass <= 3; pass += 1) {
      const [report] = await manager.monitorWorkerHealth();
      expect(report?.outcome.type).toBe('timeout');
    }

    await waitFor(() => restarted.length > 0, {
      description: 'the restart after 3 failed health passes',
      timeoutMs: 30_000,
    });
    expect(restarted).toEqual(['ping-failures']);
    expect(pinged.slice(mark)).toEqual(Array(3).fill('python_worker_0:python:timeout'));
  });

  it('restarts no worker while Redis is unreachable, and health checks resume when it returns', async () => {
    redis = await RedisServerProcess.start();
    harness = createLifecycleHarness({
      redisUrl: redis.url,
      // What is checked is how each ping during the outage is judged (never counted), not a restart that a slow
      // machine could also cause by answering late: the threshold is out of reach of slowness.
      settings: { idleTimeoutMs: 300, pingIntervalMs: 200, pingTimeoutMs: 300, pingFailureThreshold: 1_000 },
      configure: (builder, prefix) => builder.addWorker(heroWorkerConfig('python_worker_0', prefix)),
    });
    const { manager } = harness;
    const restarted: string[] = [];
    const states: string[] = [];
    const outcomes: string[] = [];
    manager.on('worker:restarted', (event) => restarted.push(String(event.reason)));
    manager.on('worker:stateChanged', (event) => states.push(event.to));
    manager.on('worker:pinged', (event) => outcomes.push(event.outcome));
    await manager.startAllWorkers();
    await waitFor(() => states.filter((state) => state === 'pinging').length >= 2, { description: 'pings while up' });

    await redis.stop();
    // Many ping rounds pass while Redis is down: each would count as a failure if it were the worker's fault.
    const pingsWhileDown = outcomes.length;
    await waitFor(() => outcomes.length - pingsWhileDown >= 6, { description: 'six pings during the outage' });
    // The first may have been sent before Redis went away; every later one was sent while it was down.
    expect(outcomes.slice(pingsWhileDown + 1)).toEqual(
      Array(outcomes.length - pingsWhileDown - 1).fill('transport-down'),
    );
    expect(restarted).toEqual([]);

    await redis.start();

    const outcome = await waitFor(
      async () => {
        const result = await manager.pingWorker('python_worker_0', { timeoutMs: 1_000 });
        return result.type === 'ok' && result;
      },
      { description: 'the worker answering pings again', timeoutMs: 15_000 },
    );
    expect(outcome.type).toBe('ok');
    expect(restarted).toEqual([]);
    expect(manager.getWorkerStatus('python_worker_0').state).not.toBe('failed');
  });
});
