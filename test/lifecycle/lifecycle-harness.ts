/**
 * A lifecycle manager on the embedded backend with real `hero-worker` processes (from dist/: run `npm run build`
 * first), a fresh key prefix per test, short timings, and a capturing pino logger. `cleanup()` shuts everything
 * down; tests call it in afterEach.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import type { WorkerLifecycleManager } from '../../src/lifecycle/worker-lifecycle-manager.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import type { ProcessManager } from '../../src/process/process-manager.js';
import { jobQueueName } from '../../src/transport/queue-names.js';
import { JOB_RETENTION, type JobData, SCRIPT_JOB_NAME } from '../../src/transport/wire-protocol.js';

export const HERO_WORKER = fileURLToPath(new URL('../../dist/src/cli/hero-worker.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(HERO_WORKER)) throw new Error(`${HERO_WORKER} is missing: run \`npm run build\` first.`);
}

/** Timings short enough for tests; the behaviour does not depend on the numbers. */
export const FAST_SETTINGS: Partial<WorkerSettings> = {
  idleTimeoutMs: 60_000,
  pingIntervalMs: 60_000,
  pingTimeoutMs: 1_000,
  startTimeoutMs: 15_000,
  backoffBaseMs: 50,
  backoffMaxMs: 500,
};

/** A hero-worker template for script type `python` under `prefix`. */
export function heroWorkerConfig(name: string, prefix: string, scriptType = 'python'): WorkerConfig {
  return new WorkerConfig(name, process.execPath, scriptType)
    .withArgs([
      HERO_WORKER,
      '--script-type',
      '{scriptType}',
      '--worker-id',
      '{workerId}',
      '--redis-url',
      '{redisUrl}',
      '--prefix',
      prefix,
      '--log-level',
      'warn',
      '--shutdown-timeout',
      '5000',
    ])
    .withStopTimeout(5_000);
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function captureLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const text of String(chunk).split('\n')) if (text.trim()) lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export interface HarnessOptions {
  redisUrl: string;
  configure?: (builder: WorkerLifecycleManagerBuilder, prefix: string) => WorkerLifecycleManagerBuilder;
  settings?: Partial<WorkerSettings>;
  processes?: ProcessManager;
}

export function createLifecycleHarness({ redisUrl, configure, settings, processes }: HarnessOptions) {
  assertBuilt();
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const backend = processes ?? new EmbeddedProcessManager();
  const { logger, lines } = captureLogger();
  let builder = new WorkerLifecycleManagerBuilder(backend)
    .withRedis(redisUrl, { prefix })
    .withLogger(logger)
    .withSettings({ ...FAST_SETTINGS, ...settings });
  builder = configure ? configure(builder, prefix) : builder;
  const manager: WorkerLifecycleManager = builder.build();
  const queues: Queue[] = [];

  /** Adds a script job the plain BullMQ way (the wire protocol), as any producer may. */
  async function addJob(script: string, scriptType = 'python', timeoutMs = 30_000): Promise<string> {
    let queue = queues.find((candidate) => candidate.name === jobQueueName(scriptType));
    if (queue === undefined) {
      queue = new Queue(jobQueueName(scriptType), { connection: { url: redisUrl }, prefix });
      queues.push(queue);
    }
    const id = randomUUID();
    const data: JobData = {
      id,
      scriptType,
      script,
      env: {},
      timeoutMs,
      callerId: 'test',
      contextId: 'test',
      createdAt: Date.now(),
    };
    await queue.add(SCRIPT_JOB_NAME, data, { jobId: id, removeOnComplete: JOB_RETENTION, removeOnFail: JOB_RETENTION });
    return id;
  }

  async function jobState(id: string, scriptType = 'python'): Promise<string | undefined> {
    const queue = queues.find((candidate) => candidate.name === jobQueueName(scriptType));
    return (await queue?.getJobState(id)) ?? undefined;
  }

  /** Why a job failed (BullMQ `failedReason`), for assertion messages. */
  async function failedReason(id: string, scriptType = 'python'): Promise<string | undefined> {
    const queue = queues.find((candidate) => candidate.name === jobQueueName(scriptType));
    return (await queue?.getJob(id))?.failedReason;
  }

  async function cleanup(): Promise<void> {
    await manager.shutdown();
    await Promise.all(queues.map((queue) => queue.close()));
    if (processes === undefined) await backend.close();
  }

  return { manager, backend, prefix, lines, addJob, jobState, failedReason, cleanup };
}

/**
 * The pid of an interpreter that `workerPid` runs in a process group of its own (its script is running), if any.
 * Read from /proc: `stat` holds `pid (comm) state ppid pgrp ...`.
 */
export function runningScriptOf(workerPid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it ended while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [ppid, pgrp] = [Number(fields[1]), Number(fields[2])];
    if (ppid === workerPid && pgrp === Number(entry)) return Number(entry);
  }
  return undefined;
}
