// The supervisor machine against its hand-written oracle (issue 13): the transitions pinned, then each case replayed
// on a real supervisor actor whose scalers record what they are sent and whose dependency effects the test settles.
import { afterAll, describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromCallback, fromPromise, type InspectionEvent } from 'xstate';
import {
  type DependenciesInput,
  type SupervisorEvent,
  supervisorMachine,
} from '../../../machines/supervisor.machine.js';
import {
  canonicalOrder,
  createOracleCoverageTracker,
  flatKey,
  flattenMachine,
  leafOfValue,
  parseFlatKey,
} from './flatten.js';
import {
  type SupervisorCase,
  type SupervisorFacts,
  type SupervisorStep,
  supervisorCases,
  supervisorGivens,
  supervisorOracleInput,
  supervisorTransitions,
} from './supervisor.oracle.js';

const oracle = canonicalOrder(supervisorTransitions.map(parseFlatKey));

describe('supervisorMachine transitions', () => {
  it('are exactly the ones the oracle lists, in the order the oracle tries them', () => {
    expect(flattenMachine(supervisorMachine).map(flatKey)).toEqual(oracle.map(flatKey));
  });
});

interface Call {
  name: string;
  names: readonly string[];
  settled: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

function startSupervisor(inspect: (event: InspectionEvent) => void) {
  const sent: string[] = [];
  const phases: string[] = [];
  const calls: Call[] = [];
  const scaler = fromCallback<{ type: string }, { scriptType: string }>(({ input, receive }) => {
    receive((event) => sent.push(`scaler_${input.scriptType} ${event.type}`));
  });
  const deferred = (name: string) =>
    fromPromise<void, DependenciesInput>(
      ({ input, signal }) =>
        new Promise<void>((resolve, reject) => {
          const call: Call = { name, names: input.names, settled: false, resolve, reject };
          signal.addEventListener('abort', () => {
            call.settled = true;
          });
          calls.push(call);
        }),
    );
  const machine = supervisorMachine.provide({
    actors: {
      // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the scaler machine
      scaler: scaler as any,
      startDependencies: deferred('startDependencies'),
      stopDependencies: deferred('stopDependencies'),
    },
    actions: { reportPhase: (_, { phase }) => phases.push(phase) },
  });
  const actor = createActor(machine, { input: supervisorOracleInput, inspect });
  actor.start();
  const pending = () => calls.filter((call) => !call.settled);
  const step = async (s: SupervisorStep) => {
    if ('settle' in s) {
      const [call] = pending();
      if (call === undefined) throw new Error('no dependency effect in flight');
      call.settled = true;
      if (s.settle === 'resolve') call.resolve();
      else call.reject(new Error(s.message));
      await new Promise((resolve) => setImmediate(resolve));
    } else {
      actor.send(s as SupervisorEvent);
    }
  };
  const facts = (): SupervisorFacts => {
    const snapshot = actor.getSnapshot();
    return {
      leaf: leafOfValue(snapshot.value),
      scalers: Object.keys(snapshot.children as Record<string, AnyActorRef>)
        .filter((id) => id.startsWith('scaler_'))
        .sort(),
      sent: [...sent],
      inFlight: pending().map((call) => `${call.name} ${call.names.join(',')}`),
      phase: phases.at(-1),
      reason: snapshot.context.reason,
    };
  };
  return { actor, step, facts };
}

describe('supervisorMachine against the oracle', () => {
  const coverage = createOracleCoverageTracker(oracle);

  afterAll(() => {
    const result = coverage.report();
    console.log(`supervisor oracle coverage (cases): transitions ${result.reached}/${result.total}`);
    expect(result.unexpected, 'transitions the machine took that the oracle does not list').toEqual([]);
    expect(result.missing, 'oracle transitions no case took').toEqual([]);
  });

  it.each(supervisorCases.map((c) => [`${c.given}: ${JSON.stringify(c.step)}${c.when ? `, ${c.when}` : ''}`, c]))(
    '%s',
    async (_, c: SupervisorCase) => {
      const given = supervisorGivens[c.given];
      const { actor, step, facts } = startSupervisor(coverage.inspect);
      try {
        for (const s of given.steps) await step(s);
        expect(facts(), 'the given').toEqual(given.facts);

        await step(c.step);

        expect(facts()).toEqual({ ...given.facts, ...c.changes });
      } finally {
        actor.stop();
      }
    },
  );
});
