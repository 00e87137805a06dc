// The mutation runs' reporter (test/mutation-load-failure.reporter.ts): a test file that failed to load gets one
// failed test carrying its load error; every other file is left as it is.
import type { RunnerTestFile } from 'vitest';
import { describe, expect, it } from 'vitest';
import { markLoadFailure } from './mutation-load-failure.reporter.js';

const fileWith = (state: 'pass' | 'fail', tasks: unknown[] = []) =>
  ({
    id: 'f1',
    name: 'test/machines/x.test.ts',
    type: 'suite',
    tasks,
    result: { state, errors: [{ message: "Child state node '#supervisor' does not exist" }] },
  }) as unknown as RunnerTestFile;

describe('markLoadFailure', () => {
  it('gives a file that failed with no test one failed test with its load error', () => {
    const file = fileWith('fail');
    markLoadFailure(file);
    expect(file.tasks).toHaveLength(1);
    expect(file.tasks[0]).toMatchObject({
      type: 'test',
      name: 'the file loads',
      mode: 'run',
      result: { state: 'fail', errors: [{ message: "Child state node '#supervisor' does not exist" }] },
    });
    expect(file.tasks[0]?.file).toBe(file);
  });

  it('leaves a file that loaded alone, whether its tests passed or failed', () => {
    const passed = fileWith('pass');
    markLoadFailure(passed);
    expect(passed.tasks).toEqual([]);
    const failedTest = { type: 'test', name: 'a test', result: { state: 'fail' } };
    const failed = fileWith('fail', [failedTest]);
    markLoadFailure(failed);
    expect(failed.tasks).toEqual([failedTest]);
  });
});
