// Runs test/network/measure.ts (the measurements in docs/network-proof.md), which the main
// config leaves out of `npm test`:  npx vitest run --config test/network/measure.config.mts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/network/measure.ts'],
    pool: 'forks',
    testTimeout: 3_600_000,
    reporters: ['default'],
  },
});
