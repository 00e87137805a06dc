/**
 * Bad input fuzzed with fast-check (issue 8 item 7): whatever the config, loading it gives either a valid
 * config or a ConfigError whose every line names a path; never another exception, never a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const KEYS = [
  'redis',
  'url',
  'password',
  'passwordEnv',
  'tls',
  'processManager',
  'type',
  'embedded',
  'zinit',
  'socketPath',
  'scriptTypes',
  'python',
  'binary',
  'args',
  'env',
  'min',
  'max',
  'autoscale',
  'enabled',
  'services',
  'command',
  'after',
  'dependencies',
  'health',
  'idleTimeoutMs',
  'restartPolicy',
  'logging',
  'level',
  'admin',
  'port',
  'token',
  'value',
  'fromEnv',
  'secret',
  '__proto__',
  'constructor',
  'a.b',
  '../x',
  'ünï',
  '',
];

/** Values that look like config, plus hostile ones: huge numbers, NaN-ish strings, deep nesting, ${} references. */
const leaf = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    1.5,
    2 ** 53,
    Number.MAX_VALUE,
    '10m',
    '30s',
    'x',
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    '${HOME}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    '${NOPE}',
    '$${',
    null,
    true,
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
);
const configLike = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), tie('object')),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5 }),
})).object;

function check(input: unknown): void {
  try {
    const config = parseConfig(input, { env: { HOME: '/home/test' } });
    expect(config.redis.keyPrefix.length).toBeGreaterThan(0);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) expect(typeof issue.message).toBe('string');
  }
}

describe('parseConfig under fuzzing', () => {
  it('returns a config or throws a ConfigError for any object', () => {
    fc.assert(fc.property(configLike, check), { numRuns: 500 });
  });

  it('returns a config or throws a ConfigError for any YAML text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          configLike.map((value) => stringify(value)),
        ),
        (text) => check(text),
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(',')}]`);
    }

    expect(() => parseConfig(bomb.join('\n'), { env: {} })).toThrow(ConfigError);
  });

  it('keeps a __proto__ key a plain unknown key', () => {
    expect(() => parseConfig(JSON.parse('{"__proto__": {"polluted": true}}'), { env: {} })).toThrow(
      '__proto__: unknown key',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
