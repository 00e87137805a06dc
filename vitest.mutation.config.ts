// The fast, pure tests that StrykerJS runs against each mutant (`npm run mutate`, stryker.config.mjs): the machines
// on a SimulatedClock and the Zinit parsing modules. No Redis, no processes: a mutant costs seconds, not minutes.
import { defineConfig } from 'vitest/config';
import { LoadFailureAsFailedTest } from './test/mutation-load-failure.reporter.js';

export default defineConfig({
  test: {
    include: [
      'test/machines/**/*.test.ts',
      'test/process/zinit/zinit-state.test.ts',
      'test/process/zinit/service-yaml.test.ts',
      'test/process/zinit/zinit-client.test.ts',
      'test/process/zinit/*.mutation.test.ts',
      // The ping verdict (src/lifecycle/ping-verdict.ts): a pure function, no lifecycle manager.
      'test/lifecycle/ping-verdict.test.ts',
    ],
    exclude: [
      // Reads the machines' sources with a parser: no behaviour to kill a mutant with.
      'test/machines/extractor.test.ts',
      // These generate their model paths while the file is collected (it.each needs them), which runs the machines
      // outside any test: Stryker then counts every mutant of machines/ as "static" and runs every test for each
      // (9 s a mutant instead of well under 1 s). The oracle tests (test/machines/oracle/) replay the same
      // transitions from a hand-written table, and the behaviour tests below kill what the paths would.
      'test/machines/worker.machine.test.ts',
      'test/machines/scaler.machine.test.ts',
      'test/machines/supervisor.machine.test.ts',
      // Random interleavings, 150 runs a property: seconds per mutant. The oracle cases and the survivor tests pin
      // the same behaviours one by one.
      'test/machines/worker.properties.test.ts',
    ],
    // A loaded two-core machine must not turn a slow test into a "killed" mutant.
    testTimeout: 60_000,
    setupFiles: ['test/fc-seed.setup.ts'],
    // A test file that fails to load (a mutant breaks a machine at import) counts as a failed test, not as none.
    reporters: ['dot', new LoadFailureAsFailedTest()],
  },
});
