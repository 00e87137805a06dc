/**
 * The status diff (issue 12): what one poll saw (Zinit's `list`, plus `status` for what changed) into process events,
 * without sockets. Recorded Zinit v0.2.14 status series (test/fixtures/zinit/transcripts) are replayed poll by poll
 * through the same two steps the manager takes: servicesToInspect(), then diffPoll() with only those statuses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ProcessEvent } from '../../../src/process/process-events.js';
import type { ServiceSpec } from '../../../src/process/process-manager.js';
import type { ZinitKnowledge } from '../../../src/process/zinit/normalize-status.js';
import {
  applyStatus,
  diffPoll,
  holdsDownAfterExit,
  inDependencyOrder,
  NOTHING_OBSERVED,
  type ObservedServices,
  type ServiceMemory,
  servicesToInspect,
} from '../../../src/process/zinit/status-diff.js';
import type { ZinitRawStatus } from '../../../src/process/zinit/zinit-client.js';

const TRANSCRIPTS = fileURLToPath(new URL('../../fixtures/zinit/transcripts/', import.meta.url));

/** The `status` replies of a recorded series, grouped into polls: a poll ends when a service shows up again. */
function recordedPolls(file: string, only?: readonly string[]): ZinitRawStatus[][] {
  const polls: ZinitRawStatus[][] = [];
  let current: ZinitRawStatus[] = [];
  for (const line of readFileSync(join(TRANSCRIPTS, file), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const exchange = JSON.parse(line) as { service?: string; recv?: string };
    if (exchange.service === undefined || exchange.recv === undefined) continue;
    if (only && !only.includes(exchange.service)) continue;
    const status = (JSON.parse(exchange.recv) as { body: ZinitRawStatus }).body;
    if (current.some((seen) => seen.name === status.name)) {
      polls.push(current);
      current = [];
    }
    current.push(status);
  }
  if (current.length > 0) polls.push(current);
  return polls;
}

function knowledgeOf(specs: ServiceSpec[] = [], heldDown: string[] = []): ZinitKnowledge {
  return { specs: new Map(specs.map((spec) => [spec.name, spec])), heldDown: new Set(heldDown) };
}

const spec = (name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name,
  command: ['/usr/bin/worker', name],
  ...extra,
});

const status = (name: string, state: string, pid = 0, extra: Partial<ZinitRawStatus> = {}): ZinitRawStatus => ({
  name,
  state,
  pid,
  target: 'Up',
  after: {},
  ...extra,
});

/** Runs polls through both steps, as the manager does; `at` of poll i is i. */
function replay(
  polls: readonly (readonly ZinitRawStatus[])[],
  knowledge: ZinitKnowledge,
  start: ObservedServices = NOTHING_OBSERVED,
  { afterOutage = false } = {},
): { observed: ObservedServices; events: ProcessEvent[]; holdDown: string[]; inspected: string[][] } {
  let observed = start;
  const events: ProcessEvent[] = [];
  const holdDown: string[] = [];
  const inspected: string[][] = [];
  polls.forEach((poll, at) => {
    const listed = new Map(poll.map((s) => [s.name, s.state]));
    const names = servicesToInspect(observed, listed, knowledge, afterOutage);
    inspected.push(names);
    const statuses = new Map(poll.filter((s) => names.includes(s.name)).map((s) => [s.name, s]));
    const outcome = diffPoll(observed, { listed, statuses, afterOutage, at }, knowledge);
    observed = outcome.observed;
    events.push(...outcome.events);
    holdDown.push(...outcome.holdDown);
  });
  return { observed, events, holdDown, inspected };
}

const withoutAt = (events: readonly ProcessEvent[]) => events.map(({ at: _at, ...rest }) => rest);

const memory = (raw: string | undefined, extra: Partial<ServiceMemory> = {}): ServiceMemory => ({
  raw,
  spawnedPid: 0,
  runningPid: 0,
  exitedPid: -1,
  stoppedReported: false,
  ...extra,
});

const observedOf = (entries: Record<string, ServiceMemory>, baselineDone = true): ObservedServices => ({
  baselineDone,
  services: new Map(Object.entries(entries)),
});

describe('recorded Zinit series through the diff', () => {
  it('04 (crash loop): adopts the first exit silently, then spawned, running, exited once per process', () => {
    const { events } = replay(recordedPolls('04-restart-timing-crasher.jsonl', ['crasher']), knowledgeOf());

    const run = (pid: number) => [
      { type: 'process.spawned', service: 'crasher', pid },
      { type: 'process.running', service: 'crasher', pid },
      { type: 'process.exited', service: 'crasher', pid, code: 1, signal: null },
    ];
    expect(withoutAt(events)).toEqual([...run(14751), ...run(14755), ...run(14803), ...run(14840)]);
  });

  it('04: a whole run between two polls is still reported, from the pid inside the Error string', () => {
    const polls = recordedPolls('04-restart-timing-crasher.jsonl', ['crasher']);
    const first = polls[0] ?? [];
    const exitOf14755 = polls.find((poll) => poll[0]?.state === 'Error(Exited(Pid(14755), 1))') ?? [];

    const { events } = replay([first, exitOf14755], knowledgeOf());

    expect(withoutAt(events)).toEqual([
      { type: 'process.spawned', service: 'crasher', pid: 14755 },
      { type: 'process.exited', service: 'crasher', pid: 14755, code: 1, signal: null },
    ]);
  });

  it('04: asks for `status` only when the state string changed', () => {
    const { inspected } = replay(recordedPolls('04-restart-timing-crasher.jsonl', ['crasher']), knowledgeOf());

    // The baseline adopts without a status; then one status per change: 4 runs, each Running and Error.
    expect(inspected[0]).toEqual([]);
    expect(inspected.filter((names) => names.length > 0)).toHaveLength(8);
  });

  it('06 (stop, then start within 2 s): exited by SIGTERM and stopped, then the new process once it runs', () => {
    const { events } = replay(recordedPolls('06-stop-then-start-within-2s.jsonl'), knowledgeOf([spec('sleeper')]));

    expect(withoutAt(events)).toEqual([
      { type: 'process.spawned', service: 'sleeper', pid: 13792 },
      { type: 'process.running', service: 'sleeper', pid: 13792 },
      { type: 'process.exited', service: 'sleeper', pid: 13792, code: null, signal: 'SIGTERM' },
      { type: 'process.stopped', service: 'sleeper' },
      { type: 'process.spawned', service: 'sleeper', pid: 14960 },
      { type: 'process.running', service: 'sleeper', pid: 14960 },
    ]);
  });

  it('08 (kill SIGKILL with target Up): exited by SIGKILL, never stopped, then respawned', () => {
    const { events } = replay(recordedPolls('08-kill-sigkill-restart.jsonl'), knowledgeOf([spec('sleeper')]));

    expect(withoutAt(events).map((event) => event.type)).toEqual([
      'process.spawned',
      'process.running',
      'process.exited',
      'process.spawned',
      'process.running',
    ]);
    expect(events[2]).toMatchObject({ pid: 15058, code: null, signal: 'SIGKILL' });
  });

  it('11 (oneshot chain): waits for a running oneshot, then reports the chain in dependency order', () => {
    const knowledge = knowledgeOf([
      spec('slow-oneshot', { oneshot: true }),
      spec('after-slow', { after: ['slow-oneshot'] }),
      spec('after-after', { after: ['after-slow'] }),
    ]);
    // List the dependents first: the diff must still order the events by dependency.
    const polls = recordedPolls('11-oneshot-dependency-chain.jsonl').map((poll) => [...poll].reverse());

    const { events } = replay(polls, knowledge);

    expect(withoutAt(events)).toEqual([
      { type: 'process.spawned', service: 'slow-oneshot', pid: 18070 },
      { type: 'process.running', service: 'slow-oneshot', pid: 18070 },
      { type: 'process.blocked', service: 'after-slow', waitingFor: ['slow-oneshot'] },
      { type: 'process.blocked', service: 'after-after', waitingFor: ['after-slow'] },
      { type: 'process.exited', service: 'slow-oneshot', pid: 18070, code: 0, signal: null },
      { type: 'process.spawned', service: 'after-slow', pid: 18111 },
      { type: 'process.running', service: 'after-slow', pid: 18111 },
      { type: 'process.spawned', service: 'after-after', pid: 18112 },
      { type: 'process.running', service: 'after-after', pid: 18112 },
    ]);
  });
});

describe('servicesToInspect', () => {
  const listed = (entries: Record<string, string>) => new Map(Object.entries(entries));

  it('on the first poll skips services not declared here (adopted silently) and inspects declared ones', () => {
    expect(
      servicesToInspect(
        NOTHING_OBSERVED,
        listed({ old: 'Running', mine: 'Running' }),
        knowledgeOf([spec('mine')]),
        false,
      ),
    ).toEqual(['mine']);
  });

  it('after the first poll inspects every new service, declared or not', () => {
    const observed = observedOf({});

    expect(servicesToInspect(observed, listed({ late: 'Running' }), knowledgeOf(), false)).toEqual(['late']);
  });

  it('inspects a known service only when its state string changed', () => {
    const observed = observedOf({ same: memory('Running', { spawnedPid: 4 }), moved: memory('Running') });

    expect(servicesToInspect(observed, listed({ same: 'Running', moved: 'Success' }), knowledgeOf(), false)).toEqual([
      'moved',
    ]);
  });

  it.each([
    ['Running', 4, true, true],
    ['Spawned', 4, true, true],
    ['Running', 0, true, false],
    ['Blocked', 4, true, false],
    ['Running', 4, false, false],
  ] as const)(
    'after an outage rechecks an unchanged %s with spawned pid %d (outage: %s): %s',
    (raw, pid, outage, expected) => {
      const observed = observedOf({ svc: memory(raw, { spawnedPid: pid }) });

      expect(servicesToInspect(observed, listed({ svc: raw }), knowledgeOf(), outage)).toEqual(expected ? ['svc'] : []);
    },
  );
});

describe('diffPoll', () => {
  const poll = (
    observed: ObservedServices,
    statuses: ZinitRawStatus[],
    knowledge = knowledgeOf(),
    options: { afterOutage?: boolean; listedOnly?: Record<string, string>; at?: number } = {},
  ) =>
    diffPoll(
      observed,
      {
        listed: new Map([
          ...statuses.map((s) => [s.name, s.state] as const),
          ...Object.entries(options.listedOnly ?? {}),
        ]),
        statuses: new Map(statuses.map((s) => [s.name, s])),
        afterOutage: options.afterOutage ?? false,
        at: options.at ?? 7,
      },
      knowledge,
    );

  it('adopts what ran before the first poll without events, remembering a recorded exit as already reported', () => {
    const outcome = poll(NOTHING_OBSERVED, [], knowledgeOf(), {
      listedOnly: { old: 'Error(Exited(Pid(41), 2))', idle: 'Running' },
    });

    expect(outcome.events).toEqual([]);
    expect(outcome.observed.baselineDone).toBe(true);
    expect(outcome.observed.services.get('old')).toEqual(memory('Error(Exited(Pid(41), 2))', { exitedPid: 41 }));
    expect(outcome.observed.services.get('idle')).toEqual(memory('Running'));
  });

  it('reports a service declared here from the first poll on', () => {
    const outcome = poll(NOTHING_OBSERVED, [status('mine', 'Running', 12)], knowledgeOf([spec('mine')]));

    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.spawned', service: 'mine', pid: 12 },
      { type: 'process.running', service: 'mine', pid: 12 },
    ]);
  });

  it('stamps every event with the time the list answered', () => {
    const outcome = poll(observedOf({}), [status('a', 'Running', 3)], knowledgeOf(), { at: 1234 });

    expect(outcome.events.map((event) => event.at)).toEqual([1234, 1234]);
  });

  it('reports Spawned, then Running, of one process: spawned once, running once', () => {
    const first = poll(observedOf({}), [status('t', 'Spawned', 9)]);
    const second = poll(first.observed, [status('t', 'Running', 9)]);

    expect(withoutAt(first.events)).toEqual([{ type: 'process.spawned', service: 't', pid: 9 }]);
    expect(withoutAt(second.events)).toEqual([{ type: 'process.running', service: 't', pid: 9 }]);
  });

  it('does not report a process without a pid as spawned or running', () => {
    const seen = observedOf({ t: memory('Error(Exited(Pid(5), 1))', { spawnedPid: 5, runningPid: 5, exitedPid: 5 }) });

    expect(poll(observedOf({}), [status('t', 'Spawned', 0)]).events).toEqual([]);
    expect(poll(observedOf({}), [status('t', 'Running', 0)]).events).toEqual([]);
    expect(poll(seen, [status('t', 'Spawned', 0)]).events).toEqual([]);
    expect(poll(seen, [status('t', 'Running', 0)]).events).toEqual([]);
  });

  it('does not report a process again when its status is applied afresh', () => {
    const seen = observedOf({ t: memory(undefined, { spawnedPid: 9, runningPid: 9 }) });

    expect(applyStatus(seen, status('t', 'Running', 9), 1, knowledgeOf()).events).toEqual([]);
  });

  it('reports a state once while its string stays the same', () => {
    const failed = applyStatus(observedOf({}), status('f', 'Failure'), 1, knowledgeOf());
    const blocked = applyStatus(
      observedOf({}),
      status('b', 'Blocked', 0, { after: { x: 'Unknown' } }),
      1,
      knowledgeOf(),
    );

    expect(applyStatus(failed.observed, status('f', 'Failure'), 2, knowledgeOf()).events).toEqual([]);
    expect(
      applyStatus(blocked.observed, status('b', 'Blocked', 0, { after: { x: 'Unknown' } }), 2, knowledgeOf()).events,
    ).toEqual([]);
  });

  it('reports the exit of a process after a pid-less exit, whatever its pid', () => {
    const first = poll(observedOf({}), [status('s', 'Success')]);
    const next = poll(first.observed, [status('s', 'Error(Exited(Pid(1), 2))')]);

    expect(withoutAt(next.events)).toEqual([
      { type: 'process.spawned', service: 's', pid: 1 },
      { type: 'process.exited', service: 's', pid: 1, code: 2, signal: null },
    ]);
  });

  it('reports a kill by signal with the signal and no code', () => {
    const outcome = poll(observedOf({ s: memory('Running', { spawnedPid: 5, runningPid: 5 }) }), [
      status('s', 'Error(Signaled(Pid(5), SIGKILL, false))'),
    ]);

    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.exited', service: 's', pid: 5, code: null, signal: 'SIGKILL' },
    ]);
  });

  it('reports Success of the process it saw, with code 0', () => {
    const outcome = poll(observedOf({ s: memory('Running', { spawnedPid: 5, runningPid: 5 }) }), [
      status('s', 'Success'),
    ]);

    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.exited', service: 's', pid: 5, code: 0, signal: null },
    ]);
  });

  it('reports Success without a pid when it never saw the process', () => {
    const outcome = poll(observedOf({}), [status('s', 'Success')]);

    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.exited', service: 's', pid: null, code: 0, signal: null },
    ]);
  });

  it('reports each pid-less Success it sees again after another state', () => {
    const first = poll(observedOf({}), [status('s', 'Success')]);
    const blocked = poll(first.observed, [status('s', 'Blocked')]);
    const again = poll(blocked.observed, [status('s', 'Success')]);

    expect(again.events.map((event) => event.type)).toEqual(['process.exited']);
  });

  it('reports the exit of one pid once, even when its state string changes', () => {
    const first = applyStatus(observedOf({}), status('s', 'Error(Exited(Pid(7), 1))'), 1, knowledgeOf());
    const second = applyStatus(
      first.observed,
      status('s', 'Error(Signaled(Pid(7), SIGTERM, false))'),
      2,
      knowledgeOf(),
    );

    expect(first.events.map((event) => event.type)).toEqual(['process.spawned', 'process.exited']);
    expect(second.events).toEqual([]);
  });

  it('reports Failure as spawnFailed naming the binary of a declared spec, else in Zinit words', () => {
    const declared = poll(observedOf({}), [status('bad', 'Failure')], knowledgeOf([spec('bad')]));
    const foreign = poll(observedOf({}), [status('bad', 'Failure')]);

    expect(withoutAt(declared.events)).toEqual([
      {
        type: 'process.spawnFailed',
        service: 'bad',
        reason:
          'Zinit could not spawn /usr/bin/worker: missing binary, no execute permission, or an unparsable exec line',
      },
    ]);
    expect(withoutAt(foreign.events)).toEqual([
      {
        type: 'process.spawnFailed',
        service: 'bad',
        reason: 'Zinit could not spawn the command (missing binary or unparsable exec)',
      },
    ]);
  });

  it('reports TestFailure as healthFailed naming the health check of a declared spec, else in Zinit words', () => {
    const checked = knowledgeOf([spec('t', { healthCheck: ['/usr/bin/check', '--ready'] })]);

    expect(withoutAt(poll(observedOf({}), [status('t', 'TestFailure', 3)], checked).events)).toEqual([
      { type: 'process.healthFailed', service: 't', reason: 'Zinit could not run the health check /usr/bin/check' },
    ]);
    expect(withoutAt(poll(observedOf({}), [status('t', 'TestFailure', 3)]).events)).toEqual([
      { type: 'process.healthFailed', service: 't', reason: 'Zinit could not run the health check command' },
    ]);
  });

  it('lists in `blocked` only the dependencies that are not met, by Zinit rule', () => {
    const knowledge = knowledgeOf([spec('once', { oneshot: true }), spec('svc')]);
    const after = { up: 'Running', once: 'Running', done: 'Success', waiting: 'Blocked', gone: 'Unknown' };

    const outcome = poll(observedOf({}), [status('svc', 'Blocked', 0, { after })], knowledge);

    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.blocked', service: 'svc', waitingFor: ['once', 'waiting', 'gone'] },
    ]);
  });

  it('reports nothing for Unknown, or for a string Zinit may add later', () => {
    expect(poll(observedOf({}), [status('u', 'Unknown')]).events).toEqual([]);
    expect(poll(observedOf({}), [status('u', 'Paused')]).events).toEqual([]);
  });

  it('reports `stopped` once per stop: target Down and no process', () => {
    const running = observedOf({ s: memory('Running', { spawnedPid: 5, runningPid: 5 }) });
    const down = poll(running, [status('s', 'Error(Signaled(Pid(5), SIGTERM, false))', 0, { target: 'Down' })]);
    const stillDown = poll(down.observed, [status('s', 'Unknown', 0, { target: 'Down' })]);
    const up = poll(stillDown.observed, [status('s', 'Running', 6)]);
    const downAgain = poll(up.observed, [status('s', 'Success', 0, { target: 'Down' })]);

    expect(down.events.map((event) => event.type)).toEqual(['process.exited', 'process.stopped']);
    expect(stillDown.events).toEqual([]);
    expect(downAgain.events.map((event) => event.type)).toEqual(['process.exited', 'process.stopped']);
  });

  it('reports `stopped` again only after the target went Up in between', () => {
    const running = observedOf({ s: memory('Running', { spawnedPid: 5, runningPid: 5 }) });
    const down = poll(running, [status('s', 'Error(Signaled(Pid(5), SIGTERM, false))', 0, { target: 'Down' })]);
    const aliveWhileDown = poll(down.observed, [status('s', 'Running', 6, { target: 'Down' })]);
    const goneAgain = poll(aliveWhileDown.observed, [status('s', 'Success', 0, { target: 'Down' })]);

    expect(goneAgain.events.map((event) => event.type)).toEqual(['process.exited']);
  });

  it('does not report `stopped` while the process still runs after its target went Down', () => {
    const running = observedOf({ s: memory('Running', { spawnedPid: 5, runningPid: 5 }) });

    expect(poll(running, [status('s', 'Blocked', 5, { target: 'Down' })]).events.map((e) => e.type)).toEqual([
      'process.blocked',
    ]);
  });

  it('does not report `stopped` for a service the manager holds down after its exit', () => {
    const outcome = poll(observedOf({}), [status('s', 'Success', 0, { target: 'Down' })], knowledgeOf([], ['s']));

    expect(outcome.events.map((event) => event.type)).toEqual(['process.exited']);
  });

  it('asks to hold down a service whose restart mode says so, when it exits with target Up', () => {
    const knowledge = knowledgeOf([
      spec('never', { restart: { mode: 'never' } }),
      spec('clean', { restart: { mode: 'on-failure' } }),
      spec('crash', { restart: { mode: 'on-failure' } }),
      spec('always', { restart: { mode: 'always' } }),
    ]);

    const outcome = poll(
      observedOf({}),
      [
        status('never', 'Error(Exited(Pid(1), 3))'),
        status('clean', 'Success'),
        status('crash', 'Error(Exited(Pid(3), 1))'),
        status('always', 'Success'),
      ],
      knowledge,
    );

    expect(outcome.holdDown).toEqual(['never', 'clean']);
  });

  it('reports, after an outage, a Running service that is a new process: the old one exited, the new one runs', () => {
    const before = observedOf({ w: memory('Running', { spawnedPid: 10, runningPid: 10 }) });

    const outcome = poll(before, [status('w', 'Running', 20)], knowledgeOf(), { afterOutage: true });

    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.exited', service: 'w', pid: 10, code: null, signal: null },
      { type: 'process.spawned', service: 'w', pid: 20 },
      { type: 'process.running', service: 'w', pid: 20 },
    ]);
    expect(outcome.observed.services.get('w')).toEqual(
      memory('Running', { spawnedPid: 20, runningPid: 20, exitedPid: 10 }),
    );
  });

  it('reports nothing, after an outage, for a Running service that kept its process', () => {
    const before = observedOf({ w: memory('Running', { spawnedPid: 10, runningPid: 10 }) });

    expect(poll(before, [status('w', 'Running', 10)], knowledgeOf(), { afterOutage: true }).events).toEqual([]);
    expect(poll(before, [status('w', 'Running', 20)], knowledgeOf(), { afterOutage: false }).events).toEqual([]);
  });

  it('reports nothing, after an outage, for an unchanged service whose status could not be fetched', () => {
    const before = observedOf({ w: memory('Running', { spawnedPid: 10, runningPid: 10 }) });

    const outcome = poll(before, [], knowledgeOf(), { afterOutage: true, listedOnly: { w: 'Running' } });

    expect(outcome.events).toEqual([]);
    expect(outcome.observed.services.get('w')).toEqual(before.services.get('w'));
  });

  it('keeps a changed service whose status could not be fetched as it was, so the next poll asks again', () => {
    const before = observedOf({ w: memory('Running', { spawnedPid: 10, runningPid: 10 }) });

    const outcome = poll(before, [], knowledgeOf(), { listedOnly: { w: 'Success' } });

    expect(outcome.events).toEqual([]);
    expect(servicesToInspect(outcome.observed, new Map([['w', 'Success']]), knowledgeOf(), false)).toEqual(['w']);
  });

  it('forgets services Zinit no longer lists', () => {
    const before = observedOf({ gone: memory('Running'), kept: memory('Running') });

    const outcome = poll(before, [], knowledgeOf(), { listedOnly: { kept: 'Running' } });

    expect([...outcome.observed.services.keys()]).toEqual(['kept']);
  });

  it('never modifies what it was given', () => {
    const before = observedOf({ w: memory('Running', { spawnedPid: 10, runningPid: 10 }), gone: memory('Success') });
    const copy = structuredClone([...before.services]);

    poll(before, [status('w', 'Error(Exited(Pid(10), 1))')]);
    applyStatus(before, status('w', 'Success'), 1, knowledgeOf());

    expect([...before.services]).toEqual(copy);
  });
});

describe('applyStatus', () => {
  it('applies one status before the first poll without ending the baseline', () => {
    const outcome = applyStatus(NOTHING_OBSERVED, status('s', 'Running', 4), 9, knowledgeOf());

    expect(outcome.observed.baselineDone).toBe(false);
    expect(withoutAt(outcome.events)).toEqual([
      { type: 'process.spawned', service: 's', pid: 4 },
      { type: 'process.running', service: 's', pid: 4 },
    ]);
    expect(outcome.events.every((event) => event.at === 9)).toBe(true);
  });

  it('asks to hold down a service of restart mode never that just exited', () => {
    const knowledge = knowledgeOf([spec('n', { restart: { mode: 'never' } })]);

    expect(applyStatus(observedOf({}), status('n', 'Success'), 1, knowledge).holdDown).toEqual(['n']);
    expect(applyStatus(observedOf({}), status('n', 'Running', 3), 1, knowledge).holdDown).toEqual([]);
  });
});

describe('holdsDownAfterExit', () => {
  it.each([
    ['never', 'Up', 3, true],
    ['never', 'Up', 0, true],
    ['never', 'Up', null, true],
    ['on-failure', 'Up', 0, true],
    ['on-failure', 'Up', 1, false],
    ['on-failure', 'Up', null, false],
    ['always', 'Up', 0, false],
    ['never', 'Down', 0, false],
  ] as const)('restart mode %s, target %s, exit code %s: %s', (mode, target, code, expected) => {
    expect(holdsDownAfterExit(spec('s', { restart: { mode } }), target, code)).toBe(expected);
  });

  it('leaves Zinit to restart a spec without a restart mode, a oneshot, and a service not declared here', () => {
    expect(holdsDownAfterExit(spec('s'), 'Up', 0)).toBe(false);
    expect(holdsDownAfterExit(spec('s', { oneshot: true, restart: { mode: 'never' } }), 'Up', 0)).toBe(false);
    expect(holdsDownAfterExit(undefined, 'Up', 0)).toBe(false);
  });
});

describe('inDependencyOrder', () => {
  it('puts each service after what it depends on, keeping the listed order otherwise', () => {
    const ordered = inDependencyOrder([
      status('c', 'Running', 3, { after: { b: 'Running' } }),
      status('x', 'Running', 9),
      status('b', 'Running', 2, { after: { a: 'Running' } }),
      status('a', 'Running', 1),
    ]);

    expect(ordered.map((s) => s.name)).toEqual(['x', 'a', 'b', 'c']);
  });

  it('ignores dependencies that are not in this batch', () => {
    const ordered = inDependencyOrder([
      status('b', 'Running', 2, { after: { elsewhere: 'Running' } }),
      status('a', 'Running', 1),
    ]);

    expect(ordered.map((s) => s.name)).toEqual(['b', 'a']);
  });

  it('orders a dependency cycle somehow instead of looping forever', () => {
    const ordered = inDependencyOrder([
      status('a', 'Blocked', 0, { after: { b: 'Blocked' } }),
      status('b', 'Blocked', 0, { after: { a: 'Blocked' } }),
    ]);

    expect(ordered.map((s) => s.name).sort()).toEqual(['a', 'b']);
  });
});
