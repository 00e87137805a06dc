/**
 * Hosts the worker actors outside their scaler: each worker is a root actor of its own (`createActor`), kept here by
 * name with the scaler that owns it, and the scaler's named effects that spawn, command and release workers are
 * supplied from here (`scalerActions()`). Why: XState copies a parent's whole `children` object at every spawn and
 * stop (O(n) each, O(n²) to scale n workers up and again to release them), and every actor stop (each finished
 * process effect, each released worker) scans every pending delayed event of its actor system. A root actor per
 * worker has its own system, so both costs stay per worker. Who gets which command is still the machine's decision
 * (`startCommands`, `drainStopCommands`, ... in machines/scaler.machine.ts); this module only delivers.
 */
import { type Actor, type AnyActorRef, createActor, enqueueActions, type InspectionEvent, type Observer } from 'xstate';
import {
  drainStopCommands,
  releasableWorkerId,
  type ScalerCommand,
  type ScalerContext,
  type ScalerEvent,
  type scalerMachine,
  startCommands,
  victimStopCommands,
} from '../../machines/scaler.machine.js';
import type { WorkerInput, workerMachine } from '../../machines/worker.machine.js';

type WorkerActor = Actor<typeof workerMachine>;

export interface WorkerHostDeps {
  /** The worker machine with its effects supplied. */
  logic: typeof workerMachine;
  /** The clock of the actors' delays (see clock.ts `xstateClockOf`); undefined keeps XState's timers. */
  clock?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void } | undefined;
  /** The embedder's inspector: every worker's own actor system reports to it as the supervisor's does. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** A worker actor failed (an effect threw): no parent hears it, so it is reported here. */
  onError(worker: string, error: Error): void;
}

interface Hosted {
  actor: WorkerActor;
  scaler: AnyActorRef;
  /** What its scaler's slot says (state, busy): as created (`starting`, idle), then as last reported. */
  told: { state: string; busy: boolean };
}

type ScalerActionArgs = { context: ScalerContext; event: ScalerEvent; self: AnyActorRef };

export class WorkerHost {
  readonly #deps: WorkerHostDeps;
  readonly #workers = new Map<string, Hosted>();

  constructor(deps: WorkerHostDeps) {
    this.#deps = deps;
  }

  /** Live worker actors. */
  get size(): number {
    return this.#workers.size;
  }

  /** The hosted actor of worker `name`, if any. */
  actorOf(name: string): WorkerActor | undefined {
    return this.#workers.get(name)?.actor;
  }

  /** The scaler that owns the worker actor `worker`, while it is hosted (its reports go there). */
  scalerOf(name: string, worker: AnyActorRef): AnyActorRef | undefined {
    const hosted = this.#workers.get(name);
    return hosted?.actor === worker ? hosted.scaler : undefined;
  }

  /**
   * The scaler to send `report` of the worker actor `worker`, or undefined when there is nothing to tell: the
   * worker is no longer hosted, or its scaler's slot already says so (a new worker's `starting`, a job re-entering
   * `running`). The scaler would ignore such a report (`recordWorkerState`), after a whole macrostep.
   */
  scalerFor(name: string, worker: AnyActorRef, report: ScalerEvent): AnyActorRef | undefined {
    const hosted = this.#workers.get(name);
    if (hosted?.actor !== worker) return undefined;
    if (report.type !== 'worker.stateChanged') return hosted.scaler;
    if (hosted.told.state === report.state && hosted.told.busy === report.busy) return undefined;
    hosted.told = { state: report.state, busy: report.busy };
    return hosted.scaler;
  }

  /**
   * Creates a worker actor for `scaler`, not started yet (as XState's own spawnChild does: create while the
   * transition resolves, start once it is done).
   */
  create(scaler: AnyActorRef, input: WorkerInput): WorkerActor {
    const { logic, clock, inspect } = this.#deps;
    const actor = createActor(logic, {
      id: input.name,
      input,
      ...(clock !== undefined && { clock }),
      ...(inspect !== undefined && { inspect }),
    });
    this.#workers.set(input.name, { actor, scaler, told: { state: 'starting', busy: false } });
    actor.subscribe({ error: (error) => this.#deps.onError(input.name, error as Error) });
    return actor;
  }

  /** The hosted actor of each command's worker (one no longer hosted is skipped: its actor is gone). */
  targets(commands: readonly ScalerCommand[]): { actor: WorkerActor; event: ScalerCommand['event'] }[] {
    const targets: { actor: WorkerActor; event: ScalerCommand['event'] }[] = [];
    for (const { id, event } of commands) {
      const actor = this.#workers.get(id)?.actor;
      if (actor !== undefined) targets.push({ actor, event });
    }
    return targets;
  }

  /** Stops and forgets a worker actor; its last snapshot stays readable through its ref. */
  release(name: string): void {
    const hosted = this.#workers.get(name);
    if (hosted === undefined) return;
    this.#workers.delete(name);
    hosted.actor.stop();
  }

  /** Stops every worker actor still hosted (the supervisor stopped without draining them). */
  stopAll(): void {
    for (const name of [...this.#workers.keys()]) this.release(name);
  }

  /**
   * The scaler's effects on its workers, for `scalerMachine.provide({ actions })`. Events go with `sendTo` (sent
   * once the scaler's transition is done, in order), so a new worker has been started before its START arrives,
   * also in the scaler's initial step.
   */
  scalerActions() {
    return {
      spawnNewWorkers: enqueueActions(({ context, self, enqueue }) => {
        const actors = context.newWorkerIds.map((id) =>
          this.create(self, { ...context.workerInput, name: id, scriptType: context.scriptType }),
        );
        enqueue(() => {
          for (const actor of actors) actor.start();
        });
      }),
      startNewWorkers: enqueueActions(({ context, event, enqueue }) => {
        for (const target of this.targets(startCommands(context, event))) enqueue.sendTo(target.actor, target.event);
      }),
      stopVictims: enqueueActions(({ context, event, enqueue }) => {
        for (const target of this.targets(victimStopCommands(context, event)))
          enqueue.sendTo(target.actor, target.event);
      }),
      stopAllWorkers: enqueueActions(({ context, event, enqueue }) => {
        for (const target of this.targets(drainStopCommands(context, event)))
          enqueue.sendTo(target.actor, target.event);
      }),
      releaseWorker: ({ context }: ScalerActionArgs) => {
        const id = releasableWorkerId(context);
        if (id !== undefined) this.release(id);
      },
    } satisfies NonNullable<Parameters<typeof scalerMachine.provide>[0]['actions']>;
  }
}
