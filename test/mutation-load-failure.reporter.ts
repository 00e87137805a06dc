/**
 * For mutation runs only (vitest.mutation.config.ts): a test file that fails to load counts as one failed test.
 *
 * A "static" mutant changes code that runs when a module is imported (a machine's `id`, a state's `type: 'final'`,
 * a transition target...). When the mutated machine cannot even be created, every test file that imports it fails
 * to load. Vitest records that failure on the file, which then holds no test; StrykerJS's vitest runner (9.6.1)
 * builds a mutant's result from the tests alone, finds none failed, and reports the mutant as *survived*
 * (stryker-mutator/stryker-js#6150, fix proposed in #6217). This reporter gives each such file one failed test,
 * carrying the file's load error, so that a mutant the suite does catch is counted as killed. A file that loaded is
 * left as it is; the everyday `npm test` does not use it.
 */
import type { RunnerTestCase, RunnerTestFile } from 'vitest';
import type { Reporter, Vitest } from 'vitest/node';

export class LoadFailureAsFailedTest implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(): void {
    for (const file of this.vitest?.state.getFiles() ?? []) markLoadFailure(file);
  }
}

/** Adds the failed test "the file loads" to a file that failed and holds no task. */
export function markLoadFailure(file: RunnerTestFile): void {
  if (file.result?.state !== 'fail' || file.tasks.length > 0) return;
  const loadFailure: Omit<RunnerTestCase, 'context'> = {
    type: 'test',
    id: `${file.id}_load`,
    name: 'the file loads',
    fullName: `${file.name} > the file loads`,
    fullTestName: 'the file loads',
    mode: 'run',
    meta: {},
    file,
    suite: file,
    timeout: 0,
    annotations: [],
    artifacts: [],
    result: { state: 'fail', errors: file.result.errors ?? [] },
  };
  // Vitest types a test with a context only it can build; nothing reads it once the run has ended.
  file.tasks.push(loadFailure as RunnerTestCase);
}
