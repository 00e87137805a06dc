/** PingClient against real hero-worker processes and real Redis (issue #4: Ping). */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { PingClient } from '../../src/transport/ping-client.js';
import { controlQueueName } from '../../src/transport/queue-names.js';
import { RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { HeroWorkerProcess } from '../worker/hero-worker-process.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function freshPrefix(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

function startWorker(redisUrl: string, prefix: string, workerId = `w_${randomUUID().slice(0, 6)}`) {
  const worker = new HeroWorkerProcess({ workerId, redisUrl, prefix });
  cleanups.push(() => worker.kill());
  return worker;
}

function pingClient(redisUrl: string, prefix: string): PingClient {
  const client = new PingClient({ redis: redisUrl, prefix });
  cleanups.push(() => client.close());
  return client;
}

describe('PingClient', () => {
  it('gets the worker reply to a ping', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = freshPrefix();
    const worker = startWorker(redisUrl, prefix, 'python_worker_0');
    await worker.ready();

    const outcome = await pingClient(redisUrl, prefix).ping('python_worker_0', { timeoutMs: 5_000 });

    expect(outcome.type).toBe('ok');
    if (outcome.type !== 'ok') return;
    expect(outcome.reply).toMatchObject({
      workerId: 'python_worker_0',
      pid: worker.pid,
      jobsProcessed: 0,
      activeJobs: 0,
    });
    expect(outcome.reply.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports timeout for a worker that does not run, and removes the unanswered ping job', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = freshPrefix();
    const client = pingClient(redisUrl, prefix);
    const started = Date.now();

    const outcome = await client.ping('nobody_home', { timeoutMs: 300 });

    expect(outcome).toEqual({ type: 'timeout', timeoutMs: 300 });
    // The bound: the deadline plus one cleanup round trip, far below a retry of any kind.
    expect(Date.now() - started).toBeLessThan(300 + 2_000);
    const queue = new Queue(controlQueueName('nobody_home'), { connection: { url: redisUrl }, prefix });
    cleanups.push(() => queue.close());
    expect(await queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({
      waiting: 0,
      active: 0,
      completed: 0,
      failed: 0,
    });
  });

  it('reports timeout for a worker killed with SIGKILL', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = freshPrefix();
    const worker = startWorker(redisUrl, prefix, 'doomed_worker');
    await worker.ready();
    const client = pingClient(redisUrl, prefix);
    expect((await client.ping('doomed_worker', { timeoutMs: 5_000 })).type).toBe('ok');

    await worker.kill('SIGKILL');
    const outcome = await client.ping('doomed_worker', { timeoutMs: 400 });

    expect(outcome).toEqual({ type: 'timeout', timeoutMs: 400 });
  });

  it('reports transport-down, not timeout, when Redis is stopped', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const prefix = freshPrefix();
    const worker = startWorker(redis.url, prefix, 'python_worker_1');
    await worker.ready();
    const client = pingClient(redis.url, prefix);
    expect((await client.ping('python_worker_1', { timeoutMs: 5_000 })).type).toBe('ok');

    await redis.stop();
    const outcome = await client.ping('python_worker_1', { timeoutMs: 1_000 });

    expect(outcome.type).toBe('transport-down');
    if (outcome.type === 'transport-down') expect(outcome.reason).toContain(`Redis at redis://127.0.0.1:${redis.port}`);
  });

  it('reports transport-down, and does not hang, when Redis stops answering (SIGSTOP)', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const prefix = freshPrefix();
    const worker = startWorker(redis.url, prefix, 'python_frozen');
    await worker.ready();
    const client = pingClient(redis.url, prefix);
    expect((await client.ping('python_frozen', { timeoutMs: 5_000 })).type).toBe('ok');

    process.kill(redis.pid as number, 'SIGSTOP');
    cleanups.push(async () => process.kill(redis.pid as number, 'SIGCONT'));
    const outcome = await client.ping('python_frozen', { timeoutMs: 500 });

    expect(outcome).toEqual({
      type: 'transport-down',
      reason: `Redis at redis://127.0.0.1:${redis.port} is unreachable (did not acknowledge the ping within 500 ms)`,
    });
  });

  it('answers again once Redis is back', async () => {
    const redis = await RedisServerProcess.start();
    cleanups.push(() => redis.stop());
    const prefix = freshPrefix();
    const worker = startWorker(redis.url, prefix, 'python_worker_2');
    await worker.ready();
    const client = pingClient(redis.url, prefix);
    expect((await client.ping('python_worker_2', { timeoutMs: 5_000 })).type).toBe('ok');
    await redis.restart();

    const outcome = await waitFor(
      async () => {
        const next = await client.ping('python_worker_2', { timeoutMs: 1_000 });
        return next.type === 'ok' ? next : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: 'an ok ping after the Redis restart' },
    );

    expect(outcome.reply.pid).toBe(worker.pid);
    expect(worker.child.exitCode).toBeNull();
  });

  it('fails a ping to an invalid worker id without touching Redis', async () => {
    const client = pingClient(inject('redisUrl'), freshPrefix());

    const outcome = await client.ping('bad:id', { timeoutMs: 100 });

    expect(outcome.type).toBe('failed');
    if (outcome.type === 'failed') expect(outcome.reason).toContain('Expected `workerId`');
  });
});
