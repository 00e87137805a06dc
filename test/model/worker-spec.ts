/**
 * The specification of one supervised worker as seen from outside (issue 13), written by hand: it knows nothing
 * of machines/worker.machine.ts. States are what an operator can observe; events are real actions on the running
 * system. The context carries what the observations need: the restart intensity used so far (`crashes`), the
 * failed health pings in a row (`failures`), the expected restart count, and what the last step did to the pid.
 *
 * Limits are small (the runtime is configured with the same numbers, see SPEC_LIMITS) so every guard is reached
 * by a short path.
 */
import { assign, setup } from 'xstate';

export const SPEC_LIMITS = {
  /** More crashes than this (SIGKILL, ping failures) and the worker gives up. */
  maxRestarts: 2,
  /** Failed health pings in a row that restart a worker. */
  pingFailureThreshold: 2,
} as const;

export type WorkerSpecEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'RESTART' }
  | { type: 'JOB' }
  | { type: 'PING' }
  | { type: 'SIGKILL' }
  | { type: 'SIGSTOP' }
  | { type: 'SIGCONT' }
  | { type: 'REDIS_DOWN' }
  | { type: 'REDIS_UP' };

export const WORKER_SPEC_EVENTS: WorkerSpecEvent[] = [
  'START',
  'STOP',
  'RESTART',
  'JOB',
  'PING',
  'SIGKILL',
  'SIGSTOP',
  'SIGCONT',
  'REDIS_DOWN',
  'REDIS_UP',
].map((type) => ({ type }) as WorkerSpecEvent);

/** What the last step must have done to the worker's process. */
export type PidChange = 'new' | 'same' | 'none';

export interface WorkerSpecContext {
  /** The spec transition the last step took (`<state>.<EVENT>[.<branch>]`), for coverage. */
  last: string | null;
  pid: PidChange;
  /** The `worker:restarted` reason the last step must have produced, or null for none. */
  restartReason: string | null;
  /** `getWorkerStatus().restarts` since the path began. */
  restarts: number;
  /** Crashes counted toward the restart intensity since the last start (or forgiving restart). */
  crashes: number;
  /** `consecutivePingFailures`. */
  failures: number;
  /** The outcome the last health ping (PING) must have had. */
  pingOutcome: 'ok' | 'timeout' | 'transport-down' | null;
}

/** The context fields that steer the spec; the rest only describes the last step. */
export function serializeWorkerSpecState(snapshot: { value: unknown; context: WorkerSpecContext }): string {
  const { crashes, failures } = snapshot.context;
  return JSON.stringify({ value: snapshot.value, crashes, failures });
}

type Effect = Omit<Partial<WorkerSpecContext>, 'restarts'> & { last: string; restarted?: boolean };

/** One spec transition's effect on the context: names it, says what happened to the pid and the counters. */
const effect = (params: Effect) => ({ type: 'effect' as const, params });

export const workerSpec = setup({
  types: { context: {} as WorkerSpecContext, events: {} as WorkerSpecEvent },
  actions: {
    effect: assign(({ context }, params: Effect) => {
      const { restarted = false, ...fields } = params;
      return {
        pid: 'same' as PidChange,
        restartReason: null,
        pingOutcome: null,
        ...fields,
        restarts: context.restarts + (restarted ? 1 : 0),
      };
    }),
    countCrash: assign({ crashes: ({ context }) => context.crashes + 1, failures: 0 }),
    countPingFailure: assign({ failures: ({ context }) => context.failures + 1 }),
  },
  guards: {
    atIntensityLimit: ({ context }) => context.crashes >= SPEC_LIMITS.maxRestarts,
    belowFailureThreshold: ({ context }) => context.failures + 1 < SPEC_LIMITS.pingFailureThreshold,
  },
}).createMachine({
  id: 'workerSpec',
  initial: 'stopped',
  context: {
    last: null,
    pid: 'none',
    restartReason: null,
    restarts: 0,
    crashes: 0,
    failures: 0,
    pingOutcome: null,
  },
  states: {
    // No process; getWorkerStatus says stopped with no pid.
    stopped: {
      on: {
        START: { target: 'up', actions: effect({ last: 'stopped.START', pid: 'new', crashes: 0, failures: 0 }) },
        // Restarting a stopped worker starts it: nothing to count.
        RESTART: { target: 'up', actions: effect({ last: 'stopped.RESTART', pid: 'new', crashes: 0, failures: 0 }) },
      },
    },
    // A live process answering pings (running, idle or pinging).
    up: {
      on: {
        JOB: { target: 'up', actions: effect({ last: 'up.JOB' }) },
        PING: { target: 'up', actions: effect({ last: 'up.PING', failures: 0, pingOutcome: 'ok' }) },
        SIGKILL: [
          {
            guard: 'atIntensityLimit',
            target: 'gaveUp',
            actions: effect({ last: 'up.SIGKILL.giveUp', pid: 'none' }),
          },
          {
            target: 'up',
            actions: [
              effect({ last: 'up.SIGKILL.restart', pid: 'new', restarted: true, restartReason: 'killed by SIGKILL' }),
              'countCrash',
            ],
          },
        ],
        // Hung: the process exists but answers nothing.
        SIGSTOP: { target: 'hung', actions: effect({ last: 'up.SIGSTOP', failures: 0 }) },
        REDIS_DOWN: { target: 'redisDown', actions: effect({ last: 'up.REDIS_DOWN' }) },
        RESTART: {
          target: 'up',
          actions: effect({ last: 'up.RESTART', pid: 'new', restarted: true, restartReason: 'manual', failures: 0 }),
        },
        STOP: { target: 'stopped', actions: effect({ last: 'up.STOP', pid: 'none' }) },
      },
    },
    hung: {
      on: {
        PING: [
          {
            guard: 'belowFailureThreshold',
            target: 'hung',
            actions: [effect({ last: 'hung.PING.count', pingOutcome: 'timeout' }), 'countPingFailure'],
          },
          {
            guard: 'atIntensityLimit',
            target: 'gaveUp',
            actions: effect({ last: 'hung.PING.giveUp', pid: 'none', pingOutcome: 'timeout' }),
          },
          {
            target: 'up',
            actions: [
              effect({
                last: 'hung.PING.restart',
                pid: 'new',
                restarted: true,
                restartReason: 'ping-failures',
                pingOutcome: 'timeout',
              }),
              'countCrash',
            ],
          },
        ],
        // Resumed before the threshold: the same process carries on; the failures stay until a ping answers.
        SIGCONT: { target: 'up', actions: effect({ last: 'hung.SIGCONT' }) },
        RESTART: {
          target: 'up',
          actions: effect({ last: 'hung.RESTART', pid: 'new', restarted: true, restartReason: 'manual', failures: 0 }),
        },
      },
    },
    // Redis unreachable: pings are transport-down and never count; nothing is restarted.
    redisDown: {
      on: {
        PING: { target: 'redisDown', actions: effect({ last: 'redisDown.PING', pingOutcome: 'transport-down' }) },
        REDIS_UP: { target: 'up', actions: effect({ last: 'redisDown.REDIS_UP' }) },
      },
    },
    // Gave up under the restart intensity: no process until RESTART (or the cooldown, an hour here).
    gaveUp: {
      on: {
        RESTART: {
          target: 'up',
          actions: effect({
            last: 'gaveUp.RESTART',
            pid: 'new',
            restarted: true,
            restartReason: 'manual',
            crashes: 0,
            failures: 0,
          }),
        },
        STOP: { target: 'stopped', actions: effect({ last: 'gaveUp.STOP', pid: 'none' }) },
      },
    },
  },
});

/** Every transition of the spec by name: the coverage denominator, written out so a lost branch is noticed. */
export const WORKER_SPEC_TRANSITIONS = [
  'stopped.START',
  'stopped.RESTART',
  'up.JOB',
  'up.PING',
  'up.SIGKILL.giveUp',
  'up.SIGKILL.restart',
  'up.SIGSTOP',
  'up.REDIS_DOWN',
  'up.RESTART',
  'up.STOP',
  'hung.PING.count',
  'hung.PING.giveUp',
  'hung.PING.restart',
  'hung.SIGCONT',
  'hung.RESTART',
  'redisDown.PING',
  'redisDown.REDIS_UP',
  'gaveUp.RESTART',
  'gaveUp.STOP',
] as const;

export const WORKER_SPEC_STATES = ['stopped', 'up', 'hung', 'redisDown', 'gaveUp'] as const;
