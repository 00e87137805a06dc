/**
 * The conditions the lifecycle's calls wait for, read from the registry and the scalers' own counts (never by
 * visiting the fleet at every report): workers up, stopped, spawned, and a script type settled at a count.
 */
import type { ScalerContext } from '../../machines/scaler.machine.js';
import { isUpState } from '../../machines/scaler-policy.js';
import type { WorkerSnapshot } from '../../machines/worker.machine.js';
import { WorkerStartFailedError } from '../errors.js';
import { type SupervisorActor, scalerOf } from './actor-tree.js';
import type { ConditionWaits } from './condition-waits.js';
import type { WorkerRegistry } from './worker-registry.js';

export class FleetWaits {
  readonly #registry: WorkerRegistry;
  readonly #waits: ConditionWaits;
  readonly #supervisor: () => SupervisorActor | undefined;
  readonly #defaultWaitMs: number;

  constructor(
    registry: WorkerRegistry,
    waits: ConditionWaits,
    supervisor: () => SupervisorActor | undefined,
    defaultWaitMs: number,
  ) {
    this.#registry = registry;
    this.#waits = waits;
    this.#supervisor = supervisor;
    this.#defaultWaitMs = defaultWaitMs;
  }

  until(condition: () => boolean, description: string, timeoutMs = this.#defaultWaitMs): Promise<void> {
    return this.#waits.until(condition, description, timeoutMs);
  }

  /** Each named worker is up; rejects when one is in `failed`. */
  up(names: readonly string[]): Promise<void> {
    return this.until(
      () => {
        for (const name of names) {
          const entry = this.#registry.live(name);
          if (entry === undefined) continue;
          if (entry.state === 'failed') {
            const { reason } = (entry.ref.getSnapshot() as WorkerSnapshot).context;
            throw new WorkerStartFailedError(name, reason ?? 'failed');
          }
          if (!isUpState(entry.state)) return false;
        }
        return true;
      },
      `workers up: ${names.join(', ')}`,
    );
  }

  /** Each named worker is stopped (or gone). */
  stopped(names: readonly string[], description: string): Promise<void> {
    return this.until(
      () => names.every((name) => (this.#registry.live(name)?.state ?? 'stopped') === 'stopped'),
      description,
    );
  }

  /** `scriptType` runs exactly `count` workers, none on its way out and none still starting. */
  scaled(scriptType: string, count: number): Promise<void> {
    return this.until(() => {
      const counts = this.scalerCounts(scriptType);
      return (
        counts !== undefined &&
        counts.slotCount === count &&
        counts.members === count &&
        this.#registry.count(scriptType, ['starting']) === 0
      );
    }, `${scriptType} scaled to ${count}`);
  }

  /** The scaler's own counts of its slots (see ScalerContext): O(1). */
  scalerCounts(scriptType: string): { members: number; slotCount: number } | undefined {
    const scaler = scalerOf(this.#supervisor(), scriptType);
    if (scaler === undefined) return undefined;
    const { members, slotCount } = (scaler.getSnapshot() as { context: ScalerContext }).context;
    return { members, slotCount };
  }
}
