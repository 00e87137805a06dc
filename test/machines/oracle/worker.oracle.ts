/**
 * The worker lifecycle written down by hand from its specification (machines/README.md), independent of
 * machines/worker.machine.ts: the machine is checked against this table, never against itself.
 *
 * States are LEAF names (`running`, `deciding`, `gaveUp`, …: `failed` is entered at `deciding`), events are
 * normalized (`after idleTimeout`, `done pingWorker`), so regrouping states under a parent changes nothing here.
 * Settings of the cases: `oracleSettings` (2 restarts allowed, 2 ping failures make a restart).
 */
import type { WorkerSettings } from '../../../machines/worker.defaults.js';
import type { PingOutcome, WorkerEvent } from '../../../machines/worker.events.js';

/** Every transition, in the order the machine must try the candidates of one (state, event). */
export const workerTransitions: readonly string[] = [
  // stopped: nothing runs; only a command brings the worker back.
  'stopped --START--> starting',
  'stopped --RESTART--> starting',
  'stopped --ADOPT--> running',
  // starting: startProcess in flight.
  'starting --process.spawned--> (stays)',
  'starting --process.running--> running',
  'starting --process.exited--> deciding',
  'starting --process.spawnFailed--> deciding',
  'starting --process.healthFailed--> deciding',
  'starting --error startProcess--> deciding',
  'starting --after startTimeout--> deciding',
  'starting --STOP--> stopping',
  // running: up and doing jobs.
  'running --job.activity--> running (re-entered)',
  'running --after idleTimeout--> idle',
  'running --PING--> pinging',
  'running --process.spawned--> (stays)',
  'running --process.running--> (stays)',
  'running --process.exited [isExitOfCurrentProcess]--> deciding',
  'running --process.healthFailed--> deciding',
  'running --process.stopped--> deciding',
  'running --RESTART--> restarting',
  'running --STOP--> stopping',
  // idle: pinged at once on arrival, then every pingInterval.
  'idle --(always) [isPingDue]--> pinging',
  'idle --after pingInterval--> pinging',
  'idle --PING--> pinging',
  'idle --job.activity--> running',
  'idle --process.spawned--> (stays)',
  'idle --process.running--> (stays)',
  'idle --process.exited [isExitOfCurrentProcess]--> deciding',
  'idle --process.healthFailed--> deciding',
  'idle --process.stopped--> deciding',
  'idle --RESTART--> restarting',
  'idle --STOP--> stopping',
  // pinging: pingWorker in flight.
  'pinging --done pingWorker [isPingOk]--> idle',
  'pinging --done pingWorker [isPingTransportDown]--> idle',
  'pinging --done pingWorker [reachesPingFailureThreshold]--> deciding',
  'pinging --done pingWorker--> idle',
  'pinging --error pingWorker [reachesPingFailureThreshold]--> deciding',
  'pinging --error pingWorker--> idle',
  'pinging --job.activity--> running',
  'pinging --process.spawned--> (stays)',
  'pinging --process.running--> (stays)',
  'pinging --process.exited [isExitOfCurrentProcess]--> deciding',
  'pinging --process.healthFailed--> deciding',
  'pinging --process.stopped--> deciding',
  'pinging --RESTART--> restarting',
  'pinging --STOP--> stopping',
  // failed.deciding: readClock in flight, then give up, restart at once or back off.
  'deciding --done readClock [isOverRestartIntensity]--> gaveUp',
  'deciding --done readClock [isImmediateRestart]--> restarting',
  'deciding --done readClock--> backingOff',
  'deciding --process.spawned--> (stays)',
  'deciding --process.running--> running',
  'deciding --RESTART--> restarting',
  'deciding --STOP--> stopping',
  // failed.backingOff
  'backingOff --after restartBackoff--> restarting',
  'backingOff --process.spawned--> (stays)',
  'backingOff --process.running--> running',
  'backingOff --RESTART--> restarting',
  'backingOff --STOP--> stopping',
  // failed.gaveUp: never a dead end.
  'gaveUp --after giveUpCooldown--> restarting',
  'gaveUp --process.spawned--> (stays)',
  'gaveUp --process.running--> running',
  'gaveUp --RESTART--> restarting',
  'gaveUp --STOP--> stopping',
  // restarting: restartProcess in flight; the replaced process exiting is expected.
  'restarting --process.spawned--> (stays)',
  'restarting --process.running--> running',
  'restarting --process.exited [isExitOfReplacedProcess]--> (stays)',
  'restarting --process.exited [isExitOfCurrentProcess]--> deciding',
  'restarting --process.spawnFailed--> deciding',
  'restarting --process.healthFailed--> deciding',
  'restarting --error restartProcess--> deciding',
  'restarting --after startTimeout--> deciding',
  'restarting --STOP--> stopping',
  // stopping: stopProcess in flight; ends in stopped either way.
  'stopping --done stopProcess--> stopped',
  'stopping --error stopProcess--> stopped',
];

/** The state a leaf reports to the worker's owner (`reportStateChange`); `gaveUp` also reports `gaveUp: true`. */
export function reportedStateOf(leaf: string): string {
  return ['deciding', 'backingOff', 'gaveUp'].includes(leaf) ? 'failed' : leaf;
}

/** The effect each leaf keeps in flight: the invoked actor the machine must have asked for there. */
export const workerInvokes: Readonly<Record<string, readonly string[]>> = {
  starting: ['startProcess'],
  pinging: ['pingWorker'],
  deciding: ['readClock'],
  restarting: ['restartProcess'],
  stopping: ['stopProcess'],
};

export const oracleSettings: Partial<WorkerSettings> = { maxRestarts: 2, pingFailureThreshold: 2 };

/** The context facts the cases watch: every one not listed in `changes` must be unchanged by the event. */
export interface WorkerFacts {
  pid: number | null;
  restartCount: number;
  consecutivePingFailures: number;
  reason: string | null;
  /** Restarts inside the window (`restartHistory.length`). */
  restartsInWindow: number;
  backoffAttempt: number;
  lastJobAt: number | null;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a case does: send an event (stamped with the clock), settle the actor in flight, or let a timer fire. */
export type OracleStep =
  | { send: DistributiveOmit<WorkerEvent, 'at'> }
  | { resolve: 'pingWorker'; output: PingOutcome }
  | { resolve: 'stopProcess' }
  /** readClock answers the clock's time, or that much later. */
  | { resolve: 'readClock'; laterMs?: number }
  | { reject: 'startProcess' | 'restartProcess' | 'pingWorker' | 'stopProcess'; message: string }
  | { after: 'idleTimeout' | 'pingInterval' | 'startTimeout' | 'restartBackoff' | 'giveUpCooldown' };

/**
 * Where a case starts, with the facts there (pid 10 is the first process, 11 the next, …):
 * - `up`: running since t=0 as pid 10; `idle`: then idle after a successful ping; `pinging`: then pinged;
 * - `pinging, one failure`: one ping failed before (one more reaches the threshold of 2);
 * - `1st failure`, `2nd failure`, `3rd failure`: pid 10 exited (1st), pid 11 exited after an at-once restart (2nd),
 *   pid 12 exited after a backed-off restart (3rd, over the intensity of 2), all within the window;
 * - `restarting, replacement spawned`: a RESTART of pid 10 whose new process 11 reported spawned.
 */
export type OracleGiven =
  | 'fresh'
  | 'starting'
  | 'up'
  | 'idle'
  | 'pinging'
  | 'pinging, one failure'
  | '1st failure'
  | '2nd failure'
  | '3rd failure'
  | 'backing off'
  | 'gave up'
  | 'restarting'
  | 'restarting, replacement spawned'
  | 'stopping'
  | 'stopped after a failed stop';

export interface WorkerCase {
  given: OracleGiven;
  /** The leaf the given leaves the worker in (checked before the step). */
  from: string;
  step: OracleStep;
  /** Why this case: the guard outcome it pins, when there is one. */
  when?: string;
  /** The leaf after the step and every transition it triggers. */
  to: string;
  /** The facts the step changes (`lastJobAt: 'now'`: the clock's time at the step). */
  changes?: Partial<Omit<WorkerFacts, 'lastJobAt'>> & { lastJobAt?: 'now' };
}

const ok: PingOutcome = {
  type: 'ok',
  latencyMs: 3,
  reply: { workerId: 'python_worker_1', pid: 10, uptimeMs: 1000, jobsProcessed: 0, activeJobs: 0, version: '0.1.0' },
};
const timeout: PingOutcome = { type: 'timeout', timeoutMs: 5000 };
const noReply: PingOutcome = { type: 'failed', reason: 'no reply' };
const transportDown: PingOutcome = { type: 'transport-down', reason: 'ECONNREFUSED' };

const exit = (pid: number | null, code = 1) => ({ send: { type: 'process.exited', pid, code, signal: null } }) as const;
const exitReason = (code = 1) => `exited with code ${code}`;

/** Facts of the givens (what the test checks before each step). */
export const givenFacts: Readonly<Record<OracleGiven, WorkerFacts>> = (() => {
  const base: WorkerFacts = {
    pid: null,
    restartCount: 0,
    consecutivePingFailures: 0,
    reason: null,
    restartsInWindow: 0,
    backoffAttempt: 0,
    lastJobAt: null,
  };
  const up = { ...base, pid: 10 };
  const first = { ...base, reason: exitReason() };
  const second = { ...first, restartCount: 1, restartsInWindow: 1, backoffAttempt: 1 };
  const backingOff = { ...second, restartsInWindow: 2, backoffAttempt: 2 };
  const third = { ...backingOff, restartCount: 2 };
  return {
    fresh: base,
    starting: base,
    up,
    idle: up,
    pinging: up,
    'pinging, one failure': { ...up, consecutivePingFailures: 1 },
    '1st failure': first,
    '2nd failure': second,
    '3rd failure': third,
    'backing off': backingOff,
    'gave up': { ...third, restartsInWindow: 3, reason: 'restart-intensity' },
    restarting: { ...up, restartCount: 1 },
    'restarting, replacement spawned': { ...up, pid: 11, restartCount: 1 },
    stopping: up,
    // Restarted once (a requested restart of pid 10, whose replacement 11 ran), then a stop that failed.
    'stopped after a failed stop': { ...base, restartCount: 1, reason: 'stop failed: EPERM', lastJobAt: null },
  };
})();

export const workerCases: readonly WorkerCase[] = [
  // stopped
  { given: 'fresh', from: 'stopped', step: { send: { type: 'START' } }, to: 'starting' },
  { given: 'fresh', from: 'stopped', step: { send: { type: 'RESTART' } }, to: 'starting' },
  { given: 'fresh', from: 'stopped', step: { send: { type: 'ADOPT', pid: 7 } }, to: 'running', changes: { pid: 7 } },
  { given: 'fresh', from: 'stopped', step: { send: { type: 'process.running', pid: 7 } }, to: 'stopped' },
  { given: 'fresh', from: 'stopped', step: exit(7), to: 'stopped' },
  { given: 'fresh', from: 'stopped', step: { send: { type: 'PING' } }, to: 'stopped' },
  { given: 'fresh', from: 'stopped', step: { after: 'giveUpCooldown' }, to: 'stopped' },
  {
    given: 'stopped after a failed stop',
    from: 'stopped',
    step: { send: { type: 'START' } },
    when: 'a new start forgets the last reason',
    to: 'starting',
    changes: { reason: null },
  },
  {
    given: 'stopped after a failed stop',
    from: 'stopped',
    step: { send: { type: 'RESTART' } },
    to: 'starting',
    changes: { reason: null },
  },
  {
    given: 'stopped after a failed stop',
    from: 'stopped',
    step: { send: { type: 'ADOPT', pid: 7 } },
    to: 'running',
    changes: { reason: null, pid: 7 },
  },
  // starting
  {
    given: 'starting',
    from: 'starting',
    step: { send: { type: 'process.spawned', pid: 8 } },
    to: 'starting',
    changes: { pid: 8 },
  },
  {
    given: 'starting',
    from: 'starting',
    step: { send: { type: 'process.running', pid: 8 } },
    to: 'running',
    changes: { pid: 8 },
  },
  { given: 'starting', from: 'starting', step: exit(null, 3), to: 'deciding', changes: { reason: exitReason(3) } },
  {
    given: 'starting',
    from: 'starting',
    step: { send: { type: 'process.spawnFailed', reason: 'ENOENT' } },
    to: 'deciding',
    changes: { reason: 'spawn failed: ENOENT' },
  },
  {
    given: 'starting',
    from: 'starting',
    step: { send: { type: 'process.healthFailed', reason: 'bad' } },
    to: 'deciding',
    changes: { reason: 'health check failed: bad' },
  },
  {
    given: 'starting',
    from: 'starting',
    step: { reject: 'startProcess', message: 'ENOENT' },
    to: 'deciding',
    changes: { reason: 'spawn failed: ENOENT' },
  },
  {
    given: 'starting',
    from: 'starting',
    step: { after: 'startTimeout' },
    to: 'deciding',
    changes: { reason: 'start-timeout' },
  },
  { given: 'starting', from: 'starting', step: { send: { type: 'STOP' } }, to: 'stopping' },
  { given: 'starting', from: 'starting', step: { send: { type: 'PING' } }, to: 'starting' },
  { given: 'starting', from: 'starting', step: { send: { type: 'job.activity' } }, to: 'starting' },
  // running
  {
    given: 'up',
    from: 'running',
    step: { send: { type: 'job.activity' } },
    to: 'running',
    changes: { lastJobAt: 'now' },
  },
  { given: 'up', from: 'running', step: { after: 'idleTimeout' }, when: 'idle is pinged at once', to: 'pinging' },
  { given: 'up', from: 'running', step: { send: { type: 'PING' } }, to: 'pinging' },
  {
    given: 'up',
    from: 'running',
    step: { send: { type: 'process.spawned', pid: 11 } },
    to: 'running',
    changes: { pid: 11 },
  },
  {
    given: 'up',
    from: 'running',
    step: { send: { type: 'process.running', pid: 11 } },
    to: 'running',
    changes: { pid: 11 },
  },
  {
    given: 'up',
    from: 'running',
    step: exit(10),
    when: 'its own pid',
    to: 'deciding',
    changes: { pid: null, reason: exitReason() },
  },
  {
    given: 'up',
    from: 'running',
    step: exit(null),
    when: 'an unnamed pid',
    to: 'deciding',
    changes: { pid: null, reason: exitReason() },
  },
  { given: 'up', from: 'running', step: exit(99), when: 'another pid: stale', to: 'running' },
  {
    given: 'up',
    from: 'running',
    step: { send: { type: 'process.healthFailed', reason: 'bad' } },
    to: 'deciding',
    changes: { reason: 'health check failed: bad' },
  },
  {
    given: 'up',
    from: 'running',
    step: { send: { type: 'process.stopped' } },
    to: 'deciding',
    changes: { pid: null, reason: 'stopped outside the supervisor' },
  },
  {
    given: 'up',
    from: 'running',
    step: { send: { type: 'RESTART', reason: 'config changed' } },
    to: 'restarting',
    changes: { restartCount: 1, reason: 'config changed' },
  },
  { given: 'up', from: 'running', step: { send: { type: 'RESTART' } }, to: 'restarting', changes: { restartCount: 1 } },
  { given: 'up', from: 'running', step: { send: { type: 'STOP' } }, to: 'stopping' },
  { given: 'up', from: 'running', step: { send: { type: 'START' } }, to: 'running' },
  // idle
  { given: 'idle', from: 'idle', step: { after: 'pingInterval' }, to: 'pinging' },
  { given: 'idle', from: 'idle', step: { send: { type: 'PING' } }, to: 'pinging' },
  {
    given: 'idle',
    from: 'idle',
    step: { send: { type: 'job.activity' } },
    to: 'running',
    changes: { lastJobAt: 'now' },
  },
  {
    given: 'idle',
    from: 'idle',
    step: { send: { type: 'process.spawned', pid: 11 } },
    to: 'idle',
    changes: { pid: 11 },
  },
  {
    given: 'idle',
    from: 'idle',
    step: { send: { type: 'process.running', pid: 11 } },
    to: 'idle',
    changes: { pid: 11 },
  },
  {
    given: 'idle',
    from: 'idle',
    step: exit(10),
    when: 'its own pid',
    to: 'deciding',
    changes: { pid: null, reason: exitReason() },
  },
  { given: 'idle', from: 'idle', step: exit(99), when: 'another pid: stale', to: 'idle' },
  {
    given: 'idle',
    from: 'idle',
    step: { send: { type: 'process.healthFailed', reason: 'bad' } },
    to: 'deciding',
    changes: { reason: 'health check failed: bad' },
  },
  {
    given: 'idle',
    from: 'idle',
    step: { send: { type: 'process.stopped' } },
    to: 'deciding',
    changes: { pid: null, reason: 'stopped outside the supervisor' },
  },
  {
    given: 'idle',
    from: 'idle',
    step: { send: { type: 'RESTART', reason: 'config changed' } },
    to: 'restarting',
    changes: { restartCount: 1, reason: 'config changed' },
  },
  { given: 'idle', from: 'idle', step: { send: { type: 'STOP' } }, to: 'stopping' },
  // pinging
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { resolve: 'pingWorker', output: ok },
    to: 'idle',
    changes: { consecutivePingFailures: 0 },
  },
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { resolve: 'pingWorker', output: transportDown },
    when: 'transport-down is never counted',
    to: 'idle',
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: { resolve: 'pingWorker', output: timeout },
    when: 'below the threshold',
    to: 'idle',
    changes: { consecutivePingFailures: 1 },
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: { resolve: 'pingWorker', output: noReply },
    when: 'below the threshold',
    to: 'idle',
    changes: { consecutivePingFailures: 1 },
  },
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { resolve: 'pingWorker', output: timeout },
    when: 'reaches the threshold',
    to: 'deciding',
    changes: { consecutivePingFailures: 2, reason: 'ping-failures' },
  },
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { resolve: 'pingWorker', output: noReply },
    when: 'reaches the threshold',
    to: 'deciding',
    changes: { consecutivePingFailures: 2, reason: 'ping-failures' },
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: { reject: 'pingWorker', message: 'ping crashed' },
    when: 'below the threshold',
    to: 'idle',
    changes: { consecutivePingFailures: 1 },
  },
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { reject: 'pingWorker', message: 'ping crashed' },
    when: 'reaches the threshold',
    to: 'deciding',
    changes: { consecutivePingFailures: 2, reason: 'ping-failures' },
  },
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { send: { type: 'job.activity' } },
    to: 'running',
    changes: { lastJobAt: 'now', consecutivePingFailures: 0 },
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: { send: { type: 'process.spawned', pid: 11 } },
    to: 'pinging',
    changes: { pid: 11 },
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: { send: { type: 'process.running', pid: 11 } },
    to: 'pinging',
    changes: { pid: 11 },
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: exit(10),
    when: 'its own pid',
    to: 'deciding',
    changes: { pid: null, reason: exitReason() },
  },
  { given: 'pinging', from: 'pinging', step: exit(99), when: 'another pid: stale', to: 'pinging' },
  {
    given: 'pinging',
    from: 'pinging',
    step: { send: { type: 'process.healthFailed', reason: 'bad' } },
    to: 'deciding',
    changes: { reason: 'health check failed: bad' },
  },
  {
    given: 'pinging',
    from: 'pinging',
    step: { send: { type: 'process.stopped' } },
    to: 'deciding',
    changes: { pid: null, reason: 'stopped outside the supervisor' },
  },
  {
    given: 'pinging, one failure',
    from: 'pinging',
    step: { send: { type: 'RESTART', reason: 'config changed' } },
    to: 'restarting',
    changes: { restartCount: 1, consecutivePingFailures: 0, reason: 'config changed' },
  },
  { given: 'pinging', from: 'pinging', step: { send: { type: 'STOP' } }, to: 'stopping' },
  // failed.deciding
  {
    given: '1st failure',
    from: 'deciding',
    step: { resolve: 'readClock' },
    when: 'first restart in the window: at once',
    to: 'restarting',
    changes: { restartCount: 1, restartsInWindow: 1, backoffAttempt: 1 },
  },
  {
    given: '2nd failure',
    from: 'deciding',
    step: { resolve: 'readClock' },
    when: 'the next one within the window: backs off',
    to: 'backingOff',
    changes: { restartsInWindow: 2, backoffAttempt: 2 },
  },
  {
    given: '2nd failure',
    from: 'deciding',
    step: { resolve: 'readClock', laterMs: 120_000 },
    when: 'the window passed and the process had stayed up: at once again',
    to: 'restarting',
    changes: { restartCount: 2 },
  },
  {
    given: '3rd failure',
    from: 'deciding',
    step: { resolve: 'readClock' },
    when: 'over the restart intensity: gives up',
    to: 'gaveUp',
    changes: { restartsInWindow: 3, reason: 'restart-intensity' },
  },
  {
    given: '1st failure',
    from: 'deciding',
    step: { send: { type: 'process.spawned', pid: 12 } },
    to: 'deciding',
    changes: { pid: 12 },
  },
  {
    given: '1st failure',
    from: 'deciding',
    step: { send: { type: 'process.running', pid: 12 } },
    when: 'the backend restarted it itself',
    to: 'running',
    changes: { pid: 12 },
  },
  {
    given: '2nd failure',
    from: 'deciding',
    step: { send: { type: 'RESTART' } },
    when: 'a requested restart forgives the earlier ones',
    to: 'restarting',
    changes: { restartCount: 2, restartsInWindow: 0, backoffAttempt: 0 },
  },
  { given: '1st failure', from: 'deciding', step: { send: { type: 'STOP' } }, to: 'stopping' },
  { given: '1st failure', from: 'deciding', step: exit(10), to: 'deciding' },
  // failed.backingOff
  {
    given: 'backing off',
    from: 'backingOff',
    step: { after: 'restartBackoff' },
    to: 'restarting',
    changes: { restartCount: 2 },
  },
  {
    given: 'backing off',
    from: 'backingOff',
    step: { send: { type: 'process.spawned', pid: 12 } },
    to: 'backingOff',
    changes: { pid: 12 },
  },
  {
    given: 'backing off',
    from: 'backingOff',
    step: { send: { type: 'process.running', pid: 12 } },
    to: 'running',
    changes: { pid: 12 },
  },
  {
    given: 'backing off',
    from: 'backingOff',
    step: { send: { type: 'RESTART' } },
    to: 'restarting',
    changes: { restartCount: 2, restartsInWindow: 0, backoffAttempt: 0 },
  },
  { given: 'backing off', from: 'backingOff', step: { send: { type: 'STOP' } }, to: 'stopping' },
  // failed.gaveUp
  {
    given: 'gave up',
    from: 'gaveUp',
    step: { after: 'giveUpCooldown' },
    to: 'restarting',
    changes: { restartCount: 3, restartsInWindow: 0, backoffAttempt: 0 },
  },
  {
    given: 'gave up',
    from: 'gaveUp',
    step: { send: { type: 'RESTART', reason: 'operator' } },
    to: 'restarting',
    changes: { restartCount: 3, restartsInWindow: 0, backoffAttempt: 0, reason: 'operator' },
  },
  {
    given: 'gave up',
    from: 'gaveUp',
    step: { send: { type: 'process.spawned', pid: 13 } },
    to: 'gaveUp',
    changes: { pid: 13 },
  },
  {
    given: 'gave up',
    from: 'gaveUp',
    step: { send: { type: 'process.running', pid: 13 } },
    to: 'running',
    changes: { pid: 13 },
  },
  { given: 'gave up', from: 'gaveUp', step: { send: { type: 'STOP' } }, to: 'stopping' },
  // restarting
  {
    given: 'restarting',
    from: 'restarting',
    step: { send: { type: 'process.spawned', pid: 11 } },
    to: 'restarting',
    changes: { pid: 11 },
  },
  {
    given: 'restarting',
    from: 'restarting',
    step: { send: { type: 'process.running', pid: 11 } },
    to: 'running',
    changes: { pid: 11 },
  },
  { given: 'restarting', from: 'restarting', step: exit(10), when: 'the replaced process: expected', to: 'restarting' },
  {
    given: 'restarting',
    from: 'restarting',
    step: exit(null),
    when: 'an unnamed pid: the replaced one',
    to: 'restarting',
  },
  {
    given: 'restarting, replacement spawned',
    from: 'restarting',
    step: exit(10),
    when: 'the replaced process: expected',
    to: 'restarting',
  },
  {
    given: 'restarting, replacement spawned',
    from: 'restarting',
    step: exit(11),
    when: 'the new process',
    to: 'deciding',
    changes: { pid: null, reason: exitReason() },
  },
  {
    given: 'restarting, replacement spawned',
    from: 'restarting',
    step: exit(99),
    when: 'another pid: stale',
    to: 'restarting',
  },
  {
    given: 'restarting',
    from: 'restarting',
    step: { send: { type: 'process.spawnFailed', reason: 'ENOENT' } },
    to: 'deciding',
    changes: { pid: null, reason: 'spawn failed: ENOENT' },
  },
  {
    given: 'restarting',
    from: 'restarting',
    step: { send: { type: 'process.healthFailed', reason: 'bad' } },
    to: 'deciding',
    changes: { reason: 'health check failed: bad' },
  },
  {
    given: 'restarting',
    from: 'restarting',
    step: { reject: 'restartProcess', message: 'zinit refused' },
    to: 'deciding',
    changes: { reason: 'restart failed: zinit refused' },
  },
  {
    given: 'restarting',
    from: 'restarting',
    step: { after: 'startTimeout' },
    to: 'deciding',
    changes: { reason: 'start-timeout' },
  },
  { given: 'restarting', from: 'restarting', step: { send: { type: 'STOP' } }, to: 'stopping' },
  {
    given: 'restarting',
    from: 'restarting',
    step: { send: { type: 'RESTART' } },
    when: 'never two restarts',
    to: 'restarting',
  },
  // stopping
  { given: 'stopping', from: 'stopping', step: { resolve: 'stopProcess' }, to: 'stopped', changes: { pid: null } },
  {
    given: 'stopping',
    from: 'stopping',
    step: { reject: 'stopProcess', message: 'EPERM' },
    to: 'stopped',
    changes: { pid: null, reason: 'stop failed: EPERM' },
  },
  { given: 'stopping', from: 'stopping', step: exit(10), to: 'stopping' },
  { given: 'stopping', from: 'stopping', step: { send: { type: 'START' } }, to: 'stopping' },
];
