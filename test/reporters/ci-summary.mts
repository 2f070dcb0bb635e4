// A vitest reporter for CI: prints the closing line CI reads
// ("tests: N passed, N failed, N skipped") and fails the run on skips.
//
// On Linux (CI runs as root there) every test, network namespaces included,
// must run: any skip fails the run. Elsewhere a test whose need the platform
// lacks is registered as a named pending test (test/helpers/platform.ts:
// "... — pending: needs userTimeout, which darwin does not have"): those are
// listed and allowed, any other skip still fails. TKA_ALLOW_PENDING=1 allows
// named pending tests on Linux too, for runs under emulation (qemu-user), where
// the reason names what the emulator cannot do.
import type { Reporter, TestModule } from 'vitest/node';

// The marker of test/helpers/platform.ts (PENDING_MARK), not imported: the
// reporter loads before the suite and must not load the addon.
const PENDING_MARK = ' — pending: ';

export default class CiSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const pendingAllowed = process.platform !== 'linux' || process.env.TKA_ALLOW_PENDING === '1';
    let passed = 0;
    let failed = 0;
    const pending: string[] = [];
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (pendingAllowed && test.fullName.includes(PENDING_MARK)) pending.push(`${module.moduleId}: ${test.fullName}`);
        else skipped.push(`${module.moduleId}: ${test.fullName} (${state})`);
      }
    }
    for (const line of pending) console.error(`pending on this platform: ${line}`);
    for (const line of skipped) console.error(`skipped, which fails the run in CI: ${line}`);
    console.log(`tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped, ${pending.length} pending`);
    if (skipped.length > 0 || passed === 0) process.exitCode = 1;
  }
}
