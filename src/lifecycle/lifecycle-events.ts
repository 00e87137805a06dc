/**
 * The typed events a `WorkerLifecycleManager` emits (STYLE.md §13): namespaced names, one documented payload
 * object each. Subscribe with `manager.on('worker:restarted', (event) => ...)`; `on` returns the unsubscribe.
 */
import type { PingOutcome } from '../../machines/worker.events.js';
import type { WorkerStateName } from '../../machines/worker.machine.js';

export interface WorkerStateChangedEvent {
  worker: string;
  scriptType: string;
  /** The worker actor's previous top-level state (`undefined` for its first report). */
  from: WorkerStateName | undefined;
  to: WorkerStateName;
  pid: number | null;
  /** Why, when the change is a failure or a give-up (`killed by SIGKILL`, `restart-intensity`, ...). */
  reason: string | null;
  /** The machine event that caused the change (`process.exited`, `RESTART`, `xstate.init`...), when known. */
  event?: string;
  at: number;
}

export interface WorkerRestartedEvent {
  worker: string;
  scriptType: string;
  /** Restarts of this worker since the lifecycle manager started. */
  restarts: number;
  /** `exited with code 1`, `ping-failures`, `memory-limit`, `manual`, ... */
  reason: string | null;
  at: number;
}

export interface WorkerGaveUpEvent {
  worker: string;
  scriptType: string;
  /** `restart-intensity`, or why the start failed. */
  reason: string | null;
  at: number;
}

export interface WorkerPingedEvent {
  worker: string;
  scriptType: string;
  /**
   * What the worker machine acts on: `ok`, `timeout` and `failed` (counted), or `transport-down` (not counted:
   * Redis unreachable or just reconnected, or a fresh worker still starting).
   */
  outcome: PingOutcome['type'];
  /** The round trip of an `ok` ping; otherwise how long the ping took to fail. */
  latencyMs: number;
  at: number;
}

export interface ScalerScaledEvent {
  scriptType: string;
  from: number;
  to: number;
  /** `initial`, `manual`, `autoscale-up`, `autoscale-down`, `worker-added`, `shutdown`, or a caller's own. */
  reason: string;
  detail: string;
  at: number;
}

export interface SupervisorPhaseEvent {
  /** `startingDependencies`, `running`, `failed`, `shuttingDown`, `stopped`. */
  phase: string;
  reason: string | null;
  at: number;
}

export interface LifecycleErrorEvent {
  /** What was being done (`route process event`, `poll queue depth`, `shutdown step: ...`). */
  context: string;
  error: Error;
}

export interface LifecycleEventMap {
  'worker:stateChanged': WorkerStateChangedEvent;
  'worker:restarted': WorkerRestartedEvent;
  'worker:gaveUp': WorkerGaveUpEvent;
  /** After every ping of a worker by its actor (timed, or asked for by `monitorWorkerHealth()`). */
  'worker:pinged': WorkerPingedEvent;
  'scaler:scaled': ScalerScaledEvent;
  'supervisor:phase': SupervisorPhaseEvent;
  /** A background step failed; the manager carries on. */
  'lifecycle:error': LifecycleErrorEvent;
}

export type LifecycleEventName = keyof LifecycleEventMap;
export type LifecycleListener<K extends LifecycleEventName> = (event: LifecycleEventMap[K]) => void;

/** A small typed emitter: a listener that throws is reported as `lifecycle:error` and never stops the others. */
export class LifecycleEvents {
  readonly #listeners = new Map<LifecycleEventName, Set<(event: never) => void>>();

  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (event: never) => void);
    return () => {
      set.delete(listener as (event: never) => void);
    };
  }

  emit<K extends LifecycleEventName>(name: K, event: LifecycleEventMap[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as LifecycleListener<K>)(event);
      } catch (error) {
        if (name === 'lifecycle:error') continue;
        this.emit('lifecycle:error', { context: `listener of ${name}`, error: error as Error });
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
