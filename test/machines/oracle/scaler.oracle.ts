/**
 * The scaler written down by hand from its specification (machines/scaler.machine.ts's header, machines/README.md),
 * independent of the machine: its transitions, flattened to leaf states (see flatten.ts), and what each event does
 * to what can be observed from outside (the desired count, the worker actors, the commands they were sent, the
 * decision reported), never to the context's internal bookkeeping.
 */
import type { ScalerEvent, ScalerInput } from '../../../machines/scaler.machine.js';
import type { WorkerStateName } from '../../../machines/worker.machine.js';

export const scalerTransitions: readonly string[] = [
  // active: release a removed worker that stopped, stop surplus ones, add missing ones (repeated until none applies).
  'active --(always) [hasReleasableWorker]--> (stays)',
  'active --(always) [hasSurplusWorker]--> (stays)',
  'active --(always) [needsMoreWorkers]--> (stays)',
  'active --scale.to [changesDesired]--> (stays)',
  'active --queue.depthObserved [autoscaleWantsChange]--> (stays)',
  'active --queue.depthObserved [isAutoscaleEnabled]--> (stays)',
  'active --worker.stateChanged--> (stays)',
  'active --worker.add [canAddWorker]--> (stays)',
  'active --scaler.drain--> draining',
  // draining: every worker sent STOP, each released once stopped; then drained (final).
  'draining --(always) [hasReleasableWorker]--> (stays)',
  'draining --(always) [hasNoWorkers]--> drained',
  'draining --worker.stateChanged--> (stays)',
];

export const at = 1_000;

/** min 1, max 3, two workers at start; autoscale at 1 job per worker, a 10 ms window and a 5 ms cooldown. */
export const scalerOracleInput: ScalerInput = {
  scriptType: 'python',
  min: 1,
  max: 3,
  initial: 2,
  autoscale: { enabled: true, targetJobsPerWorker: 1, stabilizationWindowMs: 10, cooldownMs: 5 },
};

const w0 = 'python_worker_0';
const w1 = 'python_worker_1';
const w2 = 'python_worker_2';

export const report = (workerId: string, state: WorkerStateName, busy = false): ScalerEvent => ({
  type: 'worker.stateChanged',
  workerId,
  state,
  busy,
  at,
});

/** What the outside sees of a scaler. */
export interface ScalerFacts {
  leaf: string;
  desired: number;
  /** The worker actors alive, sorted. */
  workers: string[];
  /** Workers sent START, ADOPT or STOP so far, sorted. */
  started: string[];
  stopped: string[];
  /** Decisions reported (`reportScaled`) so far, and the reason of the latest. */
  decisions: number;
  reason: string;
  /** What the latest decision says (`scale to 1 (asked 0, bounds [1, 3])`). */
  detail: string;
}

export interface ScalerGiven {
  /** The input (`scalerOracleInput` with these overrides) and the events that lead there. */
  input?: Partial<ScalerInput>;
  events: readonly ScalerEvent[];
  facts: ScalerFacts;
}

const twoStarted: ScalerFacts = {
  leaf: 'active',
  desired: 2,
  workers: [w0, w1],
  started: [w0, w1],
  stopped: [],
  decisions: 1,
  reason: 'initial',
  detail: 'start with 2 worker(s)',
};

export const scalerGivens = {
  /** Worker 0 runs a job, worker 1 is idle. */
  'two up': { events: [report(w0, 'running', true), report(w1, 'idle')], facts: twoStarted },
  /** The same, autoscale off. */
  'two up, autoscale off': {
    input: { autoscale: { enabled: false } },
    events: [report(w0, 'running', true), report(w1, 'idle')],
    facts: twoStarted,
  },
  /** Three workers, at max. */
  'three up': {
    input: { initial: 3 },
    events: [report(w0, 'running'), report(w1, 'running'), report(w2, 'running')],
    facts: {
      ...twoStarted,
      desired: 3,
      workers: [w0, w1, w2],
      started: [w0, w1, w2],
      detail: 'start with 3 worker(s)',
    },
  },
  /** Scaled to 1: idle worker 1 was sent STOP and has not stopped yet. */
  'removing 1': {
    events: [report(w0, 'running', true), report(w1, 'idle'), { type: 'scale.to', count: 1, reason: 'manual', at }],
    facts: { ...twoStarted, desired: 1, stopped: [w1], decisions: 2, reason: 'manual', detail: 'scale to 1' },
  },
  /** The queue was seen empty once: the scale-down waits for the window. */
  'queue empty since 1000': {
    events: [report(w0, 'running'), report(w1, 'idle'), { type: 'queue.depthObserved', depth: 0, at }],
    facts: twoStarted,
  },
  /** Draining: both workers were sent STOP. */
  draining: {
    events: [report(w0, 'running'), report(w1, 'idle'), { type: 'scaler.drain', at }],
    facts: {
      ...twoStarted,
      leaf: 'draining',
      desired: 0,
      stopped: [w0, w1],
      decisions: 2,
      reason: 'shutdown',
      detail: 'draining for shutdown',
    },
  },
  /** Draining, worker 0 already released. */
  'draining, one left': {
    events: [report(w0, 'running'), report(w1, 'idle'), { type: 'scaler.drain', at }, report(w0, 'stopped')],
    facts: {
      ...twoStarted,
      leaf: 'draining',
      desired: 0,
      workers: [w1],
      stopped: [w0, w1],
      decisions: 2,
      reason: 'shutdown',
      detail: 'draining for shutdown',
    },
  },
} satisfies Record<string, ScalerGiven>;

export interface ScalerCase {
  given: keyof typeof scalerGivens;
  event: ScalerEvent;
  when?: string;
  /** The facts the event changes; every other one must stay. */
  changes: Partial<ScalerFacts>;
}

export const scalerCases: readonly ScalerCase[] = [
  {
    given: 'two up',
    event: { type: 'scale.to', count: 3, reason: 'manual', at },
    when: 'up: a worker is added and started',
    changes: {
      desired: 3,
      workers: [w0, w1, w2],
      started: [w0, w1, w2],
      decisions: 2,
      reason: 'manual',
      detail: 'scale to 3',
    },
  },
  {
    given: 'two up',
    event: { type: 'scale.to', count: 2, reason: 'manual', at },
    when: 'the desired count already: nothing',
    changes: {},
  },
  {
    given: 'two up',
    event: { type: 'scale.to', count: 1, reason: 'manual', at },
    when: 'down: the idle worker goes, not the busy one',
    changes: { desired: 1, stopped: [w1], decisions: 2, reason: 'manual', detail: 'scale to 1' },
  },
  {
    given: 'two up',
    event: { type: 'scale.to', count: 0, reason: 'manual', at },
    when: 'below min: clamped to min 1',
    changes: {
      desired: 1,
      stopped: [w1],
      decisions: 2,
      reason: 'manual',
      detail: 'scale to 1 (asked 0, bounds [1, 3])',
    },
  },
  {
    given: 'two up',
    event: { type: 'scale.to', count: 9, reason: 'manual', at },
    when: 'above max: clamped to max 3',
    changes: {
      desired: 3,
      workers: [w0, w1, w2],
      started: [w0, w1, w2],
      decisions: 2,
      reason: 'manual',
      detail: 'scale to 3 (asked 9, bounds [1, 3])',
    },
  },
  {
    given: 'removing 1',
    event: report(w1, 'stopped'),
    when: 'a removed worker that stopped is released',
    changes: { workers: [w0] },
  },
  {
    given: 'removing 1',
    event: report(w1, 'stopping'),
    when: 'a removed worker still stopping is kept',
    changes: {},
  },
  {
    given: 'removing 1',
    event: { type: 'scale.to', count: 3, reason: 'manual', at },
    when: 'workers on their way out count toward max',
    changes: { desired: 3, workers: [w0, w1, w2], started: [w0, w1, w2], decisions: 3, detail: 'scale to 3' },
  },
  {
    given: 'two up',
    event: report('python_worker_7', 'idle'),
    when: 'a report of a worker it does not have: nothing',
    changes: {},
  },
  {
    given: 'two up',
    event: { type: 'queue.depthObserved', depth: 3, at },
    when: 'autoscale up at once',
    changes: {
      desired: 3,
      workers: [w0, w1, w2],
      started: [w0, w1, w2],
      decisions: 2,
      reason: 'autoscale-up',
      detail: 'queue depth 3 wants 3 worker(s) at 1 job(s) per worker',
    },
  },
  {
    given: 'two up',
    event: { type: 'queue.depthObserved', depth: 2, at },
    when: 'the queue wants what runs: hold',
    changes: {},
  },
  {
    given: 'two up',
    event: { type: 'queue.depthObserved', depth: 0, at },
    when: 'down waits for the window',
    changes: {},
  },
  {
    given: 'queue empty since 1000',
    event: { type: 'queue.depthObserved', depth: 0, at: at + 100 },
    when: 'down after the window, to min 1, idle first',
    changes: {
      desired: 1,
      stopped: [w1],
      decisions: 2,
      reason: 'autoscale-down',
      detail: 'queue depth 0 wants 1 worker(s) at 1 job(s) per worker for 100 ms',
    },
  },
  {
    given: 'two up, autoscale off',
    event: { type: 'queue.depthObserved', depth: 5, at },
    when: 'autoscale off: depth ignored',
    changes: {},
  },
  {
    given: 'two up',
    event: { type: 'worker.add', workerId: 'api', at },
    when: 'a named worker is added and started',
    changes: {
      desired: 3,
      workers: ['api', w0, w1],
      started: ['api', w0, w1],
      decisions: 2,
      reason: 'worker-added',
      detail: 'worker api added',
    },
  },
  {
    given: 'two up',
    event: { type: 'worker.add', workerId: w0, at },
    when: 'a worker it has: nothing',
    changes: {},
  },
  {
    given: 'three up',
    event: { type: 'worker.add', workerId: 'api', at },
    when: 'at max: nothing',
    changes: {},
  },
  {
    given: 'two up',
    event: { type: 'scaler.drain', at },
    changes: {
      leaf: 'draining',
      desired: 0,
      stopped: [w0, w1],
      decisions: 2,
      reason: 'shutdown',
      detail: 'draining for shutdown',
    },
  },
  {
    given: 'draining',
    event: report(w0, 'stopped'),
    when: 'a stopped worker is released',
    changes: { workers: [w1] },
  },
  {
    given: 'draining',
    event: { type: 'scale.to', count: 3, reason: 'manual', at },
    when: 'scaling has stopped',
    changes: {},
  },
  {
    given: 'draining, one left',
    event: report(w1, 'stopped'),
    when: 'the last one stopped: drained',
    changes: { leaf: 'drained', workers: [] },
  },
];
