/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Types are checked once by `tsc --noEmit` before jest runs; ts-jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  // One Temporal dev server and one PostgreSQL for the whole run (see test/support/global-setup.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/quiet-runtime.ts', '<rootDir>/test/support/decision-key-env.ts'],
  // Server-backed suites share those servers and two cores: run them one at a time.
  maxWorkers: 1,
  // In one process for the whole run (jest's default with one worker), what each suite leaves on
  // the heap added up until the run died at V8's 4 GB limit. With a limit, jest runs the suites in
  // a worker process and replaces it whenever a suite leaves it above the limit.
  workerIdleMemoryLimit: '1GB',
  testTimeout: 60_000,
  // A suite that fails mid-way can leave a worker or replay polling a server; the run must still end.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
