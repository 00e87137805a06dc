/**
 * validateServiceSpec, shared by both backends (issue 3; issue 8 item 7): every bad field gives an InvalidSpecError
 * naming it, and nothing that could reach a shell or a path (separators, dots, unicode, 1 KB names) gets through.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/errors.js';
import { MAX_SERVICE_NAME_LENGTH, validateServiceName, validateServiceSpec } from '../../src/process/validate-spec.js';

const command = [process.execPath, '-e', ''];

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof InvalidSpecError) return error.field;
    throw error;
  }
}

describe('validateServiceName', () => {
  it('accepts letters, digits, _ and - up to the maximum length', () => {
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_SERVICE_NAME_LENGTH}}$`)), (name) => {
        expect(validateServiceName(name)).toBe(name);
      }),
    );
  });

  it('rejects any name containing another character, naming the field', () => {
    const forbidden = fc.constantFrom('.', '/', '\\', ' ', '\n', '\0', 'é', '✓', '$', ';', '"', "'");
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), forbidden, fc.string({ maxLength: 20 }), (before, bad, after) => {
        expect(fieldOf(() => validateServiceName(`${before}${bad}${after}`))).toBe('name');
      }),
    );
  });

  it('rejects a name one character over the maximum with the limit in the message', () => {
    const name = 'n'.repeat(MAX_SERVICE_NAME_LENGTH + 1);

    expect(() => validateServiceName(name)).toThrow(
      `Expected \`name\` to be a string of 1 to ${MAX_SERVICE_NAME_LENGTH} characters, got "${name}" (string).`,
    );
  });

  it('shortens a 1 KB name in the message', () => {
    expect(() => validateServiceName('x'.repeat(1024))).toThrow(`"${'x'.repeat(80)}… (1024 characters)" (string)`);
  });
});

describe('validateServiceSpec', () => {
  it('accepts any argv of strings without NUL, including shell metacharacters', () => {
    fc.assert(
      fc.property(fc.array(fc.string().filter((argument) => !argument.includes('\0'))), (args) => {
        expect(() => validateServiceSpec({ name: 'svc', command: [...command, ...args] })).not.toThrow();
      }),
    );
  });

  it('names the argv index holding a NUL character', () => {
    expect(fieldOf(() => validateServiceSpec({ name: 'svc', command: [process.execPath, 'ok', 'a\0b'] }))).toBe(
      'command[2]',
    );
  });

  it('names the env key that is not a valid variable name', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((key) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && key !== '__proto__'),
        (key) => {
          expect(fieldOf(() => validateServiceSpec({ name: 'svc', command, env: { [key]: 'v' } }))).toBe(`env.${key}`);
        },
      ),
    );
  });

  it('accepts any env value without NUL', () => {
    fc.assert(
      fc.property(
        fc.string().filter((value) => !value.includes('\0')),
        (value) => {
          expect(() => validateServiceSpec({ name: 'svc', command, env: { VALUE: value } })).not.toThrow();
        },
      ),
    );
  });

  it.each([
    [{ stopTimeoutMs: Number.NaN }, 'stopTimeoutMs'],
    [{ stopTimeoutMs: 10 * 24 * 60 * 60 * 1000 }, 'stopTimeoutMs'],
    [{ cwd: '' }, 'cwd'],
    [{ oneshot: 'yes' }, 'oneshot'],
    [{ restart: { mode: 'sometimes' } }, 'restart.mode'],
    [{ restart: { backoffMs: 100 } }, 'restart.backoffMs'],
    [{ uid: -1 }, 'uid'],
    [{ gid: 1.5 }, 'gid'],
    [{ after: ['ok', 'bad/dep'] }, 'after[1]'],
    [{ healthCheck: [''] }, 'healthCheck[0]'],
  ])('rejects %j naming %s', (change, field) => {
    expect(fieldOf(() => validateServiceSpec({ name: 'svc', command, ...(change as object) }))).toBe(field);
  });

  it('says a service cannot wait for itself', () => {
    expect(() => validateServiceSpec({ name: 'svc', command, after: ['svc'] })).toThrow(
      'Expected `after` not to contain the service\'s own `name` "svc" (string): a service cannot wait for itself.',
    );
  });
});
