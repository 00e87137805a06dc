/** JobBuilder validation: each bad field gets an InvalidJobError naming it, the value and what was expected (issue #4). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidJobError } from '../../src/errors.js';
import { Job } from '../../src/jobs/job.js';
import { JobBuilder, MAX_SCRIPT_BYTES } from '../../src/jobs/job-builder.js';
import { ScriptType } from '../../src/jobs/script-type.js';

function valid(): JobBuilder {
  return new JobBuilder({ callerId: 'caller', contextId: 'ctx' })
    .scriptType(ScriptType.Python)
    .scriptContent('print(6*7)');
}

function buildError(builder: JobBuilder): InvalidJobError {
  try {
    builder.build();
  } catch (error) {
    if (error instanceof InvalidJobError) return error;
    throw error;
  }
  throw new Error('build() did not throw');
}

describe('JobBuilder.build', () => {
  it('returns a frozen job with a uuid, the defaults and the given fields', () => {
    const job = valid().timeout(5_000).retries(2).env({ GREETING: 'hi' }).build();

    expect(job).toBeInstanceOf(Job);
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.toData()).toMatchObject({
      scriptType: 'python',
      script: 'print(6*7)',
      env: { GREETING: 'hi' },
      timeoutMs: 5_000,
      callerId: 'caller',
      contextId: 'ctx',
    });
    expect(job.retries).toBe(2);
    expect(Object.isFrozen(job)).toBe(true);
  });

  it('names a missing script type and lists the valid ones', () => {
    const error = buildError(new JobBuilder().scriptContent('print(1)'));

    expect(error.field).toBe('scriptType');
    expect(error.message).toBe(
      'Expected `scriptType` to be one of osis, sal, v, python, got nothing: call .scriptType(ScriptType.Python) or another type.',
    );
  });

  it('names an unknown script type', () => {
    const error = buildError(valid().scriptType('ruby' as ScriptType));

    expect(error.message).toBe('Expected `scriptType` to be one of osis, sal, v, python, got `ruby` (string).');
  });

  it('names missing script content', () => {
    const error = buildError(new JobBuilder().scriptType(ScriptType.Python));

    expect(error.field).toBe('scriptContent');
    expect(error.message).toBe(
      "Expected `scriptContent` to be a non-empty string, got nothing: call .scriptContent('print(42)').",
    );
  });

  it('refuses non-string script content', () => {
    const error = buildError(valid().scriptContent(42 as unknown as string));

    expect(error.message).toBe('Expected `scriptContent` to be a non-empty string, got `42` (number).');
  });

  it('refuses a script over 1 MiB, counting UTF-8 bytes', () => {
    const error = buildError(valid().scriptContent('é'.repeat(MAX_SCRIPT_BYTES / 2 + 1)));

    expect(error.message).toBe(
      `Expected \`scriptContent\` to be at most 1048576 bytes (1 MiB) of UTF-8, got ${MAX_SCRIPT_BYTES + 2} bytes.`,
    );
  });

  it('accepts a script of exactly 1 MiB', () => {
    expect(valid().scriptContent('x'.repeat(MAX_SCRIPT_BYTES)).build().script).toHaveLength(MAX_SCRIPT_BYTES);
  });

  it('refuses a non-string env value, naming the variable', () => {
    const error = buildError(valid().env({ PORT: 8080 as unknown as string }));

    expect(error.field).toBe('env.PORT');
    expect(error.message).toBe('Expected `env.PORT` to be a string, got `8080` (number).');
  });

  it('refuses an env key that is not a variable name', () => {
    const error = buildError(valid().env({ '1BAD=x': 'v' }));

    expect(error.field).toBe('env');
    expect(error.message).toBe('Expected `env` keys to match /^[A-Za-z_][A-Za-z0-9_]*$/, got `1BAD=x` (string).');
  });

  it.each([
    [0, '`0` (number)'],
    [-5, '`-5` (number)'],
    [1.5, '`1.5` (number)'],
    ['100', '`100` (string)'],
  ])('refuses timeout %s', (value, shown) => {
    const error = buildError(valid().timeout(value as number));

    expect(error.message).toBe(`Expected \`timeout\` to be a positive integer of ms, got ${shown}.`);
  });

  it.each([
    [-1, '`-1` (number)'],
    [0.5, '`0.5` (number)'],
    [Number.NaN, '`NaN` (number)'],
  ])('refuses retries %s', (value, shown) => {
    const error = buildError(valid().retries(value));

    expect(error.message).toBe(`Expected \`retries\` to be a non-negative integer, got ${shown}.`);
  });

  it('truncates a long bad value in its message', () => {
    const error = buildError(valid().scriptType('x'.repeat(500) as ScriptType));

    expect(error.message).toBe(
      `Expected \`scriptType\` to be one of osis, sal, v, python, got \`${'x'.repeat(40)}…\` (string).`,
    );
  });

  it('either builds or throws InvalidJobError for any input (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.anything(),
        fc.anything(),
        fc.anything(),
        fc.dictionary(fc.string(), fc.anything()),
        (scriptType, script, timeout, retries, env) => {
          const builder = new JobBuilder()
            .scriptType(scriptType as ScriptType)
            .scriptContent(script as string)
            .timeout(timeout as number)
            .retries(retries as number)
            .env(env as Record<string, string>);
          try {
            const job = builder.build();
            expect(typeof job.script).toBe('string');
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidJobError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
