import type { Config } from 'jest';

/**
 * One jest project per kind of test, each run alone by its npm script:
 * - unit (`npm run test:unit`): pure code and adapters with the AWS boundary mocked; no servers but loopback stubs.
 * - integration (`npm run test:integration`): against the embedded dynalite and ASL engine, and `sls package`.
 * - e2e (`npm run test:e2e`): the whole local runtime, clocks warped.
 * `npm test` type-checks once and runs all three.
 */

type ProjectOptions = Exclude<NonNullable<Config['projects']>[number], string>;

// Type checking runs once in `npm run typecheck`; jest only transpiles, which keeps a run fast on 2 cores.
const shared: ProjectOptions = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};

const project = (kind: 'unit' | 'integration' | 'e2e'): ProjectOptions => ({ ...shared, displayName: kind, rootDir: '.', roots: [`<rootDir>/test/${kind}`] });

const config: Config = {
  projects: [project('unit'), project('integration'), project('e2e')],
  // Global options: jest applies them to every project (testTimeout is not a per-project setting).
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};

export default config;
