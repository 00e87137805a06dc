/**
 * A worker actor on a SimulatedClock whose effects are test implementations that record what the machine
 * requested: every invoked actor (start, stop, restart, ping, clock read) becomes a pending call the test
 * settles by hand, and every state report is kept. No real time, no processes.
 */
import { type AnyEventObject, createActor, fromPromise, type InspectionEvent, SimulatedClock } from 'xstate';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import type { PingOutcome, WorkerEvent } from '../../machines/worker.events.js';
import {
  type PingActorInput,
  type WorkerContext,
  type WorkerStateChange,
  workerMachine,
} from '../../machines/worker.machine.js';

export type WorkerActorName = 'startProcess' | 'stopProcess' | 'restartProcess' | 'pingWorker' | 'readClock';

export const workerActorNames: readonly WorkerActorName[] = [
  'startProcess',
  'stopProcess',
  'restartProcess',
  'pingWorker',
  'readClock',
];

/** One invocation of an actor the machine asked for, and what became of it. */
export interface ActorCall {
  actor: WorkerActorName;
  input: unknown;
  /** `aborted`: the machine stopped the actor (left the state) before it settled. */
  status: 'pending' | 'resolved' | 'rejected' | 'aborted';
  startedAt: number;
  settle: { resolve: (output: unknown) => void; reject: (error: unknown) => void };
}

export interface ReportedStateChange extends WorkerStateChange {
  reason: string | null;
  at: number;
}

export interface WorkerHarnessOptions {
  name?: string;
  settings?: Partial<WorkerSettings>;
  /** Resolve every `readClock` at once with the SimulatedClock's time (default). Off: settle by hand. */
  autoClock?: boolean;
  inspect?: (event: InspectionEvent) => void;
}

/** Lets pending promise callbacks (actor outputs, sendBack) run; not a sleep: nothing waits on time. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function createWorkerHarness(options: WorkerHarnessOptions = {}) {
  const clock = new SimulatedClock();
  const calls: ActorCall[] = [];
  const reports: ReportedStateChange[] = [];
  const logged: WorkerStateChange[] = [];
  const autoClock = options.autoClock ?? true;

  const recording = <TOutput, TInput>(actor: WorkerActorName) =>
    fromPromise<TOutput, TInput>(
      ({ input, signal }) =>
        new Promise<TOutput>((resolve, reject) => {
          const call: ActorCall = {
            actor,
            input,
            status: 'pending',
            startedAt: clock.now(),
            settle: {
              resolve: (output) => {
                call.status = 'resolved';
                resolve(output as TOutput);
              },
              reject: (error) => {
                call.status = 'rejected';
                reject(error);
              },
            },
          };
          signal.addEventListener('abort', () => {
            if (call.status === 'pending') call.status = 'aborted';
          });
          calls.push(call);
          if (actor === 'readClock' && autoClock) call.settle.resolve(clock.now());
        }),
    );

  const machine = workerMachine.provide({
    actions: {
      logTransition: (_, params) => {
        logged.push(params);
      },
      reportStateChange: ({ context }, params) => {
        reports.push({ ...params, reason: context.reason, at: clock.now() });
      },
    },
    actors: {
      startProcess: recording<void, { name: string }>('startProcess'),
      stopProcess: recording<void, { name: string }>('stopProcess'),
      restartProcess: recording<void, { name: string }>('restartProcess'),
      pingWorker: recording<PingOutcome, PingActorInput>('pingWorker'),
      readClock: recording<number, void>('readClock'),
    },
  });

  const actor = createActor(machine, {
    clock,
    input: { name: options.name ?? 'python_worker_1', scriptType: 'python', settings: options.settings },
    inspect: options.inspect,
  });
  actor.start();

  function pending(name?: WorkerActorName): ActorCall[] {
    return calls.filter((call) => call.status === 'pending' && (name === undefined || call.actor === name));
  }

  function pendingCall(name: WorkerActorName): ActorCall {
    const found = pending(name);
    if (found.length !== 1) {
      throw new Error(`Expected exactly one pending ${name}, found ${found.length} (state ${stateValue()})`);
    }
    return found[0] as ActorCall;
  }

  /** The state value with the compound `up` read as its substate: `"running"`, `"idle"`, `{"failed":"gaveUp"}`. */
  function stateValue(): string {
    const { value } = actor.getSnapshot();
    return JSON.stringify(typeof value === 'object' && 'up' in value ? value.up : value);
  }

  return {
    actor,
    clock,
    calls,
    reports,
    logged,
    machine,
    pending,
    /** Send an event stamped with the clock's time, as src/ does. */
    async send(event: DistributiveOmit<WorkerEvent, 'at'>): Promise<void> {
      actor.send({ ...event, at: clock.now() } as WorkerEvent);
      await flush();
    },
    /** Send an event exactly as given (its own `at`). */
    async sendRaw(event: WorkerEvent | AnyEventObject): Promise<void> {
      actor.send(event as WorkerEvent);
      await flush();
    },
    async resolve(name: WorkerActorName, output?: unknown): Promise<void> {
      pendingCall(name).settle.resolve(output);
      await flush();
    },
    async reject(name: WorkerActorName, error: unknown = new Error(`${name} failed`)): Promise<void> {
      pendingCall(name).settle.reject(error);
      await flush();
    },
    async advance(ms: number): Promise<void> {
      clock.increment(ms);
      await flush();
    },
    context(): WorkerContext {
      return actor.getSnapshot().context;
    },
    stateValue,
    stop(): void {
      actor.stop();
    },
  };
}

export type WorkerHarness = ReturnType<typeof createWorkerHarness>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Bring a fresh harness to `running` (START, start accepted, process.running). */
export async function bringUp(harness: WorkerHarness, pid = 4242): Promise<void> {
  await harness.send({ type: 'START' });
  await harness.resolve('startProcess');
  await harness.send({ type: 'process.running', pid });
}
