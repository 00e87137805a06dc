/** `after` rules shared with Zinit, and the shutdown order of close(). */
import { describe, expect, it } from 'vitest';
import { isDependencyMet, stopWaves, unmetDependencies } from '../../../src/process/embedded/dependency-gate.js';

describe('isDependencyMet', () => {
  it.each([
    [{ state: 'running', oneshot: false }, true],
    [{ state: 'running', oneshot: true }, false],
    [{ state: 'success', oneshot: true }, true],
    [{ state: 'error', oneshot: true }, false],
    [{ state: 'spawned', oneshot: false }, false],
    [undefined, false],
  ] as const)('%j is met: %s', (dependency, met) => {
    expect(isDependencyMet(dependency)).toBe(met);
  });
});

describe('unmetDependencies', () => {
  it('lists the unmet names in declared order', () => {
    const states = { a: { state: 'running', oneshot: false }, c: { state: 'blocked', oneshot: false } } as const;

    expect(unmetDependencies(['c', 'a', 'b'], (name) => states[name as keyof typeof states])).toEqual(['c', 'b']);
  });
});

describe('stopWaves', () => {
  it('puts dependents before what they depend on', () => {
    const services = new Map([
      ['db', []],
      ['api', ['db']],
      ['web', ['api', 'db']],
      ['lone', []],
    ]);

    expect(stopWaves(services)).toEqual([['web', 'lone'], ['api'], ['db']]);
  });

  it('still places every service when specs form a cycle', () => {
    const services = new Map([
      ['a', ['b']],
      ['b', ['a']],
    ]);

    expect(stopWaves(services).flat().sort()).toEqual(['a', 'b']);
  });
});
