/**
 * The root of a running supervisor: it starts the dependency services (e.g. a managed `redis`) in order, then
 * owns one scaler per script type (`machines/scaler.machine.ts`, children `scaler_<type>`), forwards scaling
 * requests to them while running, and shuts down in order: stop scaling, drain every scaler, stop the
 * dependencies in reverse order. Diagram: `visualizations/supervisor.svg`. Pure: effects are supplied by `src/`.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import { type ScalerInput, scalerMachine } from './scaler.machine.js';

export interface SupervisorInput {
  /** One scaler per script type. */
  scalers: readonly ScalerInput[];
  /** Dependency services in start order; stopped in reverse order. */
  dependencies?: readonly string[];
}

export interface DependenciesInput {
  /** In the order to act on them. */
  names: readonly string[];
}

export interface SupervisorContext {
  scalers: readonly ScalerInput[];
  dependencies: readonly string[];
  /** Script types whose scaler has not reported `scaler.drained` yet during shutdown. */
  draining: readonly string[];
  /** Script types whose scaler was spawned. */
  spawned: readonly string[];
  /** Why the supervisor failed or stopped abnormally. */
  reason: string | null;
  /** `at` of the latest START: the scalers' start time. */
  startedAt: number;
  /** `at` of SHUTDOWN. */
  shutdownAt: number | null;
}

export type SupervisorEvent =
  | { type: 'START'; at: number }
  | { type: 'SHUTDOWN'; at: number }
  | { type: 'scale.to'; scriptType: string; count: number; reason: string; at: number }
  | { type: 'queue.depthObserved'; scriptType: string; depth: number; active?: number; at: number }
  | { type: 'worker.add'; scriptType: string; workerId: string; at: number }
  | { type: 'scaler.drained'; scriptType: string };

/** The child id of the scaler of a script type. */
export function scalerId(scriptType: string): string {
  return `scaler_${scriptType}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const supervisorMachine = setup({
  types: {
    input: {} as SupervisorInput,
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actors: {
    scaler: scalerMachine,
    /** Effect: start each dependency service in order and resolve once each runs. */
    startDependencies: fromPromise<void, DependenciesInput>(() =>
      Promise.reject(new Error('startDependencies not provided: use supervisorMachine.provide({ actors }).')),
    ),
    /** Effect: stop each dependency service in the given (reverse) order. */
    stopDependencies: fromPromise<void, DependenciesInput>(() =>
      Promise.reject(new Error('stopDependencies not provided: use supervisorMachine.provide({ actors }).')),
    ),
  },
  actions: {
    /** Effect: log the supervisor's phase and emit it to embedders. */
    reportPhase: (_, _params: { phase: string }) => {
      throw new Error('reportPhase not provided: use supervisorMachine.provide({ actions: { reportPhase } }).');
    },
    spawnScalers: enqueueActions(({ context, enqueue }) => {
      for (const input of context.scalers) {
        enqueue.spawnChild('scaler', {
          id: scalerId(input.scriptType),
          input: { ...input, startedAt: context.startedAt, notifyParentWhenDrained: true },
        });
      }
    }),
    recordScalersSpawned: assign(({ context }) => ({ spawned: context.scalers.map((input) => input.scriptType) })),
    forwardToScaler: enqueueActions(({ event, enqueue }) => {
      switch (event.type) {
        case 'scale.to':
          enqueue.sendTo(scalerId(event.scriptType), {
            type: 'scale.to',
            count: event.count,
            reason: event.reason,
            at: event.at,
          });
          return;
        case 'queue.depthObserved':
          enqueue.sendTo(scalerId(event.scriptType), {
            type: 'queue.depthObserved',
            depth: event.depth,
            ...(event.active !== undefined && { active: event.active }),
            at: event.at,
          });
          return;
        case 'worker.add':
          enqueue.sendTo(scalerId(event.scriptType), { type: 'worker.add', workerId: event.workerId, at: event.at });
          return;
        default:
          return;
      }
    }),
    drainScalers: enqueueActions(({ context, enqueue }) => {
      const at = context.shutdownAt ?? context.startedAt;
      for (const scriptType of context.spawned) enqueue.sendTo(scalerId(scriptType), { type: 'scaler.drain', at });
    }),
    recordStartTime: assign(({ event }) => (event.type === 'START' ? { startedAt: event.at } : {})),
    recordShutdownTime: assign(({ event }) => (event.type === 'SHUTDOWN' ? { shutdownAt: event.at } : {})),
    recordDrainPending: assign(({ context }) => ({ draining: context.spawned })),
    recordScalerDrained: assign(({ context, event }) => {
      if (event.type !== 'scaler.drained') return {};
      return { draining: context.draining.filter((scriptType) => scriptType !== event.scriptType) };
    }),
    recordFailure: assign((_, params: { error: unknown }) => ({ reason: describeError(params.error) })),
  },
  guards: {
    hasScaler: ({ context, event }) =>
      'scriptType' in event && context.scalers.some((input) => input.scriptType === event.scriptType),
    allScalersDrained: ({ context }) => context.draining.length === 0,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    scalers: input.scalers,
    dependencies: input.dependencies ?? [],
    draining: [],
    spawned: [],
    reason: null,
    startedAt: 0,
    shutdownAt: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      description: 'Created; nothing runs yet. START brings the dependencies up.',
      on: {
        START: { target: 'startingDependencies', actions: 'recordStartTime' },
        SHUTDOWN: { target: 'stopped', actions: 'recordShutdownTime' },
      },
    },
    startingDependencies: {
      description:
        'Starts each dependency service in order (a worker starts only after the services it depends on run).',
      entry: { type: 'reportPhase', params: { phase: 'startingDependencies' } },
      invoke: {
        id: 'startDependencies',
        src: 'startDependencies',
        input: ({ context }) => ({ names: context.dependencies }),
        onDone: { target: 'running' },
        onError: {
          target: 'failed',
          actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: {
        SHUTDOWN: { target: 'shuttingDown', actions: 'recordShutdownTime' },
      },
    },
    running: {
      description:
        'Dependencies run; one scaler per script type keeps its workers at the desired count. Scaling requests are forwarded to the scaler of their script type.',
      entry: ['spawnScalers', 'recordScalersSpawned', { type: 'reportPhase', params: { phase: 'running' } }],
      on: {
        'scale.to': { guard: 'hasScaler', actions: 'forwardToScaler' },
        'queue.depthObserved': { guard: 'hasScaler', actions: 'forwardToScaler' },
        'worker.add': { guard: 'hasScaler', actions: 'forwardToScaler' },
        SHUTDOWN: { target: 'shuttingDown', actions: 'recordShutdownTime' },
      },
    },
    failed: {
      description: 'A dependency failed to start (reason in context). START retries; SHUTDOWN stops what did start.',
      entry: { type: 'reportPhase', params: { phase: 'failed' } },
      on: {
        START: { target: 'startingDependencies', actions: 'recordStartTime' },
        SHUTDOWN: { target: 'shuttingDown', actions: 'recordShutdownTime' },
      },
    },
    shuttingDown: {
      description: 'Graceful shutdown: scaling requests are ignored from here on.',
      entry: { type: 'reportPhase', params: { phase: 'shuttingDown' } },
      initial: 'stoppingWorkers',
      states: {
        stoppingWorkers: {
          description:
            'Every scaler drains: its workers are sent STOP and finish their active jobs within their stop timeout.',
          entry: ['recordDrainPending', 'drainScalers'],
          always: { guard: 'allScalersDrained', target: 'stoppingDependencies' },
          on: {
            'scaler.drained': { actions: 'recordScalerDrained' },
          },
        },
        stoppingDependencies: {
          description: 'Stops the dependency services in reverse start order.',
          invoke: {
            id: 'stopDependencies',
            src: 'stopDependencies',
            input: ({ context }) => ({ names: [...context.dependencies].reverse() }),
            onDone: { target: '#supervisor.stopped' },
            onError: {
              target: '#supervisor.stopped',
              actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
      },
    },
    stopped: {
      description: 'Everything stopped; no process left. Final.',
      type: 'final',
      entry: { type: 'reportPhase', params: { phase: 'stopped' } },
    },
  },
});
