// Runs test/clients/table.ts (the real-client table in docs/clients.md), which the main config
// leaves out of `npm test`:  npm run table:clients
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/clients/table.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    reporters: ['default'],
  },
});
