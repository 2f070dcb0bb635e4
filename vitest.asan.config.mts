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
      'test/sockopt.test.ts',
      'test/sockopt-safety.test.ts',
      'test/keepalive.test.ts',
      'test/errors.test.ts',
      'test/tcpinfo.test.ts',
      'test/rollback.test.ts',
      'test/worker.test.ts',
      'test/net-keepalive.test.ts',
      'test/integrations.test.ts',
      'test/hostile-input.test.ts',
      'test/fuzz.test.ts',
    ],
    exclude: configDefaults.exclude,
  },
});
