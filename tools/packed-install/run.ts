// npm run test:packed: installs the packed package the way users get it and
// proves which binary it loads, and that each way an install can break says
// what to do.
//
//   node build/tools/packed-install/run.js [--all] [--skip-pnpm] [--skip-source]
//
// 0. Each prebuild is what its name says (tools/prebuild/targets.ts): the
//    object format, CPU and, on Linux, C library read from the file itself,
//    a shared object, for macOS an ad hoc signature (tools/binary-format.ts).
//    --all requires every one the package promises; without --all only the
//    host's need be there (TKA_PACK_HOST_ONLY for the prepack check).
// 1. The prepack check refuses a package without them; `npm pack` (prepare
//    builds dist/) carries the prebuilds, the docs and the install script, no
//    source maps, no CLI declarations, no build output. Its size is reported.
// 2. npm, into an empty project, on a PATH with node and sh only (no
//    compiler, no cmake, no make): the install script must find the prebuild,
//    compile nothing, add node-gyp-build and nothing else (at most 1 MiB
//    besides the package itself), and `require`, `import` and the command
//    must work; the declarations compile in a consumer's project under
//    every module resolution and esModuleInterop setting (consumer-types.ts).
// 3. pnpm, which does not run dependencies' install scripts by default, on
//    the same PATH: the prebuild loads without the script.
// 4. What cannot work fails with a message that says what to do: no prebuild
//    for this platform and no compiler; a compiler but no cmake; building
//    from source asked for without cmake-js; on Linux, musl with no musl
//    prebuild (LIBC=musl), and node-gyp-build under musl choosing the musl
//    prebuild, never the glibc one.
// 5. npm with npm_config_build_from_source=true, cmake-js and node-addon-api
//    and the full PATH: the addon must be compiled (build/Release) and be the
//    one loaded.
// Prints "packed: N passed, N failed".
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBinary, LC_CODE_SIGNATURE } from '../binary-format';
import { PREBUILDS, prebuildProblem } from '../prebuild/targets';
import { compileConsumers } from './consumer-types';

const REPO = path.resolve(__dirname, '../../..');
const PNPM = process.env.TKA_PNPM ?? 'pnpm@10';
const WIN = process.platform === 'win32';
const MIB = 1024 * 1024;

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

/** Bytes in `dir`'s files, links not followed. */
function treeSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeSize(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

/** The tarball again without the files under package/ that `drop` names. */
function repack(tarball: string, root: string, name: string, drop: string[]): string {
  const dir = path.join(root, `${name}-unpacked`);
  fs.mkdirSync(dir, { recursive: true });
  const x = run('tar', ['-xzf', tarball, '-C', dir]);
  if (x.status !== 0) throw new Error(`tar -x failed:\n${x.out}`);
  for (const file of drop) fs.rmSync(path.join(dir, 'package', file), { recursive: true, force: true });
  const out = path.join(root, `${name}.tgz`);
  const c = run('tar', ['-czf', out, '-C', dir, 'package']);
  if (c.status !== 0) throw new Error(`tar -c failed:\n${c.out}`);
  return out;
}

/** `bare` (a barePath()) with these host commands too (resolved on the full PATH). */
function pathWith(root: string, name: string, commands: string[], bare: string): string {
  const bin = path.join(root, name);
  fs.mkdirSync(bin, { recursive: true });
  for (const command of commands) {
    const found = run('sh', ['-c', `command -v ${command}`]).stdout.trim();
    if (!found) throw new Error(`${command} is not on PATH here`);
    fs.symlinkSync(found, path.join(bin, command));
  }
  return [bin, bare].join(path.delimiter);
}

function main(): number {
  const platformDir = `${process.platform}-${process.arch}`;
  const all = process.argv.includes('--all');
  const prebuilds = path.join(REPO, 'prebuilds');
  const present = PREBUILDS.filter((p) => fs.existsSync(path.join(prebuilds, p.file)));
  const host = present.find((p) => `${p.platform}-${p.arch}` === platformDir && p.libc !== 'musl');
  if (!host) {
    console.error(`no prebuild for ${platformDir} in prebuilds/: run npm run prebuild first`);
    return 1;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-packed-'));
  const results: boolean[] = [];
  for (const prebuild of present) {
    const file = path.join(prebuilds, prebuild.file);
    const info = describeBinary(file);
    const signed = info.format !== 'Mach-O' || info.loadCommands.includes(LC_CODE_SIGNATURE);
    const problem = prebuildProblem(prebuild, file) ?? (signed ? undefined : 'not signed');
    check(
      `prebuilds/${prebuild.file}: ${info.format} ${info.platform}-${info.arch}${prebuild.libc ? ` ${prebuild.libc}` : ''}, shared${info.format === 'Mach-O' ? ', signed' : ''}`,
      problem === undefined,
      `${problem}: ${JSON.stringify(info)}`,
      results,
    );
  }
  if (all) {
    const missing = PREBUILDS.filter((p) => !present.includes(p)).map((p) => p.file);
    check(`all ${PREBUILDS.length} prebuilds are there`, missing.length === 0, `missing: ${missing.join(', ')}`, results);
  }
  try {
    const npm = npmCli();
    const { npm_config_build_from_source: _ignored, TKA_PACK_HOST_ONLY: _hostOnly, ...inherited } = process.env;

    // The prepack check (package.json "prepack") on a package missing prebuilds.
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const partial = path.join(root, 'partial-package');
    fs.mkdirSync(path.join(partial, 'prebuilds'), { recursive: true });
    fs.cpSync(path.join(prebuilds, path.dirname(host.file)), path.join(partial, 'prebuilds', path.dirname(host.file)), { recursive: true });
    const refused = run(process.execPath, [path.join(REPO, 'build', 'tools', 'prebuild', 'check.js'), partial], { env: inherited });
    check(
      'npm pack refuses a package without every prebuild, naming each and npm run prebuild',
      /check\.js/.test(pkg.scripts.prepack ?? '') && refused.status === 1 && refused.out.includes('npm pack refused') &&
        PREBUILDS.filter((p) => path.dirname(p.file) !== path.dirname(host.file)).every((p) => refused.out.includes(`prebuilds/${p.file}: missing`)) && refused.out.includes('npm run prebuild'),
      `prepack: ${pkg.scripts.prepack}\n${refused.out}`,
      results,
    );

    const packed = run(npm[0]!, [npm[1]!, 'pack', '--json', '--pack-destination', root], { cwd: REPO, env: all ? inherited : { ...inherited, TKA_PACK_HOST_ONLY: '1' } });
    if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
    const files = (
      JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>
    )[0]!;
    console.log(`# packed: ${files.filename} ${(files.size / 1024).toFixed(0)} KiB (unpacked ${(files.unpackedSize / 1024).toFixed(0)} KiB, ${files.files.length} files), prebuilds ${present.map((p) => p.file).join(', ')}`);
    const tarball = path.join(root, files.filename);
    const listed = files.files.map((f) => f.path);
    check(
      'the tarball carries the prebuilds, the docs, the install script and the types, and no build output',
      present.every((p) => listed.includes(`prebuilds/${p.file}`)) &&
        ['docs/api.md', 'docs/install.md', 'scripts/install.js', 'dist/index.d.ts', 'dist/index.d.mts', 'binding.d.ts'].every((f) => listed.includes(f)) &&
        !listed.some((f) => f.startsWith('build/')),
      listed.join('\n'),
      results,
    );
    const unwanted = listed.filter((f) => f.endsWith('.map') || /^dist\/cli\/.*\.d\.ts$/.test(f));
    check('no source maps and no declarations of the command\'s internals', unwanted.length === 0, unwanted.join('\n'), results);

    const bare = { ...inherited, PATH: barePath(root) };
    const cache = { npm_config_cache: path.join(os.homedir(), '.npm'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    const install = (name: string, specs: string[], env: NodeJS.ProcessEnv) => {
      const dir = freshProject(root, name);
      const started = Date.now();
      const result = run(npm[0]!, [npm[1]!, 'install', '--prefer-offline', ...specs], { cwd: dir, env: { ...env, ...cache } });
      return { dir, ...result, seconds: (Date.now() - started) / 1000 };
    };

    // npm, no compiler.
    const a = install('npm-prebuild', [tarball], bare);
    check(`npm install with no compiler and no cmake succeeds (${a.seconds.toFixed(1)} s)`, a.status === 0, a.out, results);
    if (a.status === 0) {
      const p = probe(a.dir, bare);
      check(
        'require and import configure a real socket with the prebuild',
        p.same && p.set.idle === 30000 && p.read.idle === 30000 && p.loaded.length === 1 && p.loaded[0]!.endsWith(path.join('node_modules', 'tcp-keepalive', 'prebuilds', host.file)),
        JSON.stringify(p),
        results,
      );
      check('nothing was compiled', !fs.existsSync(path.join(a.dir, 'node_modules', 'tcp-keepalive', 'build')), '', results);
      const modules = path.join(a.dir, 'node_modules');
      const installed = fs.readdirSync(modules).filter((name) => !name.startsWith('.'));
      const own = treeSize(path.join(modules, 'tcp-keepalive'));
      const besides = treeSize(modules) - own;
      console.log(`# installed: node_modules ${(treeSize(modules) / 1024).toFixed(0)} KiB: tcp-keepalive ${(own / 1024).toFixed(0)} KiB, besides it ${(besides / 1024).toFixed(0)} KiB (${installed.join(', ')})`);
      check(
        `the install adds node-gyp-build only besides the package: ${(besides / 1024).toFixed(0)} KiB (at most 1 MiB), no build tools`,
        besides <= MIB && installed.sort().join(',') === 'node-gyp-build,tcp-keepalive',
        installed.join(', '),
        results,
      );
      const bin = path.join(modules, '.bin', WIN ? 'tcp-keepalive.cmd' : 'tcp-keepalive');
      const cli = WIN
        ? run(process.execPath, [path.join(modules, 'tcp-keepalive', 'dist', 'cli', 'main.js'), 'defaults', '--json'], { cwd: a.dir, env: bare })
        : run(bin, ['defaults', '--json'], { cwd: a.dir, env: bare });
      check('the command runs from node_modules/.bin', cli.status === 0 && /"source"/.test(cli.stdout), cli.out, results);
      // After the size was measured: links @types/node in.
      compileConsumers(REPO, a.dir, (name, ok, detail) => check(name, ok, detail, results));
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
        check('pnpm: the prebuild loads without the install script', p.same && p.set.idle === 30000 && p.loaded.some((f) => f.endsWith(path.join('prebuilds', host.file))), JSON.stringify(p), results);
      }
    }

    // What cannot work says what to do. Never cmake-js's own last words.
    const saysWhatToDo = (out: string, wanted: string[], unwanted: string[] = []) =>
      wanted.every((text) => out.includes(text)) && !unwanted.some((text) => out.includes(text)) && !out.includes('OMG');
    const noPrebuild = repack(tarball, root, 'no-prebuild', [`prebuilds/${platformDir}`]);
    const compiler = 'a C++ compiler (c++, g++ or clang++ on PATH, or CXX)';
    const cmake = 'cmake (3.15 or later) on PATH';
    const buildPackages = 'the npm packages cmake-js and node-addon-api';
    const d = install('no-prebuild-no-compiler', [noPrebuild], bare);
    check(
      'no prebuild for this platform and no compiler: the install fails naming the compiler, cmake and cmake-js, and how to get them',
      d.status !== 0 && saysWhatToDo(d.out, [`no prebuilt addon for ${platformDir}`, compiler, cmake, buildPackages, 'npm install --save-dev cmake-js node-addon-api', 'npm rebuild tcp-keepalive']),
      d.out,
      results,
    );
    if (!WIN) {
      const e = install('no-prebuild-no-cmake', [noPrebuild, 'cmake-js', 'node-addon-api'], { ...bare, PATH: pathWith(root, 'compiler-bin', ['c++', 'make'], bare.PATH) });
      check(
        'no prebuild, a compiler and cmake-js but no cmake: the install fails naming cmake alone',
        e.status !== 0 && saysWhatToDo(e.out, [`no prebuilt addon for ${platformDir}`, cmake, 'apt-get install cmake'], [compiler, buildPackages]),
        e.out,
        results,
      );
    }
    const f = install('source-no-cmake-js', [tarball], { ...inherited, npm_config_build_from_source: 'true' });
    check(
      'building from source asked for without cmake-js and node-addon-api: the install fails naming them',
      f.status !== 0 && saysWhatToDo(f.out, ['building from source was asked for', buildPackages, 'npm install --save-dev cmake-js node-addon-api'], [compiler, cmake]),
      f.out,
      results,
    );
    if (process.platform === 'linux') {
      const musl = present.find((p) => `${p.platform}-${p.arch}` === platformDir && p.libc === 'musl');
      const noMusl = musl ? repack(tarball, root, 'no-musl', [`prebuilds/${musl.file}`]) : tarball;
      const g = install('musl-no-prebuild', [noMusl], { ...bare, LIBC: 'musl' });
      check(
        'musl (LIBC=musl) with no musl prebuild: the install fails rather than take the glibc build',
        g.status !== 0 && saysWhatToDo(g.out, [`no prebuilt addon for ${platformDir} (musl)`, compiler]),
        g.out,
        results,
      );
      const h = install('musl-ignore-scripts', [noMusl, '--ignore-scripts'], { ...bare, LIBC: 'musl' });
      const loaded = run(process.execPath, ['-e', "try { require('tcp-keepalive'); console.log('loaded') } catch (e) { console.log(JSON.stringify({ code: e.code, libc: e.libc, message: e.message })) }"], { cwd: h.dir, env: { ...bare, LIBC: 'musl' } });
      check(
        'musl with no musl prebuild and scripts skipped: loading throws ERR_TCP_KEEPALIVE_NO_ADDON (musl), never the glibc build',
        h.status === 0 && /"code":"ERR_TCP_KEEPALIVE_NO_ADDON"/.test(loaded.stdout) && /"libc":"musl"/.test(loaded.stdout),
        `${h.out}\n${loaded.out}`,
        results,
      );
      if (musl && a.status === 0) {
        const resolveAs = (libc: string) =>
          run(process.execPath, ['-p', "require('node-gyp-build').resolve(require('path').dirname(require.resolve('tcp-keepalive/package.json')))"], { cwd: a.dir, env: { ...bare, LIBC: libc } }).stdout.trim();
        const [underMusl, underGlibc] = [resolveAs('musl'), resolveAs('glibc')];
        check(
          'node-gyp-build picks the musl prebuild under musl and the glibc one under glibc',
          underMusl.endsWith(musl.file) && underGlibc.endsWith(host.file),
          `musl: ${underMusl}\nglibc: ${underGlibc}`,
          results,
        );
      }
    }

    // Build from source, with the compiler and the build packages.
    if (!process.argv.includes('--skip-source')) {
      const b = install('npm-source', [tarball, 'cmake-js', 'node-addon-api'], { ...inherited, npm_config_build_from_source: 'true' });
      check(`npm_config_build_from_source=true with cmake-js and node-addon-api compiles the addon (${b.seconds.toFixed(1)} s)`, b.status === 0 && fs.existsSync(path.join(b.dir, 'node_modules', 'tcp-keepalive', 'build', 'Release', 'tcp_keepalive.node')), b.out, results);
      if (b.status === 0) {
        const p = probe(b.dir, inherited);
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
