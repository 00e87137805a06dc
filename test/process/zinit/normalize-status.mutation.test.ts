/** State normalisation (issue 12): a raw Zinit status into the contract's ServiceStatus, without sockets. */
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../src/process/process-manager.js';
import {
  declaredOnlyStatus,
  dependencySatisfied,
  isStoppedOnPurpose,
  normalizeStatus,
  reasonFor,
  type ZinitKnowledge,
} from '../../../src/process/zinit/normalize-status.js';
import type { ZinitRawStatus } from '../../../src/process/zinit/zinit-client.js';

const spec = (name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name,
  command: ['/opt/bin/job', '--flag'],
  ...extra,
});

const knowledgeOf = (specs: ServiceSpec[] = [], heldDown: string[] = []): ZinitKnowledge => ({
  specs: new Map(specs.map((s) => [s.name, s])),
  heldDown: new Set(heldDown),
});

const raw = (state: string, extra: Partial<ZinitRawStatus> = {}): ZinitRawStatus => ({
  name: 'svc',
  state,
  pid: 0,
  target: 'Up',
  after: {},
  ...extra,
});

describe('normalizeStatus', () => {
  it('maps a running service with its pid, target and the state of each dependency', () => {
    expect(
      normalizeStatus(
        raw('Running', { pid: 42, after: { db: 'Running', cfg: 'Success', x: 'Unknown' } }),
        knowledgeOf(),
      ),
    ).toEqual({
      name: 'svc',
      state: 'running',
      pid: 42,
      target: 'up',
      dependencies: { db: 'running', cfg: 'success', x: 'unknown' },
    });
  });

  it('says why a service ended, from the Error string', () => {
    expect(normalizeStatus(raw('Error(Exited(Pid(9), 3))'), knowledgeOf())).toEqual({
      name: 'svc',
      state: 'error',
      pid: 0,
      target: 'up',
      dependencies: {},
      reason: 'exited with code 3',
    });
  });

  it('reads target Down with no process as stopped, without a reason', () => {
    expect(
      normalizeStatus(raw('Error(Signaled(Pid(9), SIGTERM, false))', { target: 'Down' }), knowledgeOf()),
    ).toStrictEqual({
      name: 'svc',
      state: 'stopped',
      pid: 0,
      target: 'down',
      dependencies: {},
    });
  });

  it('keeps the real state while the process still runs after its target went Down', () => {
    expect(normalizeStatus(raw('Running', { pid: 5, target: 'Down' }), knowledgeOf())).toMatchObject({
      state: 'running',
      target: 'down',
    });
  });

  it('does not call a service held down by the manager stopped: it exited, and says how', () => {
    expect(
      normalizeStatus(raw('Error(Exited(Pid(9), 1))', { target: 'Down' }), knowledgeOf([], ['svc'])),
    ).toMatchObject({ state: 'error', target: 'down', reason: 'exited with code 1' });
  });

  it('names the binary of a declared spec when Zinit could not spawn it', () => {
    expect(normalizeStatus(raw('Failure'), knowledgeOf([spec('svc')])).reason).toBe(
      'Zinit could not spawn /opt/bin/job: missing binary, no execute permission, or an unparsable exec line',
    );
  });
});

describe('isStoppedOnPurpose', () => {
  it.each([
    ['Down', 0, [], true],
    ['Down', 7, [], false],
    ['Up', 0, [], false],
    ['Down', 0, ['svc'], false],
  ] as const)('target %s, pid %d, held down %j: %s', (target, pid, heldDown, expected) => {
    expect(isStoppedOnPurpose({ name: 'svc', target, pid }, new Set(heldDown))).toBe(expected);
  });
});

describe('reasonFor', () => {
  it('names the health check of a declared spec for test-failure', () => {
    expect(reasonFor(spec('svc', { healthCheck: ['/opt/bin/probe'] }), 'test-failure', 'raw')).toBe(
      'Zinit could not run the health check /opt/bin/probe',
    );
  });

  it("uses Zinit's words for a failure of a service not declared here, or without a health check", () => {
    expect(reasonFor(spec('svc'), 'test-failure', 'raw')).toBe('Zinit could not run the health check command');
    expect(reasonFor(spec('svc', { healthCheck: [] }), 'test-failure', 'raw')).toBe(
      'Zinit could not run the health check command',
    );
    expect(reasonFor(undefined, 'failure', 'raw')).toBe(
      'Zinit could not spawn the command (missing binary or unparsable exec)',
    );
  });

  it('has no reason at all for a running service', () => {
    expect(Object.keys(normalizeStatus(raw('Running', { pid: 3 }), knowledgeOf()))).not.toContain('reason');
  });

  it("keeps the state string's reason for the other states", () => {
    expect(reasonFor(spec('svc', { healthCheck: ['/opt/bin/probe'] }), 'error', 'exited with code 2')).toBe(
      'exited with code 2',
    );
    expect(reasonFor(spec('svc'), 'error', 'exited with code 2')).toBe('exited with code 2');
    expect(reasonFor(spec('svc'), 'running', undefined)).toBeUndefined();
  });
});

describe('dependencySatisfied (Zinit rule, NOTES §5)', () => {
  it.each([
    ['Running', undefined, true],
    ['Running', spec('dep'), true],
    ['Running', spec('dep', { oneshot: false }), true],
    ['Running', spec('dep', { oneshot: true }), false],
    ['Success', spec('dep', { oneshot: true }), true],
    ['Success', undefined, true],
    ['Spawned', undefined, false],
    ['Blocked', undefined, false],
    ['Unknown', undefined, false],
    ['Error(Exited(Pid(1), 0))', undefined, false],
  ] as const)('%s (%o): %s', (state, dependencySpec, expected) => {
    expect(dependencySatisfied(state, dependencySpec)).toBe(expected);
  });
});

describe('declaredOnlyStatus', () => {
  it('reports a declared, never started service as stopped, its dependencies unknown', () => {
    expect(declaredOnlyStatus(spec('svc', { after: ['db', 'cache'] }))).toEqual({
      name: 'svc',
      state: 'stopped',
      pid: 0,
      target: 'down',
      dependencies: { db: 'unknown', cache: 'unknown' },
    });
    expect(declaredOnlyStatus(spec('solo')).dependencies).toEqual({});
  });
});
