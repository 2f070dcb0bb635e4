import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const lib = (file: string) => fileURLToPath(new URL(`./lib/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The examples import the package by name, as users do.
    alias: [
      { find: /^tcp-keepalive$/, replacement: lib('index.ts') },
      { find: /^tcp-keepalive\/net-keepalive$/, replacement: lib('net-keepalive.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Only with the sanitizer build's test hooks: npm run test:asan.
    exclude: [...configDefaults.exclude, 'test/asan/**'],
    // Native addons and network namespaces: separate processes, not threads.
    pool: 'forks',
    // Files run side by side, four at a time whatever the core count: most of the suite waits
    // on keepalive timers, network namespaces and child processes rather than computing
    // (about 200 s of CPU in a run that takes 500 s one file at a time), and vitest's default
    // (cores - 1) would run one file at a time on two cores. Files share nothing: each
    // process names its own namespaces and ports. `--maxWorkers=N` overrides it.
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // In CI (CI=true) a skipped test fails the run: see test/reporters/ci-summary.mts. Elsewhere
    // the run ends with what was skipped and why (test/reporters/skip-summary.mts).
    reporters: process.env.CI ? ['default', './test/reporters/ci-summary.mts'] : ['default', './test/reporters/skip-summary.mts'],
  },
});
