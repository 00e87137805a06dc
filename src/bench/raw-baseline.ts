/**
 * The raw-BullMQ side of the comparisons: baseline worker processes (raw-bullmq-worker.js) and a plain
 * producer that awaits a job's result with `waitUntilFinished`, as a BullMQ user would without us.
 */
import type { ChildProcess } from 'node:child_process';
import { Queue, QueueEvents } from 'bullmq';
import type { BenchContext } from './bench-context.js';
import { RAW_BULLMQ_WORKER, spawnNode, waitForLine } from './processes.js';

/** A worker process that has not connected to Redis within this is broken, not slow. */
export const WORKER_READY_TIMEOUT_MS = 15_000;

export interface RawWorkerOptions {
  queue: string;
  mode: 'echo' | 'spawn';
  interpreter?: string;
  /** Run the interpreter under `setpriv --pdeathsig KILL --`, as hero-worker did before #16 (now its fallback). */
  wrap?: 'none' | 'setpriv';
  concurrency?: number;
}

export async function startRawWorker(ctx: BenchContext, options: RawWorkerOptions): Promise<ChildProcess> {
  const child = spawnNode(
    RAW_BULLMQ_WORKER,
    [
      '--redis-url',
      ctx.redisUrl,
      '--queue',
      options.queue,
      '--prefix',
      ctx.prefix,
      '--mode',
      options.mode,
      '--interpreter',
      options.interpreter ?? 'cat',
      '--wrap',
      options.wrap ?? 'none',
      '--concurrency',
      String(options.concurrency ?? 1),
    ],
    { pipeStdout: true },
  );
  await waitForLine(child, 'ready', WORKER_READY_TIMEOUT_MS);
  return child;
}

export interface RawProducer {
  queue: Queue;
  events: QueueEvents;
  /** Adds a job and awaits its return value (BullMQ's `waitUntilFinished`). */
  roundTrip(data: unknown, timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

export async function openRawProducer(ctx: BenchContext, queueName: string): Promise<RawProducer> {
  const connection = { url: ctx.redisUrl, maxRetriesPerRequest: null };
  const queue = new Queue(queueName, { connection, prefix: ctx.prefix });
  const events = new QueueEvents(queueName, { connection, prefix: ctx.prefix });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  return {
    queue,
    events,
    roundTrip: async (data, timeoutMs) => {
      const job = await queue.add('job', data, {
        removeOnComplete: { age: 600, count: 10_000 },
        removeOnFail: { age: 600, count: 10_000 },
      });
      return job.waitUntilFinished(events, timeoutMs);
    },
    close: async () => {
      await Promise.all([events.close(), queue.close()]);
    },
  };
}

/** Runs `fn` `warmup + n` times in sequence and returns the last `n` durations in ms. */
export async function sampleSequential(n: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + n; i += 1) {
    const started = performance.now();
    await fn();
    if (i >= warmup) samples.push(performance.now() - started);
  }
  return samples;
}
