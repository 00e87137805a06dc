/**
 * What the dashboard remembers of the lifecycle manager's events: the recent fleet events (restarts with
 * reasons, scale decisions, give-ups, phases, a process backend lost and restored) and, per worker, its recent
 * state transitions with the event that caused each. Bounded ring buffers: memory does not grow with uptime.
 */
import type { LifecycleEventName, LifecycleListener } from '../../lifecycle/lifecycle-events.js';
import { RingBuffer } from './ring-buffer.js';

/** Where lifecycle events come from: `WorkerLifecycleManager.on`. */
export interface LifecycleEventSource {
  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void;
}

/** A process backend that reports losing its connection (Zinit's `subscribeBackend`). */
export interface BackendEventSource {
  subscribeBackend(
    listener: (event: { type: 'backend.unavailable' | 'backend.restored'; reason?: string; at: number }) => void,
  ): () => void;
}

export type ActivityKind =
  | 'restart'
  | 'gave-up'
  | 'scale'
  | 'phase'
  | 'backend-lost'
  | 'backend-restored'
  | 'redis-lost'
  | 'redis-restored';

export interface ActivityEntry {
  at: number;
  kind: ActivityKind;
  scriptType: string | null;
  worker: string | null;
  /** One line for a person: `python_worker_0 restarted (3rd restart)`, `python 2 → 4 (autoscale-up)`. */
  text: string;
  reason: string | null;
}

export interface TransitionEntry {
  at: number;
  from: string | null;
  to: string;
  /** The machine event behind the transition, when the lifecycle manager reports it. */
  event: string | null;
  reason: string | null;
  pid: number | null;
}

const RECENT_ACTIVITY = 200;
const TRANSITIONS_PER_WORKER = 40;
/** Forgotten workers (scaled away) are dropped beyond this many, oldest first. */
const WORKERS_REMEMBERED = 1_000;

export type ActivityListener = (change: {
  activity?: ActivityEntry;
  transition?: TransitionEntry & { worker: string };
}) => void;

export class DashboardActivity {
  readonly #recent = new RingBuffer<ActivityEntry>(RECENT_ACTIVITY);
  readonly #transitions = new Map<string, RingBuffer<TransitionEntry>>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #listeners = new Set<ActivityListener>();
  #restartsSinceTake = 0;
  #redisReachable: boolean | undefined;

  constructor(events: LifecycleEventSource, backend?: BackendEventSource) {
    this.#unsubscribe.push(
      events.on('worker:stateChanged', (event) => {
        this.#transition(event.worker, {
          at: event.at,
          from: event.from ?? null,
          to: event.to,
          event: event.event ?? null,
          reason: event.reason,
          pid: event.pid,
        });
      }),
      events.on('worker:restarted', (event) => {
        this.#restartsSinceTake++;
        this.#add({
          at: event.at,
          kind: 'restart',
          scriptType: event.scriptType,
          worker: event.worker,
          text: `${event.worker} restarted (restart ${event.restarts})`,
          reason: event.reason,
        });
      }),
      events.on('worker:gaveUp', (event) => {
        this.#add({
          at: event.at,
          kind: 'gave-up',
          scriptType: event.scriptType,
          worker: event.worker,
          text: `${event.worker} gave up`,
          reason: event.reason,
        });
      }),
      events.on('scaler:scaled', (event) => {
        this.#add({
          at: event.at,
          kind: 'scale',
          scriptType: event.scriptType,
          worker: null,
          text: `${event.scriptType} ${event.from} → ${event.to} (${event.reason})`,
          reason: event.detail || null,
        });
      }),
      events.on('supervisor:phase', (event) => {
        this.#add({
          at: event.at,
          kind: 'phase',
          scriptType: null,
          worker: null,
          text: `supervisor ${event.phase}`,
          reason: event.reason,
        });
      }),
    );
    if (backend !== undefined) {
      this.#unsubscribe.push(
        backend.subscribeBackend((event) => {
          const lost = event.type === 'backend.unavailable';
          this.#add({
            at: event.at,
            kind: lost ? 'backend-lost' : 'backend-restored',
            scriptType: null,
            worker: null,
            text: lost ? 'process backend lost' : 'process backend restored',
            reason: event.reason ?? null,
          });
        }),
      );
    }
  }

  /**
   * Whether the latest sample could read the queues from Redis: a change is listed (`Redis unreachable`, `Redis
   * reachable again`), the first sample only sets the baseline.
   */
  noteRedis(reachable: boolean, at: number): void {
    const before = this.#redisReachable;
    this.#redisReachable = reachable;
    if (before === undefined || before === reachable) return;
    this.#add({
      at,
      kind: reachable ? 'redis-restored' : 'redis-lost',
      scriptType: null,
      worker: null,
      text: reachable ? 'Redis reachable again' : 'Redis unreachable: queue counts unknown',
      reason: null,
    });
  }

  /** Called with every new entry (the event stream forwards them). */
  subscribe(listener: ActivityListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Oldest first. */
  recent(): ActivityEntry[] {
    return this.#recent.toArray();
  }

  /** A worker's recent transitions, oldest first (empty for a worker never seen). */
  transitionsOf(worker: string): TransitionEntry[] {
    return this.#transitions.get(worker)?.toArray() ?? [];
  }

  /** Restarts counted since the previous call (one chart point's worth). */
  takeRestarts(): number {
    const count = this.#restartsSinceTake;
    this.#restartsSinceTake = 0;
    return count;
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#listeners.clear();
  }

  #add(entry: ActivityEntry): void {
    this.#recent.push(entry);
    this.#notify({ activity: entry });
  }

  #transition(worker: string, entry: TransitionEntry): void {
    let ring = this.#transitions.get(worker);
    if (ring === undefined) {
      if (this.#transitions.size >= WORKERS_REMEMBERED) {
        const oldest = this.#transitions.keys().next().value;
        if (oldest !== undefined) this.#transitions.delete(oldest);
      }
      ring = new RingBuffer(TRANSITIONS_PER_WORKER);
      this.#transitions.set(worker, ring);
    }
    ring.push(entry);
    this.#notify({ transition: { worker, ...entry } });
  }

  #notify(change: Parameters<ActivityListener>[0]): void {
    for (const listener of this.#listeners) listener(change);
  }
}

/** The process manager's backend events, when it has them (Zinit does; the embedded backend is never "lost"). */
export function backendEventSourceOf(processManager: object): BackendEventSource | undefined {
  const candidate = processManager as Partial<BackendEventSource>;
  return typeof candidate.subscribeBackend === 'function' ? (candidate as BackendEventSource) : undefined;
}
