// npm run test:packed: installs the packed package the way users get it and
// proves which binary it loads.
//
//   node build/tools/packed-install/run.js [--all] [--skip-pnpm] [--skip-source]
//
// 0. Each prebuild is what its directory says (prebuilds/<platform>-<arch>/):
//    the object format and CPU read from its own header, a shared object, and
//    for macOS an ad hoc signature (tools/binary-format.ts). --all requires
//    the five the package promises.
// 1. `npm pack` (prepare builds dist/; prebuilds/ must exist: npm run prebuild);
//    its size is reported.
// 2. npm, into an empty project, on a PATH with node and sh only (no
//    compiler, no cmake, no make): the install script must find the prebuild,
//    compile nothing, and `require` and `import` must configure a real socket.
// 3. pnpm, which does not run dependencies' install scripts by default, on
//    the same PATH: the prebuild loads without the script.
// 4. npm with npm_config_build_from_source=true and the full PATH: the addon
//    must be compiled (build/Release) and be the one loaded.
// Prints "packed: N passed, N failed".
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBinary, LC_CODE_SIGNATURE } from '../binary-format';

const REPO = path.resolve(__dirname, '../../..');
const PNPM = process.env.TKA_PNPM ?? 'pnpm@10';
const WIN = process.platform === 'win32';
const PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];

// Loads the package both ways, configures a connected socket, and says which
// file node-gyp-build loaded.
const PROBE = `
import { createRequire } from 'node:module';
import net from 'node:net';
import { once } from 'node:events';
const require = createRequire(process.cwd() + '/package.json');
const cjs = require('tcp-keepalive');
const esm = await import('tcp-keepalive');
const server = net.createServer().listen(0, '127.0.0.1');
await once(server, 'listening');
const client = net.connect(server.address().port, '127.0.0.1');
await once(client, 'connect');
const set = esm.setKeepalive(client, { idle: 30000, interval: 5000 });
const read = cjs.getKeepalive(client);
const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
client.destroy();
server.close();
console.log(JSON.stringify({ same: esm.setKeepalive === cjs.setKeepalive, set, read, loaded,
  backend: cjs.capabilities().backend }));
`;

function run(command: string, args: string[], options: SpawnSyncOptions = {}): { status: number | null; stdout: string; out: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const stdout = String(result.stdout ?? '');
  return { status: result.status, stdout, out: `${stdout}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

function npmCli(): string[] {
  // Under `npm run`, npm says where it is; otherwise next to node.
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath)) return [process.execPath, execPath];
  const beside = WIN
    ? path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js')
    : path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return [process.execPath, beside];
}

/** A PATH holding node and a shell and nothing else: no compiler, no cmake. */
function barePath(dir: string): string {
  const bin = path.join(dir, 'bare-bin');
  fs.mkdirSync(bin, { recursive: true });
  if (WIN) {
    fs.copyFileSync(process.execPath, path.join(bin, 'node.exe'));
    return [bin, path.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32')].join(path.delimiter);
  }
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  return bin;
}

function freshProject(root: string, name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `probe-${name}`, version: '1.0.0', private: true }));
  return dir;
}

interface Probe {
  same: boolean;
  set: { enable: boolean; idle: number | null; interval: number | null };
  read: { enable: boolean; idle: number | null };
  loaded: string[];
  backend: string;
}

function probe(dir: string, env: NodeJS.ProcessEnv): Probe {
  const result = run(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: dir, env });
  if (result.status !== 0) throw new Error(`probe failed:\n${result.out}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Probe;
}

function check(name: string, ok: boolean, detail: string, results: boolean[]): void {
  results.push(ok);
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok ? '' : `\n${detail}`}`);
}

function main(): number {
  const platformDir = `${process.platform}-${process.arch}`;
  if (!fs.existsSync(path.join(REPO, 'prebuilds', platformDir, 'tcp-keepalive.node'))) {
    console.error(`no prebuilds/${platformDir}: run npm run prebuild first`);
    return 1;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-packed-'));
  const results: boolean[] = [];
  const prebuilds = path.join(REPO, 'prebuilds');
  const present = fs.readdirSync(prebuilds).filter((dir) => fs.existsSync(path.join(prebuilds, dir, 'tcp-keepalive.node')));
  for (const dir of present) {
    const info = describeBinary(path.join(prebuilds, dir, 'tcp-keepalive.node'));
    const signed = info.format !== 'Mach-O' || info.loadCommands.includes(LC_CODE_SIGNATURE);
    check(
      `prebuilds/${dir}: ${info.format} ${info.platform}-${info.arch}, shared${info.format === 'Mach-O' ? ', signed' : ''}`,
      `${info.platform}-${info.arch}` === dir && info.shared && signed,
      JSON.stringify(info),
      results,
    );
  }
  if (process.argv.includes('--all')) {
    const missing = PLATFORMS.filter((platform) => !present.includes(platform));
    check(`all five prebuilds are there (${PLATFORMS.join(', ')})`, missing.length === 0, `missing: ${missing.join(', ')}`, results);
  }
  try {
    const npm = npmCli();
    const packed = run(npm[0]!, [npm[1]!, 'pack', '--json', '--pack-destination', root], { cwd: REPO });
    if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
    const files = (
      JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>
    )[0]!;
    console.log(`# packed: ${files.filename} ${(files.size / 1024).toFixed(0)} KiB (unpacked ${(files.unpackedSize / 1024).toFixed(0)} KiB), prebuilds ${present.join(', ')}`);
    const tarball = path.join(root, files.filename);
    const listed = files.files.map((f) => f.path);
    check('the tarball carries the prebuilds and no build output', listed.includes(`prebuilds/${platformDir}/tcp-keepalive.node`) && !listed.some((f) => f.startsWith('build/')), listed.join('\n'), results);

    const { npm_config_build_from_source: _ignored, ...inherited } = process.env;
    const bare = { ...inherited, PATH: barePath(root) };
    const cache = { npm_config_cache: path.join(os.homedir(), '.npm'), npm_config_audit: 'false', npm_config_fund: 'false' };

    // npm, no compiler.
    const a = freshProject(root, 'npm-prebuild');
    const installA = run(npm[0]!, [npm[1]!, 'install', tarball], { cwd: a, env: { ...bare, ...cache } });
    check('npm install with no compiler and no cmake succeeds', installA.status === 0, installA.out, results);
    if (installA.status === 0) {
      const p = probe(a, bare);
      check(
        'require and import configure a real socket with the prebuild',
        p.same && p.set.idle === 30000 && p.read.idle === 30000 && p.loaded.length === 1 && p.loaded[0]!.includes(path.join('prebuilds', platformDir)),
        JSON.stringify(p),
        results,
      );
      check('nothing was compiled', !fs.existsSync(path.join(a, 'node_modules', 'tcp-keepalive', 'build')), '', results);
    }

    // pnpm: install scripts of dependencies are not run by default.
    if (!process.argv.includes('--skip-pnpm')) {
      const c = freshProject(root, 'pnpm');
      const pnpm = run(npm[0]!, [npm[1]!, 'exec', '--yes', `--package=${PNPM}`, '--', 'pnpm', 'add', tarball], {
        cwd: c,
        env: { ...bare, ...cache, npm_config_store_dir: path.join(root, 'pnpm-store') },
      });
      check(`pnpm (${PNPM}) add with no compiler succeeds`, pnpm.status === 0, pnpm.out, results);
      if (pnpm.status === 0) {
        const p = probe(c, bare);
        check('pnpm: the prebuild loads without the install script', p.same && p.set.idle === 30000 && p.loaded.some((f) => f.includes(path.join('prebuilds', platformDir))), JSON.stringify(p), results);
      }
    }

    // Build from source, with the compiler.
    if (!process.argv.includes('--skip-source')) {
      const b = freshProject(root, 'npm-source');
      const installB = run(npm[0]!, [npm[1]!, 'install', tarball], { cwd: b, env: { ...process.env, ...cache, npm_config_build_from_source: 'true' } });
      check('npm_config_build_from_source=true compiles the addon', installB.status === 0 && fs.existsSync(path.join(b, 'node_modules', 'tcp-keepalive', 'build', 'Release', 'tcp_keepalive.node')), installB.out, results);
      if (installB.status === 0) {
        const p = probe(b, process.env);
        check('the compiled addon is the one loaded', p.set.idle === 30000 && p.loaded.some((f) => f.includes(path.join('build', 'Release'))), JSON.stringify(p), results);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const passed = results.filter(Boolean).length;
  console.log(`packed: ${passed} passed, ${results.length - passed} failed`);
  return passed === results.length && passed > 0 ? 0 : 1;
}

process.exit(main());
