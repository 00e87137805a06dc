/**
 * The supervisor written down by hand from its specification (machines/supervisor.machine.ts's header), independent
 * of the machine: its transitions flattened to leaf states (see flatten.ts), and what each event does to what the
 * outside sees: the phase reported, the scalers spawned, what they were sent, the dependency effect in flight.
 */
import type { SupervisorEvent, SupervisorInput } from '../../../machines/supervisor.machine.js';

export const supervisorTransitions: readonly string[] = [
  'idle --START--> startingDependencies',
  'idle --SHUTDOWN--> stopped',
  'startingDependencies --done startDependencies--> running',
  'startingDependencies --error startDependencies--> failed',
  'startingDependencies --SHUTDOWN--> stoppingWorkers',
  'running --scale.to [hasScaler]--> (stays)',
  'running --queue.depthObserved [hasScaler]--> (stays)',
  'running --worker.add [hasScaler]--> (stays)',
  'running --SHUTDOWN--> stoppingWorkers',
  'failed --START--> startingDependencies',
  'failed --SHUTDOWN--> stoppingWorkers',
  // shuttingDown.stoppingWorkers: every scaler drains; then the dependencies stop in reverse order.
  'stoppingWorkers --scaler.drained--> (stays)',
  'stoppingWorkers --(always) [allScalersDrained]--> stoppingDependencies',
  'stoppingDependencies --done stopDependencies--> stopped',
  'stoppingDependencies --error stopDependencies--> stopped',
];

export const at = 1_000;

export const supervisorOracleInput: SupervisorInput = {
  scalers: [{ scriptType: 'python' }, { scriptType: 'rhai' }],
  dependencies: ['redis', 'postgres'],
};

export interface SupervisorFacts {
  leaf: string;
  /** The scaler actors alive, sorted. */
  scalers: string[];
  /** `<scaler> <event type>` for each event a scaler was sent, in order. */
  sent: string[];
  /** The dependency effect in flight and the services it acts on, in order. */
  inFlight: string[];
  /** The latest phase reported. */
  phase: string | undefined;
  reason: string | null;
}

/** A step: an event, or the dependency effect in flight settling. */
export type SupervisorStep = SupervisorEvent | { settle: 'resolve' } | { settle: 'reject'; message: string };

const running = { type: 'START', at } as const;
const both = ['scaler_python', 'scaler_rhai'];
const drainSent = ['scaler_python scaler.drain', 'scaler_rhai scaler.drain'];
const none: SupervisorFacts = { leaf: 'idle', scalers: [], sent: [], inFlight: [], phase: undefined, reason: null };
const starting = { ...none, leaf: 'startingDependencies', inFlight: ['startDependencies redis,postgres'] };
const up = { ...none, leaf: 'running', scalers: both, phase: 'running' };
const stoppingWorkers = { ...up, leaf: 'stoppingWorkers', sent: drainSent, phase: 'shuttingDown' };
const stoppingDependencies = {
  ...stoppingWorkers,
  leaf: 'stoppingDependencies',
  inFlight: ['stopDependencies postgres,redis'],
};

export const supervisorGivens = {
  idle: { steps: [], facts: none },
  starting: { steps: [running], facts: { ...starting, phase: 'startingDependencies' } },
  running: { steps: [running, { settle: 'resolve' }], facts: up },
  failed: {
    steps: [running, { settle: 'reject', message: 'redis exited with code 1' }],
    facts: { ...none, leaf: 'failed', phase: 'failed', reason: 'redis exited with code 1' },
  },
  'stopping workers': { steps: [running, { settle: 'resolve' }, { type: 'SHUTDOWN', at }], facts: stoppingWorkers },
  'stopping workers, python drained': {
    steps: [running, { settle: 'resolve' }, { type: 'SHUTDOWN', at }, { type: 'scaler.drained', scriptType: 'python' }],
    facts: stoppingWorkers,
  },
  'stopping dependencies': {
    steps: [
      running,
      { settle: 'resolve' },
      { type: 'SHUTDOWN', at },
      { type: 'scaler.drained', scriptType: 'python' },
      { type: 'scaler.drained', scriptType: 'rhai' },
    ],
    facts: stoppingDependencies,
  },
} satisfies Record<string, { steps: readonly SupervisorStep[]; facts: SupervisorFacts }>;

export interface SupervisorCase {
  given: keyof typeof supervisorGivens;
  step: SupervisorStep;
  when?: string;
  changes: Partial<SupervisorFacts>;
}

export const supervisorCases: readonly SupervisorCase[] = [
  {
    given: 'idle',
    step: { type: 'START', at },
    changes: { leaf: 'startingDependencies', inFlight: starting.inFlight, phase: 'startingDependencies' },
  },
  {
    given: 'idle',
    step: { type: 'SHUTDOWN', at },
    when: 'nothing started: nothing to stop',
    changes: { leaf: 'stopped', phase: 'stopped' },
  },
  { given: 'idle', step: { type: 'scale.to', scriptType: 'python', count: 2, reason: 'manual', at }, changes: {} },
  {
    given: 'starting',
    step: { settle: 'resolve' },
    changes: { leaf: 'running', inFlight: [], scalers: both, phase: 'running' },
  },
  {
    given: 'starting',
    step: { settle: 'reject', message: 'redis exited with code 1' },
    changes: { leaf: 'failed', inFlight: [], phase: 'failed', reason: 'redis exited with code 1' },
  },
  {
    given: 'starting',
    step: { type: 'SHUTDOWN', at },
    when: 'no scaler to drain: the dependencies stop at once',
    changes: { leaf: 'stoppingDependencies', inFlight: stoppingDependencies.inFlight, phase: 'shuttingDown' },
  },
  {
    given: 'running',
    step: { type: 'scale.to', scriptType: 'python', count: 2, reason: 'manual', at },
    changes: { sent: ['scaler_python scale.to'] },
  },
  {
    given: 'running',
    step: { type: 'queue.depthObserved', scriptType: 'rhai', depth: 5, at },
    changes: { sent: ['scaler_rhai queue.depthObserved'] },
  },
  {
    given: 'running',
    step: { type: 'worker.add', scriptType: 'python', workerId: 'api', at },
    changes: { sent: ['scaler_python worker.add'] },
  },
  {
    given: 'running',
    step: { type: 'scale.to', scriptType: 'go', count: 2, reason: 'manual', at },
    when: 'no scaler of that type: ignored',
    changes: {},
  },
  {
    given: 'running',
    step: { type: 'SHUTDOWN', at },
    changes: { leaf: 'stoppingWorkers', sent: drainSent, phase: 'shuttingDown' },
  },
  {
    given: 'failed',
    step: { type: 'START', at },
    when: 'retries',
    changes: { leaf: 'startingDependencies', inFlight: starting.inFlight, phase: 'startingDependencies' },
  },
  {
    given: 'failed',
    step: { type: 'SHUTDOWN', at },
    changes: { leaf: 'stoppingDependencies', inFlight: stoppingDependencies.inFlight, phase: 'shuttingDown' },
  },
  { given: 'stopping workers', step: { type: 'scaler.drained', scriptType: 'python' }, changes: {} },
  {
    given: 'stopping workers',
    step: { type: 'scale.to', scriptType: 'python', count: 2, reason: 'manual', at },
    when: 'scaling requests are ignored once shutting down',
    changes: {},
  },
  {
    given: 'stopping workers, python drained',
    step: { type: 'scaler.drained', scriptType: 'rhai' },
    changes: { leaf: 'stoppingDependencies', inFlight: stoppingDependencies.inFlight },
  },
  {
    given: 'stopping dependencies',
    step: { settle: 'resolve' },
    changes: { leaf: 'stopped', inFlight: [], phase: 'stopped' },
  },
  {
    given: 'stopping dependencies',
    step: { settle: 'reject', message: 'EPERM' },
    changes: { leaf: 'stopped', inFlight: [], phase: 'stopped', reason: 'EPERM' },
  },
];
