// The scaler machine against its hand-written oracle (issue 13): the transitions pinned, then each case of the oracle
// replayed on a real scaler actor whose workers are recording stand-ins, checking only what the outside sees.
import { afterAll, describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromCallback, type InspectionEvent } from 'xstate';
import { type ScaleDecision, type ScalerInput, scalerMachine } from '../../../machines/scaler.machine.js';
import {
  canonicalOrder,
  createOracleCoverageTracker,
  flatKey,
  flattenMachine,
  leafOfValue,
  parseFlatKey,
} from './flatten.js';
import {
  type ScalerCase,
  type ScalerFacts,
  type ScalerGiven,
  scalerCases,
  scalerGivens,
  scalerOracleInput,
  scalerTransitions,
} from './scaler.oracle.js';

const oracle = canonicalOrder(scalerTransitions.map(parseFlatKey));

describe('scalerMachine transitions', () => {
  it('are exactly the ones the oracle lists, in the order the oracle tries them', () => {
    expect(flattenMachine(scalerMachine).map(flatKey)).toEqual(oracle.map(flatKey));
  });
});

function startScaler(input: ScalerInput, inspect: (event: InspectionEvent) => void) {
  const commands: { worker: string; type: string }[] = [];
  const decisions: ScaleDecision[] = [];
  const worker = fromCallback<{ type: string }, { name: string }>(({ input: { name }, receive }) => {
    receive((event) => commands.push({ worker: name, type: event.type }));
  });
  const machine = scalerMachine.provide({
    // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the worker machine
    actors: { worker: worker as any },
    actions: { reportScaled: ({ context }) => decisions.push(context.lastDecision) },
  });
  const actor = createActor(machine, { input, inspect });
  actor.start();
  const sent = (types: string[]) =>
    [...new Set(commands.filter((c) => types.includes(c.type)).map((c) => c.worker))].sort();
  const facts = (): ScalerFacts => {
    const snapshot = actor.getSnapshot();
    return {
      leaf: leafOfValue(snapshot.value),
      desired: snapshot.context.desired,
      workers: Object.keys(snapshot.children as Record<string, AnyActorRef>).sort(),
      started: sent(['START', 'ADOPT']),
      stopped: sent(['STOP']),
      decisions: decisions.length,
      reason: decisions.at(-1)?.reason ?? '(none)',
      detail: decisions.at(-1)?.detail ?? '(none)',
    };
  };
  return { actor, facts };
}

describe('scalerMachine against the oracle', () => {
  const coverage = createOracleCoverageTracker(oracle);

  afterAll(() => {
    const result = coverage.report();
    console.log(`scaler oracle coverage (cases): transitions ${result.reached}/${result.total}`);
    expect(result.unexpected, 'transitions the machine took that the oracle does not list').toEqual([]);
    expect(result.missing, 'oracle transitions no case took').toEqual([]);
  });

  it.each(scalerCases.map((c) => [`${c.given}: ${JSON.stringify(c.event)}${c.when ? `, ${c.when}` : ''}`, c]))(
    '%s',
    (_, c: ScalerCase) => {
      const given: ScalerGiven = scalerGivens[c.given];
      const { actor, facts } = startScaler({ ...scalerOracleInput, ...given.input }, coverage.inspect);
      try {
        for (const event of given.events) actor.send(event);
        expect(facts(), 'the given').toEqual(given.facts);

        actor.send(c.event);

        expect(facts()).toEqual({ ...given.facts, ...c.changes });
      } finally {
        actor.stop();
      }
    },
  );
});
