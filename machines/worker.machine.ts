/**
 * The lifecycle of one supervised worker process: start, run, go idle and get pinged, fail, restart with
 * backoff under an Erlang/OTP-style restart intensity, and stop. Pure: every effect is a named action or
 * actor supplied by `src/` through `workerMachine.provide()`, and time only arrives through events (`at`)
 * or the `readClock` actor. Diagram: `visualizations/worker.svg` (regenerate with `npm run visualize`).
 */
import { type AnyEventObject, assign, fromPromise, type SnapshotFrom, setup } from 'xstate';
import { describeExit, planRestart, seedFromString } from './restart-policy.js';
import { defaultWorkerSettings, type WorkerSettings } from './worker.defaults.js';
import type { PingOutcome, WorkerEvent } from './worker.events.js';

export type { WorkerSettings } from './worker.defaults.js';
export type { WorkerEvent } from './worker.events.js';

export interface WorkerInput {
  name: string;
  scriptType: string;
  /** Overrides of `defaultWorkerSettings` (machines/worker.defaults.ts). */
  settings?: Partial<WorkerSettings>;
}

export interface WorkerContext {
  name: string;
  scriptType: string;
  settings: WorkerSettings;
  /** The pid of the current process, when known. */
  pid: number | null;
  /** When the current process became running (null while it is not up). */
  startedAt: number | null;
  lastJobAt: number | null;
  consecutivePingFailures: number;
  /** Set on going idle: the first ping happens at once, later ones every `pingIntervalMs`. */
  pingDue: boolean;
  /** When the automatic restarts inside the current `restartWindowMs` happened, newest first. */
  restartHistory: number[];
  /** Every restart so far (automatic and requested). */
  restartCount: number;
  /** Delayed restarts in a row; 0 means the next automatic restart happens at once. */
  backoffAttempt: number;
  /** The backoff chosen for the pending restart. */
  restartDelayMs: number;
  /** State of the seeded jitter generator (see restart-policy.ts). */
  jitterSeed: number;
  /** The pid being replaced by the restart in flight: its exit is expected, not a failure. */
  replacedPid: number | null;
  /** Why the worker last failed: `exited with code 3`, `killed by SIGKILL`, `ping-failures`, `start-timeout`, … */
  reason: string | null;
}

/** The design's states, in lifecycle order (`running`, `idle` and `pinging` are the substates of `up`). */
export type WorkerStateName =
  | 'stopped'
  | 'starting'
  | 'running'
  | 'idle'
  | 'pinging'
  | 'failed'
  | 'restarting'
  | 'stopping';

/** Params of `logTransition` and `reportStateChange`; the rest (reason, pid, …) is in the context. */
export interface WorkerStateChange {
  state: WorkerStateName;
  /** True on the entry of `failed.gaveUp`: the restart intensity was exceeded. */
  gaveUp?: boolean;
}

export interface ProcessActorInput {
  name: string;
}

export interface PingActorInput {
  name: string;
  timeoutMs: number;
  /** When the current process became running: a fresh worker may need a moment before it answers pings. */
  upSince: number | null;
}

/** The output of the invoked actor whose done event is handled (setup's guards only type external events). */
function outputOf<T>(event: AnyEventObject): T {
  return (event as unknown as { output: T }).output;
}

function errorMessage(event: AnyEventObject): string {
  const { error } = event as unknown as { error: unknown };
  return error instanceof Error ? error.message : String(error);
}

function isPingFailure(event: AnyEventObject): boolean {
  if (!event.type.startsWith('xstate.done.actor.')) return true; // the ping actor threw
  const outcome = outputOf<PingOutcome>(event);
  return outcome.type !== 'ok' && outcome.type !== 'transport-down';
}

/**
 * How long a restart waits for the backend's own respawn: `backendRestartGraceMs` when the process is gone (pid
 * cleared by the exit), 0 otherwise (a hung process is not respawned by anyone but us).
 */
function backendRespawnGraceOf(context: WorkerContext): number {
  return context.pid === null ? context.settings.backendRestartGraceMs : 0;
}

function restartPlan(context: WorkerContext, event: AnyEventObject) {
  return planRestart(
    {
      restartHistory: context.restartHistory,
      backoffAttempt: context.backoffAttempt,
      upSince: context.startedAt,
      jitterSeed: context.jitterSeed,
    },
    outputOf<number>(event),
    context.settings,
  );
}

export const workerMachine = setup({
  types: {
    input: {} as WorkerInput,
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
  },
  actions: {
    /** Log the state just entered (src/ supplies a pino child logger). */
    logTransition: (_, _params: WorkerStateChange) => {},
    /** Tell whoever owns this worker (a scaler, the lifecycle manager) about the state just entered. */
    reportStateChange: (_, _params: WorkerStateChange) => {},
    resetForStart: assign({
      reason: null,
      pid: null,
      startedAt: null,
      consecutivePingFailures: 0,
      pingDue: false,
      restartHistory: [],
      backoffAttempt: 0,
    }),
    recordPid: assign({
      pid: ({ context, event }) => ('pid' in event && typeof event.pid === 'number' ? event.pid : context.pid),
    }),
    recordRunning: assign({
      pid: ({ context, event }) => ('pid' in event && typeof event.pid === 'number' ? event.pid : context.pid),
      startedAt: ({ event }) => ('at' in event ? event.at : null),
      consecutivePingFailures: 0,
      pingDue: false,
      replacedPid: null,
    }),
    recordJobActivity: assign({
      lastJobAt: ({ context, event }) => (event.type === 'job.activity' ? event.at : context.lastJobAt),
      consecutivePingFailures: 0,
    }),
    markPingDue: assign({ pingDue: true }),
    recordPingOk: assign({ consecutivePingFailures: 0, pingDue: false }),
    recordPingSkipped: assign({ pingDue: false }),
    recordPingFailure: assign({
      consecutivePingFailures: ({ context }) => context.consecutivePingFailures + 1,
      pingDue: false,
    }),
    recordPingFailures: assign({
      consecutivePingFailures: ({ context }) => context.consecutivePingFailures + 1,
      reason: 'ping-failures',
    }),
    // The process is gone: its pid must not be reported (it may be recycled). startedAt stays until planRestart
    // has read it (a worker that stayed up resetBackoffAfter restarts at once) and clears it.
    recordExit: assign({
      reason: ({ event }) => (event.type === 'process.exited' ? describeExit(event.code, event.signal) : 'exited'),
      pid: null,
    }),
    recordSpawnFailure: assign({
      pid: null,
      reason: ({ event }) =>
        event.type === 'process.spawnFailed'
          ? `spawn failed: ${event.reason}`
          : `spawn failed: ${errorMessage(event as AnyEventObject)}`,
    }),
    recordHealthFailure: assign({
      reason: ({ event }) => (event.type === 'process.healthFailed' ? `health check failed: ${event.reason}` : null),
    }),
    recordExternalStop: assign({ reason: 'stopped outside the supervisor', pid: null }),
    recordStartTimeout: assign({ reason: 'start-timeout' }),
    recordRestartFailure: assign({ reason: ({ event }) => `restart failed: ${errorMessage(event)}` }),
    recordStopFailure: assign({ reason: ({ event }) => `stop failed: ${errorMessage(event)}` }),
    recordRequestedRestart: assign({
      reason: ({ context, event }) => (event.type === 'RESTART' && event.reason ? event.reason : context.reason),
    }),
    planRestart: assign(({ context, event }) => {
      const plan = restartPlan(context, event);
      return {
        restartHistory: plan.restartHistory,
        backoffAttempt: plan.attempt + 1,
        restartDelayMs: Math.max(plan.delayMs, backendRespawnGraceOf(context)),
        jitterSeed: plan.jitterSeed,
        startedAt: null,
      };
    }),
    giveUp: assign(({ context, event }) => ({
      restartHistory: restartPlan(context, event).restartHistory,
      reason: 'restart-intensity',
      startedAt: null,
    })),
    forgiveRestarts: assign({ restartHistory: [], backoffAttempt: 0 }),
    beginRestart: assign({
      restartCount: ({ context }) => context.restartCount + 1,
      replacedPid: ({ context }) => context.pid,
      consecutivePingFailures: 0,
      pingDue: false,
    }),
    clearProcess: assign({ pid: null, startedAt: null, replacedPid: null }),
  },
  actors: {
    /** Start the process (the backend's `start`). Rejects when it cannot be started. */
    startProcess: fromPromise<void, ProcessActorInput>(() =>
      Promise.reject(new Error(notProvidedMessage('startProcess'))),
    ),
    /** Stop the process gracefully; resolves once no process is left. */
    stopProcess: fromPromise<void, ProcessActorInput>(() =>
      Promise.reject(new Error(notProvidedMessage('stopProcess'))),
    ),
    /** Stop what is left of the process and start it again; should honour the abort signal. */
    restartProcess: fromPromise<void, ProcessActorInput>(() =>
      Promise.reject(new Error(notProvidedMessage('restartProcess'))),
    ),
    /** Ping the worker over the job transport; resolves with the outcome, including transport-down. */
    pingWorker: fromPromise<PingOutcome, PingActorInput>(() =>
      Promise.reject(new Error(notProvidedMessage('pingWorker'))),
    ),
    /** Read the supervisor's clock (ms): the machine never reads time itself. */
    readClock: fromPromise<number, void>(() => Promise.reject(new Error(notProvidedMessage('readClock')))),
  },
  guards: {
    isPingDue: ({ context }) => context.pingDue,
    isPingOk: ({ event }) => outputOf<PingOutcome>(event).type === 'ok',
    isPingTransportDown: ({ event }) => outputOf<PingOutcome>(event).type === 'transport-down',
    reachesPingFailureThreshold: ({ context, event }) =>
      isPingFailure(event) && context.consecutivePingFailures + 1 >= context.settings.pingFailureThreshold,
    isOverRestartIntensity: ({ context, event }) => restartPlan(context, event).exceeded,
    isImmediateRestart: ({ context, event }) =>
      restartPlan(context, event).delayMs === 0 && backendRespawnGraceOf(context) === 0,
    /** A stale exit (of a process a restart replaced) carries another pid: only ours, or an unnamed one, counts. */
    isExitOfCurrentProcess: ({ context, event }) =>
      event.type === 'process.exited' && (event.pid === null || event.pid === context.pid),
    isExitOfReplacedProcess: ({ context, event }) =>
      event.type === 'process.exited' && (event.pid === null || event.pid === context.replacedPid),
  },
  delays: {
    idleTimeout: ({ context }) => context.settings.idleTimeoutMs,
    pingInterval: ({ context }) => context.settings.pingIntervalMs,
    restartBackoff: ({ context }) => context.restartDelayMs,
    startTimeout: ({ context }) => context.settings.startTimeoutMs,
    giveUpCooldown: ({ context }) => context.settings.giveUpCooldownMs,
  },
}).createMachine({
  id: 'worker',
  description: 'One supervised worker process, from start to stop.',
  initial: 'stopped',
  context: ({ input }) => ({
    name: input.name,
    scriptType: input.scriptType,
    settings: { ...defaultWorkerSettings, ...input.settings },
    pid: null,
    startedAt: null,
    lastJobAt: null,
    consecutivePingFailures: 0,
    pingDue: false,
    restartHistory: [],
    restartCount: 0,
    backoffAttempt: 0,
    restartDelayMs: 0,
    jitterSeed: seedFromString(input.name),
    replacedPid: null,
    reason: null,
  }),
  states: {
    stopped: {
      description:
        'No process, and none wanted. Late process events are ignored here: nothing restarts after a STOP. ADOPT takes over a process that already runs.',
      entry: [
        { type: 'logTransition', params: { state: 'stopped' } },
        { type: 'reportStateChange', params: { state: 'stopped' } },
      ],
      on: {
        START: { target: 'starting', actions: 'resetForStart' },
        RESTART: { target: 'starting', actions: 'resetForStart' },
        ADOPT: { target: 'up', actions: ['resetForStart', 'recordRunning'] },
      },
    },
    starting: {
      description: 'The process is being started; waits for process.running until startTimeout.',
      entry: [
        { type: 'logTransition', params: { state: 'starting' } },
        { type: 'reportStateChange', params: { state: 'starting' } },
      ],
      invoke: {
        id: 'startProcess',
        src: 'startProcess',
        input: ({ context }) => ({ name: context.name }),
        onError: { target: 'failed', actions: 'recordSpawnFailure' },
      },
      after: {
        startTimeout: { target: 'failed', actions: 'recordStartTimeout' },
      },
      on: {
        'process.spawned': { actions: 'recordPid' },
        'process.running': { target: 'up', actions: 'recordRunning' },
        'process.exited': { target: 'failed', actions: 'recordExit' },
        'process.spawnFailed': { target: 'failed', actions: 'recordSpawnFailure' },
        'process.healthFailed': { target: 'failed', actions: 'recordHealthFailure' },
        STOP: { target: 'stopping' },
      },
    },
    up: {
      description:
        'The process is up: running, idle or being pinged. What the three share is declared once here: an exit of the current process, a failed health check or an external stop fails the worker (an exit of another pid, a replaced process, is stale and ignored); RESTART restarts it, STOP stops it; job.activity returns it to running.',
      initial: 'running',
      on: {
        'job.activity': { target: '.running', actions: 'recordJobActivity' },
        'process.spawned': { actions: 'recordPid' },
        'process.running': { actions: 'recordPid' },
        'process.exited': { guard: 'isExitOfCurrentProcess', target: 'failed', actions: 'recordExit' },
        'process.healthFailed': { target: 'failed', actions: 'recordHealthFailure' },
        'process.stopped': { target: 'failed', actions: 'recordExternalStop' },
        RESTART: { target: 'restarting', actions: 'recordRequestedRestart' },
        STOP: { target: 'stopping' },
      },
      states: {
        running: {
          description:
            'Doing jobs. Each job.activity re-enters it and re-arms idleTimeout; without any, the worker goes idle. PING pings it now (then idle).',
          entry: [
            { type: 'logTransition', params: { state: 'running' } },
            { type: 'reportStateChange', params: { state: 'running' } },
          ],
          after: {
            idleTimeout: { target: 'idle', actions: 'markPingDue' },
          },
          on: {
            PING: { target: 'pinging' },
          },
        },
        idle: {
          description: 'No job for idleTimeout. Pinged at once on arrival, then every pingInterval, or now on PING.',
          entry: [
            { type: 'logTransition', params: { state: 'idle' } },
            { type: 'reportStateChange', params: { state: 'idle' } },
          ],
          always: { guard: 'isPingDue', target: 'pinging' },
          after: {
            pingInterval: { target: 'pinging' },
          },
          on: {
            PING: { target: 'pinging' },
          },
        },
        pinging: {
          description:
            'A ping is in flight. ok resets the failure count; timeout, invalid-reply or error counts; transport-down (the transport, not the worker) never counts. pingFailureThreshold failures in a row: failed with ping-failures.',
          entry: [
            { type: 'logTransition', params: { state: 'pinging' } },
            { type: 'reportStateChange', params: { state: 'pinging' } },
          ],
          invoke: {
            id: 'pingWorker',
            src: 'pingWorker',
            input: ({ context }) => ({
              name: context.name,
              timeoutMs: context.settings.pingTimeoutMs,
              upSince: context.startedAt,
            }),
            onDone: [
              { guard: 'isPingOk', target: 'idle', actions: 'recordPingOk' },
              { guard: 'isPingTransportDown', target: 'idle', actions: 'recordPingSkipped' },
              { guard: 'reachesPingFailureThreshold', target: '#worker.failed', actions: 'recordPingFailures' },
              { target: 'idle', actions: 'recordPingFailure' },
            ],
            onError: [
              { guard: 'reachesPingFailureThreshold', target: '#worker.failed', actions: 'recordPingFailures' },
              { target: 'idle', actions: 'recordPingFailure' },
            ],
          },
        },
      },
    },
    failed: {
      description:
        'Down. Reads the clock, then restarts at once or after a backoff, or gives up when the restart intensity is exceeded. RESTART and giveUpCooldown recover; a process.running (the backend restarted it) returns to running.',
      entry: [
        { type: 'logTransition', params: { state: 'failed' } },
        { type: 'reportStateChange', params: { state: 'failed' } },
      ],
      initial: 'deciding',
      states: {
        deciding: {
          description: 'Reads the clock to account for this restart in the restart window.',
          invoke: {
            id: 'readClock',
            src: 'readClock',
            onDone: [
              { guard: 'isOverRestartIntensity', target: 'gaveUp', actions: 'giveUp' },
              { guard: 'isImmediateRestart', target: '#worker.restarting', actions: 'planRestart' },
              { target: 'backingOff', actions: 'planRestart' },
            ],
          },
        },
        backingOff: {
          description:
            'Waits restartBackoff: backoffBaseMs × 2^(n-1), capped at backoffMaxMs, with jitter; after an exit at least backendRestartGraceMs, so a backend that respawns by itself (Zinit) wins with process.running.',
          after: {
            restartBackoff: { target: '#worker.restarting' },
          },
        },
        gaveUp: {
          description:
            'More than maxRestarts within restartWindow (reason restart-intensity). Waits giveUpCooldown, or RESTART.',
          entry: [
            { type: 'logTransition', params: { state: 'failed', gaveUp: true } },
            { type: 'reportStateChange', params: { state: 'failed', gaveUp: true } },
          ],
          after: {
            giveUpCooldown: { target: '#worker.restarting', actions: 'forgiveRestarts' },
          },
        },
      },
      on: {
        'process.spawned': { actions: 'recordPid' },
        'process.running': { target: 'up', actions: 'recordRunning' },
        RESTART: { target: 'restarting', actions: ['forgiveRestarts', 'recordRequestedRestart'] },
        STOP: { target: 'stopping' },
      },
    },
    restarting: {
      description:
        'One restart in flight (never two): the old process exiting is expected, a stale pid is ignored; waits for process.running until startTimeout.',
      entry: [
        'beginRestart',
        { type: 'logTransition', params: { state: 'restarting' } },
        { type: 'reportStateChange', params: { state: 'restarting' } },
      ],
      invoke: {
        id: 'restartProcess',
        src: 'restartProcess',
        input: ({ context }) => ({ name: context.name }),
        onError: { target: 'failed', actions: 'recordRestartFailure' },
      },
      after: {
        startTimeout: { target: 'failed', actions: 'recordStartTimeout' },
      },
      on: {
        'process.spawned': { actions: 'recordPid' },
        'process.running': { target: 'up', actions: 'recordRunning' },
        'process.exited': [
          { guard: 'isExitOfReplacedProcess' },
          { guard: 'isExitOfCurrentProcess', target: 'failed', actions: 'recordExit' },
        ],
        'process.spawnFailed': { target: 'failed', actions: 'recordSpawnFailure' },
        'process.healthFailed': { target: 'failed', actions: 'recordHealthFailure' },
        STOP: { target: 'stopping' },
      },
    },
    stopping: {
      description: 'Graceful stop requested: waits for stopProcess to finish. Process events are expected and ignored.',
      entry: [
        { type: 'logTransition', params: { state: 'stopping' } },
        { type: 'reportStateChange', params: { state: 'stopping' } },
      ],
      invoke: {
        id: 'stopProcess',
        src: 'stopProcess',
        input: ({ context }) => ({ name: context.name }),
        onDone: { target: 'stopped', actions: 'clearProcess' },
        onError: { target: 'stopped', actions: ['recordStopFailure', 'clearProcess'] },
      },
    },
  },
});

function notProvidedMessage(name: string): string {
  return `${name} not provided: use workerMachine.provide()`;
}

export type WorkerSnapshot = SnapshotFrom<typeof workerMachine>;

/**
 * The design's state of a snapshot: `running`, `idle` or `pinging` inside `up`, `failed` for any of its substates,
 * otherwise the top-level state.
 */
export function workerStateOf(snapshot: WorkerSnapshot): WorkerStateName {
  const { value } = snapshot;
  if (typeof value === 'string') return value as WorkerStateName;
  if ('up' in value) return value.up as WorkerStateName;
  return Object.keys(value)[0] as WorkerStateName;
}
