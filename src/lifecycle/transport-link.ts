/**
 * The lifecycle's link to the workers over Redis: opens the transport once (Redis may itself be a dependency),
 * forwards job activity, remembers when its own connection became ready again after a loss (the reconnect grace of
 * ping-verdict.ts), and answers whether Redis is reachable at all.
 */
import type { Logger } from 'pino';
import { defaultWorkerSettings } from '../../machines/worker.defaults.js';
import type { JobActivity } from '../transport/wire-protocol.js';
import { type Clock, sleepOn, withinOn } from './clock.js';
import type { LifecycleTransport } from './lifecycle-transport.js';
import type { PingPort } from './ping-port.js';

/** How long a start waits for the job-activity subscription; Redis being down must not block the start. */
const ACTIVITY_READY_WAIT_MS = 2_000;

/** A ping used by the reachability check before a failed ping counts; Redis answers PING in microseconds. */
const REDIS_PROBE_TIMEOUT_MS = 1_000;

export class TransportLink {
  readonly #open: () => Promise<LifecycleTransport>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #transport: LifecycleTransport | undefined;
  #opening: Promise<LifecycleTransport> | undefined;
  #restoredAt: number | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(open: () => Promise<LifecycleTransport>, clock: Clock, logger: Logger) {
    this.#open = open;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** The transport, once opened. */
  get current(): LifecycleTransport | undefined {
    return this.#transport;
  }

  /** The transport; throws before `open()` (a bug: every caller runs after the start). */
  get transport(): LifecycleTransport {
    if (this.#transport === undefined) throw new Error('internal: no transport yet; please report an issue');
    return this.#transport;
  }

  /** The port pings go through (the transport's own, or its `ping` for a transport without one). */
  get pings(): PingPort {
    const { transport } = this;
    return (
      transport.pings ?? {
        pingWorker: (workerId, options) =>
          transport.ping(workerId, { timeoutMs: options?.timeoutMs ?? defaultWorkerSettings.pingTimeoutMs }),
      }
    );
  }

  /** Opens the transport once and subscribes `onActivity`; waits a moment for the subscription to be active. */
  async open(onActivity: (activity: JobActivity) => void): Promise<void> {
    if (this.#opening !== undefined) {
      await this.#opening;
      return;
    }
    this.#opening = this.#open();
    const transport = await this.#opening;
    this.#transport = transport;
    this.#unsubscribe = transport.onJobActivity(onActivity);
    // Only a `ready` after an earlier one is a reconnection (the first may already have happened).
    let wasReady = transport.redis.status === 'ready';
    transport.redis.on('ready', () => {
      if (wasReady) {
        this.#restoredAt = this.#clock.now();
        this.#logger.info('Redis connection ready again: failed pings are not counted while the workers reconnect');
      }
      wasReady = true;
    });
    // Activity published before the subscription is active is lost; wait for it, but never block a start on Redis.
    await Promise.race([transport.ready().catch(() => {}), sleepOn(this.#clock, ACTIVITY_READY_WAIT_MS)]);
  }

  /** When (clock ms) the connection last became ready again after a loss. */
  restoredAt(): number | undefined {
    return this.#restoredAt;
  }

  async isRedisReachable(): Promise<boolean> {
    const redis = this.#transport?.redis;
    if (redis === undefined || redis.status !== 'ready') return false;
    try {
      return (await withinOn(this.#clock, redis.ping(), REDIS_PROBE_TIMEOUT_MS)) !== undefined;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    await this.#transport?.close();
  }
}
