// A vitest reporter for runs outside CI: ends the run with what was skipped
// and why, one line per reason (the reason a gated test carries in its name,
// test/helpers/platform.ts: "... — pending: needs tcpdump: `tcpdump` is not on
// the PATH; install: apt-get install -y tcpdump ..."), with the files it
// touched. A skip here is not a failure: the machine lacks something the test
// needs, and the line says how to get it. In CI (CI=true) ci-summary.mts
// fails the run on any skip instead.
import type { Reporter, TestCase, TestModule } from 'vitest/node';

// The marker of test/helpers/platform.ts (PENDING_MARK), not imported: the
// reporter loads before the suite and must not load the addon.
const PENDING_MARK = ' — pending: ';

/** The reason in the name of the test or of the nearest suite around it that carries one. */
function reasonOf(test: TestCase): string {
  for (let task: TestCase | TestCase['parent'] = test; task.type !== 'module'; task = task.parent) {
    const at = task.name.indexOf(PENDING_MARK);
    if (at >= 0) return task.name.slice(at + PENDING_MARK.length);
  }
  return 'skipped without a reason in its name';
}

export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, { tests: number; files: Set<string> }>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state !== 'skipped') continue;
        const reason = reasonOf(test);
        const entry = byReason.get(reason) ?? { tests: 0, files: new Set<string>() };
        entry.tests++;
        entry.files.add(module.relativeModuleId);
        byReason.set(reason, entry);
      }
    }
    if (byReason.size === 0) return;
    const total = [...byReason.values()].reduce((sum, e) => sum + e.tests, 0);
    const lines = [`skipped ${total} test${total === 1 ? '' : 's'} (not a failure outside CI):`];
    for (const [reason, { tests, files }] of [...byReason].sort((a, b) => b[1].tests - a[1].tests)) {
      lines.push(`  ${tests} × ${reason}  [${[...files].sort().join(', ')}]`);
    }
    console.log(`\n${lines.join('\n')}\n`);
  }
}
