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

  it('gives the simple states nothing more than the state; Success has code 0, the failures a reason', () => {
    for (const raw of ['Unknown', 'Blocked', 'Spawned', 'Running']) {
      expect(Object.keys(parseZinitState(raw))).toEqual(['state']);
    }
    expect(parseZinitState('Success')).toEqual({ state: 'success', code: 0 });
    expect(parseZinitState('Failure')).toEqual({
      state: 'failure',
      reason: 'Zinit could not spawn the command (missing binary or unparsable exec)',
    });
    expect(parseZinitState('TestFailure')).toEqual({
      state: 'test-failure',
      reason: 'Zinit could not run the health check command',
    });
  });

  it('matches the state names exactly: case, and names every object has (toString), are not states', () => {
    for (const raw of ['running', 'RUNNING', 'Running ', ' Running', 'toString', 'constructor', '__proto__', '']) {
      expect(parseZinitState(raw)).toEqual({
        state: 'unknown',
        reason: `unrecognised Zinit state ${JSON.stringify(raw)}`,
      });
    }
  });

  it('reads an exit code without a space after the comma, a negative code, and code 0', () => {
    expect(parseZinitState('Error(Exited(Pid(3),7))')).toMatchObject({ state: 'error', pid: 3, code: 7 });
    expect(parseZinitState('Error(Exited(Pid(3), -1))')).toMatchObject({ code: -1, reason: 'exited with code -1' });
    expect(parseZinitState('Error(Exited(Pid(3),  0))')).toMatchObject({ code: 0, reason: 'exited with code 0' });
    expect(parseZinitState('Error(Exited(Pid(3), 127))')).toMatchObject({ code: 127, reason: 'exited with code 127' });
  });

  it('reads a signal without spaces after the commas, and a signal name with digits', () => {
    expect(parseZinitState('Error(Signaled(Pid(8),SIGRTMIN1,false))')).toEqual({
      state: 'error',
      pid: 8,
      signal: 'SIGRTMIN1',
      reason: 'killed by SIGRTMIN1',
    });
  });

  it.each([
    'Error(Exited(Pid(3), 7)) ',
    'xError(Exited(Pid(3), 7))',
    'Error(Exited(Pid(3), 7)))',
    'Error(Exited(Pid(), 7))',
    'Error(Exited(Pid(3), ))',
    'Error(Exited(Pid(3), 1.5))',
    'Error(Signaled(Pid(3), SIGTERM, maybe))',
    'Error(Signaled(Pid(3), sigterm, false))',
    'Error(Signaled(Pid(3), TERM, false))',
    'Error(Signaled(Pid(3), SIGTERM, false)) ',
    'Error(Signaled(Pid(), SIGTERM, false))',
  ])('keeps %j as error with the raw text as reason, or unknown when it is not an Error(...)', (raw) => {
    const parsed = parseZinitState(raw);

    expect(parsed).toEqual(
      raw.startsWith('Error(')
        ? { state: 'error', reason: raw }
        : { state: 'unknown', reason: `unrecognised Zinit state ${JSON.stringify(raw)}` },
    );
  });
});
