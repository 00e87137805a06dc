/**
 * The scaler of one script type: it spawns worker actors (`machines/worker.machine.ts`) as children named
 * `<type>_worker_<n>`, keeps their number at the desired count within [min, max], removes idle workers first
 * (a removed worker is sent STOP and its actor goes only once it reports `stopped`), and autoscales from the
 * queue depth when enabled. Diagram: `visualizations/scaler.svg`. Pure: effects are names supplied by `src/`.
 */
import { assign, enqueueActions, setup, stopChild } from 'xstate';
import {
  type AutoscaleMemory,
  type AutoscaleSettings,
  clampCount,
  DEFAULT_AUTOSCALE,
  decideAutoscale,
  EMPTY_AUTOSCALE_MEMORY,
  generatedIndexOf,
  nextWorkerId,
  ownEntry,
  pickVictims,
  type WorkerSlot,
  workerIdFor,
} from './scaler-policy.js';
import { emptyStore, type SlotStore, storeDelete, storeGet, storeHas, storeSet, storeValues } from './slot-store.js';
import type { WorkerAdoptEvent } from './worker.events.js';
import { type WorkerInput, type WorkerStateName, workerMachine } from './worker.machine.js';

/** An immutable list of ids (push and pop in O(1)). */
export type IdList = { readonly head: string; readonly tail: IdList } | null;

function pushId(list: IdList, id: string): IdList {
  return { head: id, tail: list };
}

function countIds(list: IdList): number {
  let count = 0;
  for (let node = list; node !== null; node = node.tail) count += 1;
  return count;
}

/** The next removed slot that reported `stopped`, and the list after it (entries no longer releasable skipped). */
function nextReleasable(context: { workers: SlotStore<WorkerSlot>; releasableIds: IdList }) {
  for (let node = context.releasableIds; node !== null; node = node.tail) {
    const slot = storeGet(context.workers, node.head);
    if (slot?.removing && slot.state === 'stopped') return { id: slot.id, rest: node.tail };
  }
  return undefined;
}

export interface ScalerInput {
  scriptType: string;
  /** Never fewer workers. `0` allows scale to zero. @defaultValue 0 */
  min?: number;
  /** Never more workers. @defaultValue 10 */
  max?: number;
  /** Workers to run at start (clamped to [min, max]). @defaultValue min */
  initial?: number;
  /** Ids to use before generated ones (configured workers), in order. */
  workerIds?: readonly string[];
  /** Workers that already run (adoption): id → pid. They are sent ADOPT instead of START. */
  adopted?: Readonly<Record<string, number>>;
  /** When the scaler was started (and adopted workers were found running): stamps the first START/ADOPT. @defaultValue 0 */
  startedAt?: number;
  autoscale?: Partial<AutoscaleSettings>;
  /** Passed to every worker actor as its input (timings); `name` and `scriptType` are filled per worker. */
  workerInput?: Partial<Omit<WorkerInput, 'name' | 'scriptType'>>;
  /** Send the parent `scaler.drained` once drained (a supervisor spawns its scalers so); a lone scaler has no parent. @defaultValue false */
  notifyParentWhenDrained?: boolean;
}

/** The latest change of the desired count and why. */
export interface ScaleDecision {
  from: number;
  to: number;
  reason: string;
  detail: string;
  at: number;
}

export interface ScalerContext {
  scriptType: string;
  min: number;
  max: number;
  desired: number;
  /** Every slot by worker id, in an immutable store whose update costs O(log n) (machines/slot-store.ts). */
  workers: SlotStore<WorkerSlot>;
  /** Ids of removed slots that reported `stopped`, newest first; an entry released meanwhile is skipped. */
  releasableIds: IdList;
  /**
   * Counts kept in step with `workers` by the actions that change it, so that the guards, which run at every
   * event, cost the same for 10 workers as for 10,000. `members`: slots not being removed (they count toward
   * `desired`); `slotCount`: every slot (they count toward `max`); `releasable`: removed slots that reported
   * `stopped`. `nextFreeIndex`: every generated id `<type>_worker_<n>` with n below it is taken.
   */
  members: number;
  slotCount: number;
  releasable: number;
  nextFreeIndex: number;
  preferredIds: readonly string[];
  adopted: Readonly<Record<string, number>>;
  startedAt: number;
  autoscale: AutoscaleSettings;
  memory: AutoscaleMemory;
  lastDecision: ScaleDecision;
  /** The workers being removed in the current step. */
  victimIds: readonly string[];
  /** The workers being spawned and started in the current step. */
  newWorkerIds: readonly string[];
  workerInput: Partial<Omit<WorkerInput, 'name' | 'scriptType'>>;
  notifyParentWhenDrained: boolean;
}

export type ScalerEvent =
  | { type: 'scale.to'; count: number; reason: string; at: number }
  /** `depth`: waiting + prioritized jobs; `active`: jobs in flight (@defaultValue 0). */
  | { type: 'queue.depthObserved'; depth: number; active?: number; at: number }
  | { type: 'worker.stateChanged'; workerId: string; state: WorkerStateName; busy: boolean; at: number }
  | { type: 'worker.add'; workerId: string; at: number }
  | { type: 'scaler.drain'; at: number };

/** The event a scaler sends its parent once every worker is gone after `scaler.drain`. */
export type ScalerDrainedEvent = { type: 'scaler.drained'; scriptType: string };

/** Enough for a laptop; raise it per script type. */
const DEFAULT_MAX_WORKERS = 10;

/** Events carry `at` stamped by src/ from its clock; the initial step has none and uses the start time. */
function timeOf(context: ScalerContext, event: { type: string; at?: number }): number {
  return event.at ?? context.startedAt;
}

function autoscaleArgs(context: ScalerContext) {
  return {
    desired: context.desired,
    min: context.min,
    max: context.max,
    settings: context.autoscale,
    memory: context.memory,
  };
}

/** An event for one worker actor, by id: what the scaler's effects send (see the commands below). */
export interface ScalerCommand {
  id: string;
  event: { type: 'START'; at: number } | { type: 'STOP'; at: number } | WorkerAdoptEvent;
}

/*
 * What the effects `startNewWorkers`, `stopVictims`, `stopAllWorkers` and `releaseWorker` act on. The defaults
 * below reach workers spawned as children of the scaler; src/lifecycle/worker-host.ts supplies the same effects for
 * workers hosted as root actors of their own (10,000 children of one XState actor cost O(n²) to spawn and stop).
 * Both compute who gets what here, so the decisions stay in the machine.
 */

/** START for each new worker, or ADOPT when its process already runs. */
export function startCommands(context: ScalerContext, event: { type: string; at?: number }): ScalerCommand[] {
  const at = timeOf(context, event);
  return context.newWorkerIds.map((id) => {
    const pid = ownEntry(context.adopted, id);
    return { id, event: pid === undefined ? { type: 'START', at } : { type: 'ADOPT', pid, at } };
  });
}

/** STOP for each worker marked for removal in the current step. */
export function victimStopCommands(context: ScalerContext, event: { type: string; at?: number }): ScalerCommand[] {
  const at = timeOf(context, event);
  return context.victimIds.map((id) => ({ id, event: { type: 'STOP', at } }));
}

/** STOP for every worker not stopped yet (shutdown). */
export function drainStopCommands(context: ScalerContext, event: { type: string; at?: number }): ScalerCommand[] {
  const at = timeOf(context, event);
  const commands: ScalerCommand[] = [];
  for (const slot of storeValues(context.workers)) {
    if (slot.state !== 'stopped') commands.push({ id: slot.id, event: { type: 'STOP', at } });
  }
  return commands;
}

/** The worker `releaseWorker` lets go of: a removed one that reported `stopped`. */
export function releasableWorkerId(context: ScalerContext): string | undefined {
  return nextReleasable(context)?.id;
}

export const scalerMachine = setup({
  types: {
    input: {} as ScalerInput,
    context: {} as ScalerContext,
    events: {} as ScalerEvent,
  },
  actors: {
    worker: workerMachine,
  },
  actions: {
    /** Effect: emit `scaler:scaled` and log the decision with its reason (reads `context.lastDecision`). */
    reportScaled: () => {
      throw new Error('reportScaled not provided: use scalerMachine.provide({ actions: { reportScaled } }).');
    },
    applyScaleRequest: assign(({ context, event }) => {
      if (event.type !== 'scale.to') return {};
      const to = clampCount(event.count, context.min, context.max);
      const clamped = to === event.count ? '' : ` (asked ${event.count}, bounds [${context.min}, ${context.max}])`;
      return {
        desired: to,
        lastDecision: {
          from: context.desired,
          to,
          reason: event.reason,
          detail: `scale to ${to}${clamped}`,
          at: event.at,
        },
        memory: { ...context.memory, lastScaledAt: event.at },
      };
    }),
    applyAutoscale: assign(({ context, event }) => {
      if (event.type !== 'queue.depthObserved') return {};
      const decision = decideAutoscale({
        ...autoscaleArgs(context),
        now: event.at,
        depth: event.depth,
        active: event.active ?? 0,
      });
      if (decision.type === 'hold') return { memory: decision.memory };
      return {
        desired: decision.desired,
        memory: decision.memory,
        lastDecision: {
          from: context.desired,
          to: decision.desired,
          reason: decision.reason,
          detail: decision.detail,
          at: event.at,
        },
      };
    }),
    recordWorkerState: assign(({ context, event }) => {
      if (event.type !== 'worker.stateChanged') return {};
      const slot = storeGet(context.workers, event.workerId);
      // Nothing new (a job report of a worker already known busy...): the context stays as it is.
      if (slot === undefined || (slot.state === event.state && slot.busy === event.busy)) return {};
      const nowReleasable = slot.removing && event.state === 'stopped';
      const wasReleasable = slot.removing && slot.state === 'stopped';
      return {
        workers: storeSet(context.workers, slot.id, { ...slot, state: event.state, busy: event.busy }),
        releasable: context.releasable + Number(nowReleasable) - Number(wasReleasable),
        releasableIds: nowReleasable && !wasReleasable ? pushId(context.releasableIds, slot.id) : context.releasableIds,
      };
    }),
    addPreferredWorker: assign(({ context, event }) => {
      if (event.type !== 'worker.add') return {};
      return {
        preferredIds: [event.workerId, ...context.preferredIds.filter((id) => id !== event.workerId)],
        desired: Math.min(context.max, context.desired + 1),
        lastDecision: {
          from: context.desired,
          to: Math.min(context.max, context.desired + 1),
          reason: 'worker-added',
          detail: `worker ${event.workerId} added`,
          at: event.at,
        },
      };
    }),
    /**
     * Adds every missing slot in one step (up to `desired`, within `max`): one copy of `workers` per scaling, not
     * one per worker, which at 10,000 workers is the difference between linear and quadratic.
     */
    addWorkerSlots: assign(({ context }) => {
      const count = Math.min(context.desired - context.members, context.max - context.slotCount);
      let workers = context.workers;
      const taken = { has: (id: string) => storeHas(workers, id) };
      const preferred = [...Object.keys(context.adopted), ...context.preferredIds];
      const newWorkerIds: string[] = [];
      let nextFreeIndex = context.nextFreeIndex;
      for (let added = 0; added < count; added += 1) {
        const id = nextWorkerId(context.scriptType, taken, preferred, nextFreeIndex);
        // A new worker is about to be sent START (or ADOPT): it counts as starting until it reports otherwise, so
        // a quick scale-down waits for its report instead of dropping an actor whose process may be starting.
        workers = storeSet(workers, id, { id, state: 'starting', busy: false, removing: false });
        newWorkerIds.push(id);
        // Only moves forward while the fleet grows: amortized one step per added worker.
        while (taken.has(workerIdFor(context.scriptType, nextFreeIndex))) nextFreeIndex += 1;
      }
      return {
        newWorkerIds,
        workers,
        members: context.members + newWorkerIds.length,
        slotCount: context.slotCount + newWorkerIds.length,
        nextFreeIndex,
      };
    }),
    spawnNewWorkers: enqueueActions(({ context, enqueue }) => {
      for (const id of context.newWorkerIds) {
        enqueue.spawnChild('worker', {
          id,
          input: { ...context.workerInput, name: id, scriptType: context.scriptType } as WorkerInput,
        });
      }
    }),
    /** START each new worker, or ADOPT it when its process already runs. */
    startNewWorkers: enqueueActions(({ context, event, enqueue }) => {
      for (const command of startCommands(context, event)) enqueue.sendTo(command.id, command.event);
    }),
    forgetAdoptions: assign(({ context }) => {
      const adoptedIds = context.newWorkerIds.filter((id) => Object.hasOwn(context.adopted, id));
      if (adoptedIds.length === 0) return { newWorkerIds: [] };
      const adopted = Object.assign(Object.create(null), context.adopted) as Record<string, number>;
      for (const id of adoptedIds) delete adopted[id];
      return { adopted: { ...adopted }, newWorkerIds: [] };
    }),
    /** Marks every surplus worker for removal in one step (see pickVictims for who goes first). */
    markVictims: assign(({ context }) => {
      const configured = new Set(context.preferredIds);
      const victims = pickVictims(storeValues(context.workers), context.members - context.desired, configured);
      let workers = context.workers;
      let releasableIds = context.releasableIds;
      for (const victim of victims) {
        workers = storeSet(workers, victim.id, { ...victim, removing: true });
        if (victim.state === 'stopped') releasableIds = pushId(releasableIds, victim.id);
      }
      return {
        victimIds: victims.map((victim) => victim.id),
        workers,
        releasableIds,
        members: context.members - victims.length,
        releasable: context.releasable + victims.filter((victim) => victim.state === 'stopped').length,
      };
    }),
    stopVictims: enqueueActions(({ context, event, enqueue }) => {
      for (const command of victimStopCommands(context, event)) enqueue.sendTo(command.id, command.event);
    }),
    forgetVictims: assign({ victimIds: [] }),
    releaseWorker: stopChild(({ context }) => releasableWorkerId(context) ?? ''),
    forgetReleasedWorker: assign(({ context }) => {
      const found = nextReleasable(context);
      if (found === undefined) return {};
      const index = generatedIndexOf(context.scriptType, found.id);
      return {
        workers: storeDelete(context.workers, found.id),
        releasableIds: found.rest,
        slotCount: context.slotCount - 1,
        releasable: context.releasable - 1,
        nextFreeIndex: index === undefined ? context.nextFreeIndex : Math.min(context.nextFreeIndex, index),
      };
    }),
    markAllRemoving: assign(({ context, event }) => {
      let workers = context.workers;
      let releasableIds: IdList = null;
      for (const slot of storeValues(context.workers)) {
        workers = storeSet(workers, slot.id, { ...slot, removing: true });
        if (slot.state === 'stopped') releasableIds = pushId(releasableIds, slot.id);
      }
      return {
        desired: 0,
        workers,
        releasableIds,
        members: 0,
        releasable: countIds(releasableIds),
        lastDecision: {
          from: context.desired,
          to: 0,
          reason: 'shutdown',
          detail: 'draining for shutdown',
          at: timeOf(context, event),
        },
      };
    }),
    stopAllWorkers: enqueueActions(({ context, event, enqueue }) => {
      for (const command of drainStopCommands(context, event)) enqueue.sendTo(command.id, command.event);
    }),
    /** Tells the parent (the supervisor) that this scaler is empty; a scaler run alone has no one to tell. */
    notifyDrained: enqueueActions(({ context, enqueue }) => {
      if (!context.notifyParentWhenDrained) return;
      const drained: ScalerDrainedEvent = { type: 'scaler.drained', scriptType: context.scriptType };
      enqueue.sendParent(drained);
    }),
  },
  guards: {
    changesDesired: ({ context, event }) =>
      event.type === 'scale.to' && clampCount(event.count, context.min, context.max) !== context.desired,
    isAutoscaleEnabled: ({ context }) => context.autoscale.enabled,
    autoscaleWantsChange: ({ context, event }) =>
      event.type === 'queue.depthObserved' &&
      context.autoscale.enabled &&
      decideAutoscale({ ...autoscaleArgs(context), now: event.at, depth: event.depth, active: event.active ?? 0 })
        .type === 'scale',
    canAddWorker: ({ context, event }) =>
      event.type === 'worker.add' && !storeHas(context.workers, event.workerId) && context.members < context.max,
    hasReleasableWorker: ({ context }) => context.releasable > 0,
    hasSurplusWorker: ({ context }) => context.members > context.desired,
    // Workers on their way out still count toward `max`: a quick down-and-up never runs more than max processes.
    needsMoreWorkers: ({ context }) => context.members < context.desired && context.slotCount < context.max,
    hasNoWorkers: ({ context }) => context.slotCount === 0,
  },
}).createMachine({
  id: 'scaler',
  context: ({ input }) => {
    const min = input.min ?? 0;
    const max = input.max ?? DEFAULT_MAX_WORKERS;
    const adopted = input.adopted ?? {};
    const desired = clampCount(Math.max(input.initial ?? min, Object.keys(adopted).length), min, max);
    return {
      scriptType: input.scriptType,
      min,
      max,
      desired,
      workers: emptyStore<WorkerSlot>(),
      releasableIds: null,
      members: 0,
      slotCount: 0,
      releasable: 0,
      nextFreeIndex: 0,
      preferredIds: input.workerIds ?? [],
      adopted,
      startedAt: input.startedAt ?? 0,
      autoscale: { ...DEFAULT_AUTOSCALE, ...input.autoscale },
      memory: EMPTY_AUTOSCALE_MEMORY,
      lastDecision: {
        from: 0,
        to: desired,
        reason: 'initial',
        detail: `start with ${desired} worker(s)`,
        at: input.startedAt ?? 0,
      },
      victimIds: [],
      newWorkerIds: [],
      workerInput: input.workerInput ?? {},
      notifyParentWhenDrained: input.notifyParentWhenDrained ?? false,
    };
  },
  initial: 'active',
  states: {
    active: {
      description:
        'Keeps the number of workers at the desired count: spawns and starts missing ones, stops surplus ones (idle first, never a busy one while another can go) and releases a removed worker once it reports stopped.',
      entry: 'reportScaled',
      always: [
        { guard: 'hasReleasableWorker', actions: ['releaseWorker', 'forgetReleasedWorker'] },
        { guard: 'hasSurplusWorker', actions: ['markVictims', 'stopVictims', 'forgetVictims'] },
        {
          guard: 'needsMoreWorkers',
          actions: ['addWorkerSlots', 'spawnNewWorkers', 'startNewWorkers', 'forgetAdoptions'],
        },
      ],
      on: {
        'scale.to': { guard: 'changesDesired', actions: ['applyScaleRequest', 'reportScaled'] },
        'queue.depthObserved': [
          { guard: 'autoscaleWantsChange', actions: ['applyAutoscale', 'reportScaled'] },
          { guard: 'isAutoscaleEnabled', actions: 'applyAutoscale' },
        ],
        'worker.stateChanged': { actions: 'recordWorkerState' },
        'worker.add': { guard: 'canAddWorker', actions: ['addPreferredWorker', 'reportScaled'] },
        'scaler.drain': { target: 'draining' },
      },
    },
    draining: {
      description:
        'Shutdown: scaling has stopped; every worker is sent STOP (active jobs finish within the stop timeout) and released once it reports stopped.',
      entry: ['markAllRemoving', 'reportScaled', 'stopAllWorkers'],
      always: [
        { guard: 'hasReleasableWorker', actions: ['releaseWorker', 'forgetReleasedWorker'] },
        { guard: 'hasNoWorkers', target: 'drained' },
      ],
      on: {
        'worker.stateChanged': { actions: 'recordWorkerState' },
      },
    },
    drained: {
      description: 'Every worker has stopped and its actor is gone; the parent is told so.',
      type: 'final',
      entry: 'notifyDrained',
    },
  },
});
