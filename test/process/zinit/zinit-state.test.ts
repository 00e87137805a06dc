/** Zinit's Rust Debug state strings, parsed by prefix into the normalized states (NOTES §7, issue 3). */
import { describe, expect, it } from 'vitest';
import { parseZinitState } from '../../../src/process/zinit/zinit-state.js';

describe('parseZinitState', () => {
  it.each([
    ['Unknown', 'unknown'],
    ['Blocked', 'blocked'],
    ['Spawned', 'spawned'],
    ['Running', 'running'],
    ['Success', 'success'],
    ['TestFailure', 'test-failure'],
    ['Failure', 'failure'],
  ] as const)('maps %s to %s', (raw, state) => {
    expect(parseZinitState(raw).state).toBe(state);
  });

  it('parses Error(Exited(Pid(13294), 3)) as error, exited with code 3, with the pid', () => {
    expect(parseZinitState('Error(Exited(Pid(13294), 3))')).toEqual({
      state: 'error',
      pid: 13294,
      code: 3,
      reason: 'exited with code 3',
    });
  });

  it('parses Error(Signaled(Pid(1), SIGKILL, false)) as error, killed by SIGKILL', () => {
    expect(parseZinitState('Error(Signaled(Pid(1), SIGKILL, false))')).toEqual({
      state: 'error',
      pid: 1,
      signal: 'SIGKILL',
      reason: 'killed by SIGKILL',
    });
  });

  it('says when the process dumped core', () => {
    expect(parseZinitState('Error(Signaled(Pid(7), SIGSEGV, true))').reason).toBe('killed by SIGSEGV (core dumped)');
  });

  it('keeps an Error(...) it cannot read in detail as error, with the raw text as reason', () => {
    expect(parseZinitState('Error(Stopped(Pid(5), SIGSTOP))')).toEqual({
      state: 'error',
      reason: 'Error(Stopped(Pid(5), SIGSTOP))',
    });
  });

  it('maps an unrecognised string to unknown and says so', () => {
    expect(parseZinitState('Exploded')).toEqual({ state: 'unknown', reason: 'unrecognised Zinit state "Exploded"' });
  });
});
