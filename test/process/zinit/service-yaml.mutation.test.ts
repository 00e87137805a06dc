/**
 * The generated Zinit service file, key by key and byte by byte (issue 13: pure modules, run by StrykerJS per
 * mutant): the defaults of a minimal spec, each optional key, the stop timeout in whole seconds, and the privilege
 * drop. What Zinit makes of the file is covered by service-yaml.test.ts (YAML and shell-words round trips).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../../src/process/process-manager.js';
import {
  renderServiceYaml,
  SETPRIV_BINARY,
  toZinitServiceConfig,
  withPrivilegeDrop,
} from '../../../src/process/zinit/service-yaml.js';

describe('toZinitServiceConfig', () => {
  it('fills the defaults for a minimal spec: no test, no dir, SIGTERM, the default stop timeout', () => {
    expect(toZinitServiceConfig({ name: 'w', command: ['/bin/sleep', '5'] })).toStrictEqual({
      exec: '/bin/sleep 5',
      oneshot: false,
      after: [],
      env: {},
      log: 'ring',
      signal: { stop: 'sigterm' },
      shutdown_timeout: DEFAULT_STOP_TIMEOUT_MS / 1000,
    });
  });

  it('writes each optional key of the spec', () => {
    expect(
      toZinitServiceConfig({
        name: 'w',
        command: ['/bin/run', 'a b'],
        healthCheck: ['/bin/check'],
        oneshot: true,
        after: ['db'],
        env: { K: 'v' },
        cwd: '/srv',
        stopSignal: 'SIGQUIT',
        stopTimeoutMs: 3_000,
      }),
    ).toEqual({
      exec: "/bin/run 'a b'",
      test: '/bin/check',
      oneshot: true,
      after: ['db'],
      env: { K: 'v' },
      dir: '/srv',
      log: 'ring',
      signal: { stop: 'sigquit' },
      shutdown_timeout: 3,
    });
  });

  it('leaves out `test` for an empty health check', () => {
    expect(toZinitServiceConfig({ name: 'w', command: ['/bin/x'], healthCheck: [] })).not.toHaveProperty('test');
  });

  it('copies after and env, so a later change to the spec does not change the config', () => {
    const after = ['db'];
    const env = { K: 'v' };
    const config = toZinitServiceConfig({ name: 'w', command: ['/bin/x'], after, env });

    after.push('cache');
    env.K = 'changed';

    expect(config.after).toEqual(['db']);
    expect(config.env).toEqual({ K: 'v' });
  });

  it.each([
    [0, 1],
    [1, 1],
    [999, 1],
    [1_000, 1],
    [1_001, 2],
    [2_500, 3],
    [60_000, 60],
  ])('rounds a stop timeout of %d ms up to %d whole seconds (at least 1)', (stopTimeoutMs, seconds) => {
    expect(toZinitServiceConfig({ name: 'w', command: ['/bin/x'], stopTimeoutMs }).shutdown_timeout).toBe(seconds);
  });
});

describe('withPrivilegeDrop', () => {
  const argv = ['/bin/worker', '--flag'];

  it('returns the argv itself when no ids are asked for', () => {
    expect(withPrivilegeDrop(argv, {})).toBe(argv);
  });

  it.each([
    [{ uid: 7 }, ['--reuid=7']],
    [{ gid: 8 }, ['--regid=8']],
    [{ uid: 0, gid: 0 }, ['--reuid=0', '--regid=0']],
  ])('wraps the argv in setpriv for %j', (ids, flags) => {
    expect(withPrivilegeDrop(argv, ids)).toEqual([SETPRIV_BINARY, ...flags, '--clear-groups', '--', ...argv]);
  });

  it('calls util-linux setpriv', () => {
    expect(SETPRIV_BINARY).toBe('setpriv');
  });
});

describe('renderServiceYaml', () => {
  it('writes a minimal config as these exact lines', () => {
    expect(renderServiceYaml(toZinitServiceConfig({ name: 'w', command: ['/bin/sleep', '5'] }))).toBe(
      [
        'exec: "/bin/sleep 5"',
        'oneshot: false',
        'after: []',
        'env: {}',
        'log: ring',
        'signal:',
        '  stop: "sigterm"',
        'shutdown_timeout: 10',
        '',
      ].join('\n'),
    );
  });

  it('writes every optional key, each value as a JSON string', () => {
    const config = toZinitServiceConfig({
      name: 'w',
      command: ['/bin/run'],
      healthCheck: ['/bin/check', 'x'],
      oneshot: true,
      after: ['db', 'cache'],
      env: { A: '1', 'B C': 'yes' },
      cwd: '/srv/a b',
      stopSignal: 'SIGINT',
      stopTimeoutMs: 1_500,
    });

    expect(renderServiceYaml(config)).toBe(
      [
        'exec: "/bin/run"',
        'test: "/bin/check x"',
        'oneshot: true',
        'after: ["db", "cache"]',
        'env:',
        '  "A": "1"',
        '  "B C": "yes"',
        'dir: "/srv/a b"',
        'log: ring',
        'signal:',
        '  stop: "sigint"',
        'shutdown_timeout: 2',
        '',
      ].join('\n'),
    );
  });
});
