/**
 * The worker registry: the only place outside the actors that mirrors worker state. Each worker actor's state
 * reports land here (O(1) each), indexed by name and by script type, with per-type counts of each state so that
 * waits and counts never visit the fleet. A worker whose actor its scaler released stays as its last known state
 * (`stopped`, removed) until an actor of the same name appears again.
 */
import type { AnyActorRef } from 'xstate';
import type { PingOutcome } from '../../machines/worker.events.js';
import type { WorkerSnapshot, WorkerStateName } from '../../machines/worker.machine.js';

export interface WorkerEntry {
  readonly name: string;
  readonly scriptType: string;
  /** The live actor, while its scaler holds it. */
  ref: AnyActorRef;
  state: WorkerStateName;
  gaveUp: boolean;
  /** Ids of the jobs active on it (from job activity). */
  readonly activeJobs: Set<string>;
  /** Pings its actor finished, counted so a health pass can tell a new result from an old one. */
  pings: number;
  /** The outcome of the latest of them, as the actor acts on it. */
  lastPing: PingOutcome | undefined;
  /** The released actor's last snapshot, once its scaler let it go. */
  removed: WorkerSnapshot | undefined;
  /** While it has given up: its reason with the last lines of its stderr (read after the give-up). */
  gaveUpReason: string | null;
}

export class WorkerRegistry {
  readonly #byName = new Map<string, WorkerEntry>();
  /** Live entries per script type. */
  readonly #byType = new Map<string, Set<WorkerEntry>>();
  /** Live entries per script type and state. */
  readonly #counts = new Map<string, Map<WorkerStateName, number>>();

  /**
   * Records a state the actor `ref` reported; returns the state before it (undefined for a new name). An actor
   * new under a known name (a scaled-down id reused) starts a fresh entry.
   */
  record(ref: AnyActorRef, name: string, scriptType: string, state: WorkerStateName, gaveUp: boolean) {
    let entry = this.#byName.get(name);
    if (entry === undefined || entry.ref !== ref) {
      // The state of the actor it replaces (`stopped`) stays the `from` of the new actor's first report.
      const replaced = entry?.state;
      if (entry !== undefined) this.#unlink(entry);
      entry = {
        name,
        scriptType,
        ref,
        state,
        gaveUp,
        activeJobs: new Set(),
        pings: 0,
        lastPing: undefined,
        removed: undefined,
        gaveUpReason: null,
      };
      this.#byName.set(name, entry);
      this.#link(entry);
      return { entry, previous: replaced };
    }
    const previous = entry.state;
    if (!gaveUp && state !== 'failed') entry.gaveUpReason = null;
    this.#count(entry, -1);
    entry.state = state;
    entry.gaveUp = gaveUp;
    this.#count(entry, 1);
    return { entry, previous };
  }

  /** The live entry of `name` (an entry whose actor was released is turned into a removed one). */
  live(name: string): WorkerEntry | undefined {
    const entry = this.#byName.get(name);
    if (entry === undefined || entry.removed !== undefined) return undefined;
    if (entry.ref.getSnapshot().status === 'active') return entry;
    this.#markRemoved(entry);
    return undefined;
  }

  /** The entry of `name`, live or removed. */
  any(name: string): WorkerEntry | undefined {
    return this.live(name) ?? this.#byName.get(name);
  }

  /** Every live entry, by name order of arrival. */
  liveEntries(scriptType?: string): WorkerEntry[] {
    const entries = scriptType === undefined ? [...this.#byName.values()] : [...(this.#byType.get(scriptType) ?? [])];
    return entries.filter((entry) => this.live(entry.name) === entry);
  }

  /** Live workers of a script type in one of `states`: O(number of states). */
  count(scriptType: string, states: readonly WorkerStateName[]): number {
    const counts = this.#counts.get(scriptType);
    return states.reduce((sum, state) => sum + (counts?.get(state) ?? 0), 0);
  }

  /** Records a job start or finish; returns whether the worker is busy now. */
  recordJob(entry: WorkerEntry, jobId: string, phase: 'started' | 'finished'): boolean {
    if (phase === 'started') entry.activeJobs.add(jobId);
    else entry.activeJobs.delete(jobId);
    return entry.activeJobs.size > 0;
  }

  #markRemoved(entry: WorkerEntry): void {
    entry.removed = entry.ref.getSnapshot() as WorkerSnapshot;
    entry.activeJobs.clear();
    this.#unlink(entry);
  }

  #link(entry: WorkerEntry): void {
    let set = this.#byType.get(entry.scriptType);
    if (set === undefined) {
      set = new Set();
      this.#byType.set(entry.scriptType, set);
    }
    set.add(entry);
    this.#count(entry, 1);
  }

  #unlink(entry: WorkerEntry): void {
    if (this.#byType.get(entry.scriptType)?.delete(entry) === true) this.#count(entry, -1);
  }

  #count(entry: WorkerEntry, delta: number): void {
    let counts = this.#counts.get(entry.scriptType);
    if (counts === undefined) {
      counts = new Map();
      this.#counts.set(entry.scriptType, counts);
    }
    counts.set(entry.state, (counts.get(entry.state) ?? 0) + delta);
  }
}
