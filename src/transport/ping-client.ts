/**
 * Pings workers through their control queues and tells the three failures apart: the worker did not answer
 * (`timeout`), the ping could not be sent (`failed`), or Redis itself is unreachable (`transport-down`, never the
 * worker's fault).
 *
 * A ping is a BullMQ job `ping` on `control.<workerId>` (data: `PingJobData`). The worker completes it with its
 * `PingReply` as return value and also publishes `{ jobId, reply }` on this client's reply channel: one pub/sub
 * subscription serves every worker, so a round trip costs one `add`, the worker's pick-up and one PUBLISH, with no
 * per-ping connection and no polling. If the published reply is missed (a reconnect), the job's return value is read
 * once at the deadline. An unanswered ping job is removed so none pile up.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PingOutcome, PingReply } from '../../machines/worker.events.js';
import { withinMs } from '../within-ms.js';
import { checkPingReply, checkPingReplyMessage } from './protocol-check.js';
import { controlQueueName, pingReplyChannel } from './queue-names.js';
import {
  createRedisConnection,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  resolveRedisConnection,
  watchConnection,
} from './redis-connection.js';
import { PING_JOB_NAME, type PingJobData } from './wire-protocol.js';

/** Finished ping jobs are evidence for debugging only: keep a few for a minute. */
export const PING_JOB_RETENTION = { age: 60, count: 100 } as const;

/** The default ping deadline when the caller gives none. */
export const DEFAULT_PING_TIMEOUT_MS = 2_000;

/** After the deadline, reading a missed reply and removing the ping job may take this long before Redis counts as hung. */
const PING_CLEANUP_BUDGET_MS = 500;

export interface PingClientOptions {
  /** Where Redis is; ignored when `connection` is given. @defaultValue 'redis://127.0.0.1:6379' */
  redis?: string | RedisConnectionOptions;
  /** Share an existing ioredis connection (not closed by `close()`); `prefix` must then be given if not `hero`. */
  connection?: Redis;
  /** @defaultValue the `redis` options' prefix, else 'hero' */
  prefix?: string;
  logger?: Logger;
}

export interface PingOptions {
  /** @defaultValue 2000 */
  timeoutMs?: number;
}

/** What a ping waits for: a reply, or what was wrong with the one that came (`invalid-reply`). */
type Answer = PingReply | { invalid: string };
type Waiter = (answer: Answer | undefined) => void;

export class PingClient {
  readonly clientId = randomUUID();
  readonly #resolved: ResolvedRedisConnection;
  readonly #connection: Redis;
  readonly #ownsConnection: boolean;
  readonly #logger: Logger | undefined;
  readonly #queues = new Map<string, Queue>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #replyChannel: string;
  #subscriber: Redis | undefined;
  #subscribed: Promise<boolean> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: PingClientOptions = {}) {
    const redis = typeof options.redis === 'string' ? { url: options.redis } : (options.redis ?? {});
    this.#resolved = resolveRedisConnection({ ...redis, prefix: options.prefix ?? redis.prefix });
    this.#logger = options.logger;
    this.#replyChannel = pingReplyChannel(this.#resolved.prefix, this.clientId);
    if (options.connection) {
      this.#connection = options.connection;
      this.#ownsConnection = false;
    } else {
      this.#connection = createRedisConnection(this.#resolved, { name: 'hero-ping-client', logger: this.#logger });
      this.#ownsConnection = true;
    }
  }

  get prefix(): string {
    return this.#resolved.prefix;
  }

  /** The lifecycle's ping port (src/lifecycle/ping-port.ts), as the job client's `Supervisor` names it. */
  pingWorker(workerId: string, options: PingOptions = {}): Promise<PingOutcome> {
    return this.ping(workerId, options);
  }

  /** Sends one ping and resolves with its outcome; never rejects. */
  async ping(workerId: string, { timeoutMs = DEFAULT_PING_TIMEOUT_MS }: PingOptions = {}): Promise<PingOutcome> {
    if (this.#closing) return { type: 'failed', reason: 'the ping client is closed' };
    const started = performance.now();
    const deadline = started + timeoutMs;
    let queue: Queue;
    try {
      queue = this.#queueFor(workerId);
    } catch (error) {
      return { type: 'failed', reason: (error as Error).message };
    }
    if (!(await this.#ready(this.#connection, deadline))) return this.#transportDown();

    const jobId = randomUUID();
    let settle: (answer: Answer | undefined) => void = () => {};
    const answered = new Promise<Answer | undefined>((resolve) => {
      settle = resolve;
    });
    const timer = setTimeout(() => settle(undefined), Math.max(0, deadline - performance.now()));
    this.#waiters.set(jobId, (reply) => settle(reply));
    try {
      if (!(await this.#ensureSubscribed(deadline))) return this.#transportDown();
      const data: PingJobData = { type: 'ping', sentAt: Date.now(), timeoutMs, replyChannel: this.#replyChannel };
      let acknowledged = false;
      const added = queue
        .add(PING_JOB_NAME, data, { jobId, removeOnComplete: PING_JOB_RETENTION, removeOnFail: PING_JOB_RETENTION })
        .then(
          () => {
            acknowledged = true;
            return undefined;
          },
          (error: Error) => error,
        );
      const addError = await Promise.race([added, answered.then(() => undefined)]);
      if (addError) {
        if (this.#connection.status !== 'ready') return this.#transportDown();
        return { type: 'failed', reason: `could not send the ping: ${addError.message}` };
      }
      const reply = await answered;
      if (this.#closing) return { type: 'failed', reason: 'the ping client was closed while waiting' };
      if (reply && 'invalid' in reply) return this.#invalidReply(workerId, reply.invalid);
      if (reply) return { type: 'ok', reply, latencyMs: performance.now() - started };
      if (this.#connection.status !== 'ready') return this.#transportDown();
      // A connected Redis that did not even acknowledge the ping job in time is hung or overloaded: not the worker.
      if (!acknowledged) return this.#transportDown(`did not acknowledge the ping within ${timeoutMs} ms`);
      const late = await withinMs(
        this.#afterDeadline(workerId, queue, jobId, started, timeoutMs),
        PING_CLEANUP_BUDGET_MS,
      );
      return late ?? this.#transportDown(`did not answer within ${PING_CLEANUP_BUDGET_MS} ms after the deadline`);
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(jobId);
    }
  }

  /** At the deadline: a reply we missed is still a reply; otherwise remove the ping job and report `timeout`. */
  async #afterDeadline(
    workerId: string,
    queue: Queue,
    jobId: string,
    started: number,
    timeoutMs: number,
  ): Promise<PingOutcome> {
    try {
      const job = await queue.getJob(jobId);
      if (job?.finishedOn !== undefined && job.returnvalue !== null && job.returnvalue !== undefined) {
        const checked = checkPingReply(job.returnvalue);
        if (!checked.ok) return this.#invalidReply(workerId, checked.problem.message);
        return { type: 'ok', reply: checked.value, latencyMs: performance.now() - started };
      }
      // 0 when a worker holds the job's lock right now; it then sees a stale ping and ignores it.
      await queue.remove(jobId);
    } catch (error) {
      this.#logger?.debug({ jobId, err: { message: (error as Error).message } }, 'ping cleanup failed');
      if (this.#connection.status !== 'ready') return this.#transportDown();
    }
    return { type: 'timeout', timeoutMs };
  }

  /** The worker answered, but not as the protocol says: logged at warn, so its author learns what to fix. */
  #invalidReply(workerId: string, problem: string): PingOutcome {
    this.#logger?.warn({ workerId, problem }, 'ping reply does not match the protocol (src/transport/PROTOCOL.md)');
    return { type: 'invalid-reply', reason: problem };
  }

  #transportDown(detail = `connection ${this.#connection.status}`): PingOutcome {
    return {
      type: 'transport-down',
      reason: `Redis at ${this.#resolved.display} is unreachable (${detail})`,
    };
  }

  /** Resolves true once the connection is ready; false at the deadline or at once when it is known to be down. */
  async #ready(connection: Redis, deadline: number): Promise<boolean> {
    if (connection.status === 'ready') return true;
    // After a successful first connect, `reconnecting`/`close`/`end` mean Redis went away: say so at once.
    if (connection.status !== 'wait' && connection.status !== 'connecting' && connection.status !== 'connect')
      return false;
    if (connection.status === 'wait') connection.connect().catch(() => {});
    return new Promise<boolean>((resolve) => {
      const onReady = () => finish(true);
      const onDown = () => finish(false);
      const timer = setTimeout(onDown, Math.max(0, deadline - performance.now()));
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        connection.off('ready', onReady);
        connection.off('reconnecting', onDown);
        connection.off('end', onDown);
        resolve(ok);
      };
      connection.once('ready', onReady);
      connection.once('reconnecting', onDown);
      connection.once('end', onDown);
    });
  }

  async #ensureSubscribed(deadline: number): Promise<boolean> {
    if (!this.#subscriber) {
      const subscriber = this.#connection.duplicate({ connectionName: 'hero-ping-replies' });
      watchConnection(subscriber, { name: 'hero-ping-replies', display: this.#resolved.display, logger: this.#logger });
      subscriber.on('message', (_channel: string, message: string) => this.#onReply(message));
      this.#subscriber = subscriber;
      // ioredis re-subscribes by itself after a reconnect (autoResubscribe).
      this.#subscribed = this.#subscribe(subscriber);
    }
    const subscriber = this.#subscriber;
    if (subscriber.status !== 'ready' && !(await this.#ready(subscriber, deadline))) return false;
    const subscribed =
      (await withinMs(this.#subscribed ?? this.#subscribe(subscriber), deadline - performance.now())) === true;
    // A failed SUBSCRIBE is tried again by the next ping.
    if (!subscribed) this.#subscribed = undefined;
    return subscribed;
  }

  #subscribe(subscriber: Redis): Promise<boolean> {
    const subscribed = subscriber.subscribe(this.#replyChannel).then(
      () => true,
      () => false,
    );
    this.#subscribed = subscribed;
    return subscribed;
  }

  #onReply(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      this.#logger?.warn(
        { message: message.slice(0, 200) },
        'ping reply message is not JSON (src/transport/PROTOCOL.md)',
      );
      return;
    }
    const checked = checkPingReplyMessage(parsed);
    if (checked.ok) {
      this.#waiters.get(checked.value.jobId)?.(checked.value.reply);
      return;
    }
    // A wrong reply to one of our pings ends that ping now as `invalid-reply` (logged there), named as the return
    // value's check would name it.
    const { jobId, reply } = (parsed ?? {}) as { jobId?: unknown; reply?: unknown };
    const waiter = typeof jobId === 'string' ? this.#waiters.get(jobId) : undefined;
    const replyCheck = checkPingReply(reply);
    if (waiter) waiter({ invalid: replyCheck.ok ? checked.problem.message : replyCheck.problem.message });
    else this.#logger?.warn({ problem: checked.problem.message }, 'ping reply message does not match the protocol');
  }

  #queueFor(workerId: string): Queue {
    let queue = this.#queues.get(workerId);
    if (!queue) {
      queue = new Queue(controlQueueName(workerId), { connection: this.#connection, prefix: this.#resolved.prefix });
      queue.on('error', (error: Error) =>
        this.#logger?.debug({ workerId, err: { message: error.message } }, 'control queue error'),
      );
      this.#queues.set(workerId, queue);
    }
    return queue;
  }

  /** Forgets a worker's control queue (e.g. when the worker is removed for good). */
  async forget(workerId: string): Promise<void> {
    const queue = this.#queues.get(workerId);
    this.#queues.delete(workerId);
    await queue?.close().catch(() => {});
  }

  /** Idempotent: closes queues, the reply subscription and an owned connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const waiter of this.#waiters.values()) waiter(undefined);
      const steps: (() => Promise<unknown>)[] = [
        ...[...this.#queues.values()].map((queue) => () => queue.close()),
        async () => this.#subscriber?.disconnect(),
        async () => (this.#ownsConnection ? this.#connection.disconnect() : undefined),
      ];
      for (const step of steps) {
        await step().catch((error: Error) =>
          this.#logger?.warn({ err: { message: error.message } }, 'ping client cleanup step failed'),
        );
      }
      this.#queues.clear();
    })();
    return this.#closing;
  }
}
