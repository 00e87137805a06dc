/**
 * What every check shares: the private Redis, the names, a producer queue for the worker's script type, a ping
 * client, and a recorder of every job-activity message the worker publishes.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PingClient } from '../transport/ping-client.js';
import { checkMessage } from '../transport/protocol-check.js';
import { jobActivitySchema } from '../transport/protocol-schemas.js';
import { activityChannel, jobQueueName } from '../transport/queue-names.js';
import { JOB_RETENTION, type JobActivity, type JobData, SCRIPT_JOB_NAME } from '../transport/wire-protocol.js';
import type { ConformanceOptions } from './conformance-options.js';
import type { WorkerUnderTest } from './worker-under-test.js';

/** Poll step of every wait of the kit. */
const POLL_MS = 25;

export type ActivityRecord = { ok: true; activity: JobActivity } | { ok: false; problem: string; raw: string };

export class KitContext {
  readonly queue: Queue;
  readonly pings: PingClient;
  readonly activity: ActivityRecord[] = [];
  /** The jobs of the job checks, for the activity check. */
  readonly jobIds: { completed?: string; failed?: string } = {};
  worker: WorkerUnderTest | undefined;
  readonly #connection: Redis;
  readonly #subscriber: Redis;

  constructor(
    readonly options: ConformanceOptions,
    readonly redisUrl: string,
  ) {
    this.#connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.queue = new Queue(jobQueueName(options.scriptType), { connection: this.#connection, prefix: options.prefix });
    this.pings = new PingClient({ connection: this.#connection, prefix: options.prefix });
    this.#subscriber = new Redis(redisUrl);
    this.#subscriber.on('message', (_channel: string, message: string) => this.#record(message));
  }

  async start(): Promise<void> {
    await this.#subscriber.subscribe(activityChannel(this.options.prefix));
  }

  #record(message: string): void {
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      this.activity.push({ ok: false, problem: 'job activity message is not JSON', raw: message });
      return;
    }
    const checked = checkMessage(jobActivitySchema, 'job activity', value);
    this.activity.push(
      checked.ok
        ? { ok: true, activity: checked.value as JobActivity }
        : { ok: false, problem: checked.problem.message, raw: message },
    );
  }

  /** Adds a script job as a plain producer does (PROTOCOL.md); `data` overrides fields (a broken job). */
  async addJob(
    script: string,
    { timeoutMs = 30_000, attempts = 1, data = {} }: { timeoutMs?: number; attempts?: number; data?: object } = {},
  ): Promise<string> {
    const id = randomUUID();
    const job: JobData = {
      id,
      scriptType: this.options.scriptType,
      script,
      env: {},
      timeoutMs,
      callerId: 'hero-worker-conformance',
      contextId: 'conformance',
      createdAt: Date.now(),
    };
    await this.queue.add(
      SCRIPT_JOB_NAME,
      { ...job, ...data },
      {
        jobId: id,
        attempts,
        backoff: { type: 'fixed', delay: 0 },
        removeOnComplete: JOB_RETENTION,
        removeOnFail: JOB_RETENTION,
      },
    );
    return id;
  }

  async state(jobId: string): Promise<string> {
    return this.queue.getJobState(jobId);
  }

  async job(jobId: string): Promise<Job | undefined> {
    return (await this.queue.getJob(jobId)) ?? undefined;
  }

  /** Whether BullMQ's lock on an active job is held (`<prefix>:<queue>:<jobId>:lock`). */
  async locked(jobId: string): Promise<boolean> {
    const key = `${this.options.prefix}:${jobQueueName(this.options.scriptType)}:${jobId}:lock`;
    return (await this.#connection.exists(key)) === 1;
  }

  /** Polls until `condition` gives a value, or `undefined` at the deadline. */
  async until<T>(condition: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = await condition().catch(() => undefined);
      if (value !== undefined && value !== false) return value;
      if (performance.now() >= deadline) return undefined;
      await sleep(POLL_MS);
    }
  }

  /** Resolves with the job's state once it is `completed` or `failed`, `undefined` at the deadline. */
  finished(jobId: string, timeoutMs: number): Promise<'completed' | 'failed' | undefined> {
    return this.until(async () => {
      const state = await this.state(jobId);
      return state === 'completed' || state === 'failed' ? state : undefined;
    }, timeoutMs);
  }

  async close(): Promise<void> {
    this.worker?.signalGroup('SIGKILL');
    if (this.worker) await this.worker.exited;
    await this.pings.close().catch(() => {});
    await this.queue.close().catch(() => {});
    this.#subscriber.disconnect();
    this.#connection.disconnect();
  }
}
