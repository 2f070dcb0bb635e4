// A vitest reporter for CI: prints the closing line CI reads
// ("tests: N passed, N failed, N skipped") and fails the run when any test
// was skipped. CI runs as root, so every test, network namespaces included,
// must run there; a skip means something the suite needs was missing.
import type { Reporter, TestModule } from 'vitest/node';

export default class CiSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(`${module.moduleId}: ${test.fullName} (${state})`);
      }
    }
    for (const line of skipped) console.error(`skipped, which fails the run in CI: ${line}`);
    console.log(`tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
    if (skipped.length > 0 || passed === 0) process.exitCode = 1;
  }
}
