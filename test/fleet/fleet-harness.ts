/**
 * Three (or more) real `hero-supervisor run` daemons on one Redis (or Redis Cluster) and one key prefix, each with
 * its own embedded backend and state directory, and what a fleet test watches: the fleet report (GET /fleet), the
 * workers each daemon runs (GET /status), and every ping reply on the prefix's reply channels.
 */
import type { Redis } from 'ioredis';
import type { FleetReport } from '../../src/fleet/fleet-report.js';
import { type DaemonUnderTest, startDaemon } from '../cli/daemon-process.js';

export interface FleetDaemonOptions {
  redisUrl: string;
  /** The `redis` section: url, keyPrefix, cluster. */
  redisYaml: string;
  hostId: string;
  python: string;
  fleetYaml: string;
}

export function startFleetDaemon(options: FleetDaemonOptions): Promise<DaemonUnderTest> {
  return startDaemon({
    redisUrl: options.redisUrl,
    redisYaml: options.redisYaml,
    python: options.python,
    extraYaml: [
      `fleet: { hostId: ${options.hostId}, ${options.fleetYaml} }`,
      // Idle workers are pinged often, so that ping replies cross the prefix while the test watches.
      'health: { idleTimeoutMs: 300ms, pingIntervalMs: 300ms, pingTimeoutMs: 2s }',
    ].join('\n'),
  });
}

export async function admin<T>(daemon: DaemonUnderTest, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${daemon.endpoint}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${daemon.token}`, 'Content-Type': 'application/json' },
  });
  const body = (await response.json()) as T;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

export function fleetReport(daemon: DaemonUnderTest): Promise<FleetReport> {
  return admin<FleetReport>(daemon, '/fleet');
}

const UP_OR_STARTING = new Set(['starting', 'running', 'idle', 'pinging']);

/** Workers a daemon runs now (starting, running, idle, pinging), from its own status. */
export async function runningOn(daemon: DaemonUnderTest): Promise<number> {
  const status = await admin<{ workers: { state: string; scriptType: string }[] }>(daemon, '/status');
  return status.workers.filter((worker) => UP_OR_STARTING.has(worker.state)).length;
}

/** Records the ping replies published on `<prefix>:ping-replies.*`: channel → the worker ids that answered on it. */
export class PingReplyWatch {
  readonly byChannel = new Map<string, Set<string>>();
  readonly #subscriber: Redis;

  private constructor(subscriber: Redis) {
    this.#subscriber = subscriber;
  }

  static async start(subscriber: Redis, prefix: string): Promise<PingReplyWatch> {
    const watch = new PingReplyWatch(subscriber);
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const { reply } = JSON.parse(message) as { reply?: { workerId?: string } };
      if (typeof reply?.workerId !== 'string') return;
      const ids = watch.byChannel.get(channel) ?? new Set<string>();
      ids.add(reply.workerId);
      watch.byChannel.set(channel, ids);
    });
    await subscriber.psubscribe(`${prefix}:ping-replies.*`);
    return watch;
  }

  /** Per reply channel (one per supervisor), the host ids of the workers that answered on it. */
  hostsPerChannel(): string[][] {
    return [...this.byChannel.values()].map((ids) => [...new Set([...ids].map((id) => id.split('.')[0] ?? ''))]);
  }

  close(): void {
    this.#subscriber.disconnect();
  }
}
