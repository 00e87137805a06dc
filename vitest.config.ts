import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/fc-seed.global-setup.ts'],
    // fast-check runs with one printed seed per run: FC_SEED=<n> replays it (test/fc-seed.ts).
    setupFiles: ['test/fc-seed.setup.ts'],
    // Tests spawn real processes and Redis servers; the CI machine has two cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
