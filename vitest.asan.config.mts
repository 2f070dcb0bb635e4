// npm run test:asan (tools/asan/run.ts): the tests that exercise the addon
// and the facade, against the sanitizer build, plus test/asan/ (the guard
// page tests, which need that build's hooks). Not the network-namespace
// scenarios (the addon code they run is the same, and they take minutes),
// nor the memory test (AddressSanitizer's allocator changes RSS).
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/asan/*.test.ts',
      'test/api/generic-sockopt.test.ts',
      'test/safety/sockopt-bounds.test.ts',
      'test/api/keepalive.test.ts',
      'test/api/bad-input.test.ts',
      'test/api/tcp-info.test.ts',
      'test/api/rollback-injected-fault.test.ts',
      'test/api/worker-threads.test.ts',
      'test/api/net-keepalive-compat.test.ts',
      'test/api/agents-and-undici.test.ts',
      'test/safety/hostile-input.test.ts',
      'test/safety/fuzz.test.ts',
    ],
    exclude: configDefaults.exclude,
  },
});
