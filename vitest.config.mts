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
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // In CI (CI=true) a skipped test fails the run: see test/reporters/ci-summary.mts. Elsewhere
    // the run ends with what was skipped and why (test/reporters/skip-summary.mts).
    reporters: process.env.CI ? ['default', './test/reporters/ci-summary.mts'] : ['default', './test/reporters/skip-summary.mts'],
  },
});
