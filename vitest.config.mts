import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and network namespaces: separate processes, not threads.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // In CI (CI=true) a skipped test fails the run: see test/reporters/ci-summary.mts.
    reporters: process.env.CI ? ['default', './test/reporters/ci-summary.mts'] : ['default'],
  },
});
