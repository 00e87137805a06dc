/**
 * The bridge from the actors' reports to the outside: each worker state report updates the registry (the
 * only mirror of worker state), becomes the public events (`worker:stateChanged`, `worker:restarted`,
 * `worker:gaveUp`), wakes the waits, and yields the report for the worker's scaler. Pings, scaling decisions and
 * supervisor phases become `worker:pinged`, `scaler:scaled` and `supervisor:phase`.
 */
import type { Logger } from 'pino';
import type { ScaleDecision, ScalerEvent } from '../../machines/scaler.machine.js';
import { isUpState } from '../../machines/scaler-policy.js';
import type { Clock } from './clock.js';
import type { ConditionWaits } from './condition-waits.js';
import type { LifecycleEvents } from './lifecycle-events.js';
import { withStderr } from './stderr-tail.js';
import type { WorkerPingReport, WorkerStateReport } from './worker-effects.js';
import type { WorkerEntry, WorkerRegistry } from './worker-registry.js';

export interface ReportBridgeDeps {
  registry: WorkerRegistry;
  events: LifecycleEvents;
  waits: ConditionWaits;
  clock: Clock;
  logger: Logger;
  /** The last lines a worker wrote to stderr (see stderr-tail.ts). */
  stderrTail(worker: string): Promise<string[]>;
}

export class ReportBridge {
  readonly #deps: ReportBridgeDeps;

  constructor(deps: ReportBridgeDeps) {
    this.#deps = deps;
  }

  /** A worker entered a state; returns what its scaler is told (nothing for an actor's initial `stopped`). */
  onWorkerState({ context, change, eventType, self }: WorkerStateReport): ScalerEvent | undefined {
    const { registry, events, clock, waits } = this.#deps;
    const at = clock.now();
    const gaveUp = change.gaveUp === true;
    const { entry, previous } = registry.record(self, context.name, context.scriptType, change.state, gaveUp);
    const base = { worker: context.name, scriptType: context.scriptType };
    if (previous !== change.state || gaveUp) {
      // An up worker is healthy again: the reason of its last failure is history.
      const reason = isUpState(change.state) ? null : context.reason;
      events.emit('worker:stateChanged', {
        ...base,
        from: previous,
        to: change.state,
        pid: context.pid,
        reason,
        event: eventType,
        at,
      });
    }
    if (change.state === 'restarting') {
      events.emit('worker:restarted', { ...base, restarts: context.restartCount, reason: context.reason, at });
    }
    if (gaveUp) {
      events.emit('worker:gaveUp', { ...base, reason: context.reason, at });
      void this.#explainGiveUp(entry, context.reason);
    }
    waits.wake();
    // The initial `stopped` of a new actor is not news to its scaler: reporting it could make the scaler release
    // an actor whose START is already queued (and whose process may be starting).
    if (eventType === 'xstate.init') return undefined;
    return {
      type: 'worker.stateChanged',
      workerId: context.name,
      state: change.state,
      busy: entry.activeJobs.size > 0,
      at,
    };
  }

  /** A worker that gave up: its status reason gains the last lines of its stderr, logged as well. */
  async #explainGiveUp(entry: WorkerEntry, reason: string | null): Promise<void> {
    const lines = await this.#deps.stderrTail(entry.name);
    if (lines.length === 0 || !entry.gaveUp) return;
    entry.gaveUpReason = withStderr(reason, lines);
    this.#deps.logger.warn(
      { worker: entry.name, scriptType: entry.scriptType, reason: entry.gaveUpReason },
      'worker gave up: last lines of its stderr',
    );
  }

  onPinged(report: WorkerPingReport): void {
    const entry = this.#deps.registry.any(report.worker);
    if (entry !== undefined) {
      entry.pings += 1;
      entry.lastPing = report.outcome;
    }
    this.#deps.events.emit('worker:pinged', {
      worker: report.worker,
      scriptType: report.scriptType,
      outcome: report.outcome.type,
      latencyMs: report.latencyMs,
      at: report.at,
    });
    this.#deps.waits.wake();
  }

  onScaled(scriptType: string, decision: ScaleDecision): void {
    this.#deps.logger.info({ scriptType, ...decision }, 'scaler decision');
    this.#deps.events.emit('scaler:scaled', { scriptType, ...decision });
    this.#deps.waits.wake();
  }

  onPhase(phase: string, reason: string | null): void {
    this.#deps.logger.info({ phase, reason }, 'supervisor phase');
    this.#deps.events.emit('supervisor:phase', { phase, reason, at: this.#deps.clock.now() });
    this.#deps.waits.wake();
  }

  reportError(context: string, error: Error): void {
    this.#deps.logger.error({ context, err: { message: error.message, name: error.name } }, 'lifecycle error');
    this.#deps.events.emit('lifecycle:error', { context, error });
  }
}
