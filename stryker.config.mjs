// Mutation testing of the machines and the pure modules (issue 13): `npm run mutate`. Each mutant runs only the
// fast unit tests of vitest.mutation.config.ts that cover it (per-test coverage). Results: machines/README.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner', './.stryker/ignore-descriptions.mjs'],
  ignorers: ['machine-descriptions'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'machines/worker.machine.ts',
    'machines/scaler.machine.ts',
    'machines/supervisor.machine.ts',
    'machines/restart-policy.ts',
    'machines/scaler-policy.ts',
    'machines/worker.defaults.ts',
    'src/process/zinit/legacy-protocol.ts',
    'src/process/zinit/jsonrpc-protocol.ts',
    'src/process/zinit/zinit-state.ts',
    'src/process/zinit/shell-words.ts',
    'src/process/zinit/service-yaml.ts',
    'src/process/zinit/status-diff.ts',
    'src/process/zinit/normalize-status.ts',
    'src/lifecycle/ping-verdict.ts',
  ],
  // The machine runs on two cores shared with other work: STRYKER_CONCURRENCY=2 on a quiet machine.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  incremental: true,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 99, low: 97, break: 96 },
  timeoutMS: 5_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'coverage', 'reports', '.hero', 'visualizations'],
};
