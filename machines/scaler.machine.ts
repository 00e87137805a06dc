/**
 * The scaler of one script type: it spawns worker actors (`machines/worker.machine.ts`) as children named
 * `<type>_worker_<n>`, keeps their number at the desired count within [min, max], removes idle workers first
 * (a removed worker is sent STOP and its actor goes only once it reports `stopped`), and autoscales from the
 * queue depth when enabled. Diagram: `visualizations/scaler.svg`. Pure: effects are names supplied by `src/`.
 */
import { assign, enqueueActions, sendTo, setup, stopChild } from 'xstate';
import {
  type AutoscaleMemory,
  type AutoscaleSettings,
  clampCount,
  DEFAULT_AUTOSCALE,
  decideAutoscale,
  EMPTY_AUTOSCALE_MEMORY,
  memberCount,
  nextWorkerId,
  ownEntry,
  pickVictims,
  releasableWorkerId,
  type WorkerSlot,
} from './scaler-policy.js';
import { type WorkerInput, workerMachine } from './worker.machine.js';

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
  workers: Record<string, WorkerSlot>;
  preferredIds: readonly string[];
  adopted: Readonly<Record<string, number>>;
  startedAt: number;
  autoscale: AutoscaleSettings;
  memory: AutoscaleMemory;
  lastDecision: ScaleDecision;
  /** The worker being spawned or removed in the current step. */
  currentWorkerId: string | null;
  workerInput: Partial<Omit<WorkerInput, 'name' | 'scriptType'>>;
}

export type ScalerEvent =
  | { type: 'scale.to'; count: number; reason: string; at: number }
  | { type: 'queue.depthObserved'; depth: number; at: number }
  | { type: 'worker.stateChanged'; workerId: string; state: string; busy: boolean; at: number }
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
      const decision = decideAutoscale({ ...autoscaleArgs(context), now: event.at, depth: event.depth });
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
      const slot = ownEntry(context.workers, event.workerId);
      if (slot === undefined) return {};
      return { workers: { ...context.workers, [slot.id]: { ...slot, state: event.state, busy: event.busy } } };
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
    addWorkerSlot: assign(({ context }) => {
      const id = nextWorkerId(context.scriptType, context.workers, [
        ...Object.keys(context.adopted),
        ...context.preferredIds,
      ]);
      // A new worker is about to be sent START (or ADOPT): it counts as starting until it reports otherwise, so a
      // quick scale-down waits for its report instead of dropping an actor whose process may be starting.
      const slot: WorkerSlot = { id, state: 'starting', busy: false, removing: false };
      return { currentWorkerId: id, workers: { ...context.workers, [id]: slot } };
    }),
    spawnWorker: enqueueActions(({ context, enqueue }) => {
      const id = context.currentWorkerId;
      if (id === null) return;
      enqueue.spawnChild('worker', {
        id,
        input: { ...context.workerInput, name: id, scriptType: context.scriptType } as WorkerInput,
      });
    }),
    /** START a new worker, or ADOPT it when its process already runs. */
    startCurrentWorker: enqueueActions(({ context, event, enqueue }) => {
      const id = context.currentWorkerId;
      if (id === null) return;
      const pid = ownEntry(context.adopted, id);
      const at = timeOf(context, event);
      enqueue.sendTo(id, pid === undefined ? { type: 'START', at } : { type: 'ADOPT', pid, at });
    }),
    forgetAdoption: assign(({ context }) => {
      const id = context.currentWorkerId;
      if (id === null || !Object.hasOwn(context.adopted, id)) return {};
      const { [id]: _adopted, ...adopted } = context.adopted;
      return { adopted };
    }),
    markVictim: assign(({ context }) => {
      const [victim] = pickVictims(context.workers, memberCount(context.workers) - context.desired);
      if (victim === undefined) return { currentWorkerId: null };
      return {
        currentWorkerId: victim.id,
        workers: { ...context.workers, [victim.id]: { ...victim, removing: true } },
      };
    }),
    stopCurrentWorker: sendTo(
      ({ context }) => context.currentWorkerId ?? '',
      ({ context, event }) => ({ type: 'STOP', at: timeOf(context, event) }),
    ),
    releaseWorker: stopChild(({ context }) => releasableWorkerId(context.workers) ?? ''),
    forgetReleasedWorker: assign(({ context }) => {
      const id = releasableWorkerId(context.workers);
      if (id === undefined) return {};
      const { [id]: _released, ...workers } = context.workers;
      return { workers };
    }),
    markAllRemoving: assign(({ context, event }) => ({
      desired: 0,
      workers: Object.fromEntries(Object.values(context.workers).map((slot) => [slot.id, { ...slot, removing: true }])),
      lastDecision: {
        from: context.desired,
        to: 0,
        reason: 'shutdown',
        detail: 'draining for shutdown',
        at: timeOf(context, event),
      },
    })),
    stopAllWorkers: enqueueActions(({ context, event, enqueue }) => {
      const at = timeOf(context, event);
      for (const slot of Object.values(context.workers)) {
        if (slot.state !== 'stopped') enqueue.sendTo(slot.id, { type: 'STOP', at });
      }
    }),
    /** Tells the parent (the supervisor) that this scaler is empty; a scaler run alone has no one to tell. */
    notifyDrained: enqueueActions(({ context, enqueue, self }) => {
      if (self._parent === undefined) return;
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
      decideAutoscale({ ...autoscaleArgs(context), now: event.at, depth: event.depth }).type === 'scale',
    canAddWorker: ({ context, event }) =>
      event.type === 'worker.add' &&
      !Object.hasOwn(context.workers, event.workerId) &&
      memberCount(context.workers) < context.max,
    hasReleasableWorker: ({ context }) => releasableWorkerId(context.workers) !== undefined,
    hasSurplusWorker: ({ context }) => memberCount(context.workers) > context.desired,
    // Workers on their way out still count toward `max`: a quick down-and-up never runs more than max processes.
    needsMoreWorkers: ({ context }) =>
      memberCount(context.workers) < context.desired && Object.keys(context.workers).length < context.max,
    hasNoWorkers: ({ context }) => Object.keys(context.workers).length === 0,
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
      workers: {},
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
      currentWorkerId: null,
      workerInput: input.workerInput ?? {},
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
        { guard: 'hasSurplusWorker', actions: ['markVictim', 'stopCurrentWorker'] },
        {
          guard: 'needsMoreWorkers',
          actions: ['addWorkerSlot', 'spawnWorker', 'startCurrentWorker', 'forgetAdoption'],
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
