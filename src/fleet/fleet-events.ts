/** The typed events of a fleet member; `on` returns the unsubscribe function. */
import { EventEmitter } from 'node:events';

export interface FleetEventMap {
  /** The live membership changed (as this member saw it). */
  'fleet:members': { hostId: string; members: string[]; joined: string[]; left: string[]; at: number };
  /** Who coordinates now (this member's view), with the lease's fencing token. */
  'fleet:coordinator': { hostId: string; coordinator: string | null; token: number | null; at: number };
  /** This member's share of a script type changed. */
  'fleet:assigned': { hostId: string; scriptType: string; from: number | null; to: number; token: number; at: number };
  /** The coordinator changed the fleet's desired count (autoscaling). */
  'fleet:desired': {
    hostId: string;
    scriptType: string;
    from: number;
    to: number;
    reason: string;
    detail: string;
    at: number;
  };
  /** A fleet step failed (Redis unreachable, a scale refused); the member carries on. */
  'fleet:error': { hostId: string; context: string; error: Error };
}

export type FleetEventName = keyof FleetEventMap;

export class FleetEvents {
  readonly #emitter = new EventEmitter();

  on<K extends FleetEventName>(name: K, listener: (event: FleetEventMap[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  emit<K extends FleetEventName>(name: K, event: FleetEventMap[K]): void {
    this.#emitter.emit(name, event);
  }
}
