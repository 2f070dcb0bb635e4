// npm run build:darwin: the macOS back end compiled and linked here, on Linux,
// for x86_64 and arm64, with warnings as errors (zig's clang and macOS
// headers: tools/zig.ts), so that every change is compiled for macOS even
// though nothing here can run it.
//
//   node build/tools/darwin/build.js [--prebuild]
//
// Output: build/darwin/<darwin-x64|darwin-arm64>/tcp_keepalive.node; with
// --prebuild also prebuilds/<platform-arch>/tcp-keepalive.node.
// Each one is checked after linking:
// - Mach-O, the right CPU, a dylib, with LC_CODE_SIGNATURE (an ad hoc
//   signature: Apple silicon kills unsigned code), as read from its header
//   (tools/binary-format.ts) and as `file` describes it;
// - napi_register_module_v1 exported (llvm-objdump --exports-trie): what
//   Node looks up when it loads an addon;
// - every symbol left to be found at load time (-undefined dynamic_lookup)
//   is an N-API function that node provides; everything else binds to
//   libSystem. A typo there would link here and fail only on a Mac.
// And the two ways native/darwin/keepalive.cc gets XNU's TCP states: zig's
// headers lack <netinet/tcp_fsm.h> (the build above takes the fallback), so
// the file is compiled once more against a header with the SDK's
// definitions (must compile) and once with one value changed (must fail).
// Prints "darwin: N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBinary, LC_CODE_SIGNATURE } from '../binary-format';
import { run } from '../npm-cache';
import { addonCompileFlags, buildWithZig, REPO, zig, ZIG_TARGETS, zigEnv, type ZigTarget } from '../zig';

const OUT = path.join(REPO, 'build', 'darwin');
const TARGETS = [ZIG_TARGETS['darwin-x64'], ZIG_TARGETS['darwin-arm64']];
// How `file` and llvm-objdump name the CPU.
const CPU_NAME: Record<string, string> = { 'darwin-x64': 'x86_64', 'darwin-arm64': 'arm64' };
// The N-API entry points node.exe / node export (node_api.h, js_native_api.h).
const NODE_PROVIDED = /^_(napi|node_api)_\w+$/;

// <netinet/tcp_fsm.h> as the macOS SDK has it (XNU bsd/netinet/tcp_fsm.h),
// the TCPS_* definitions only.
const SDK_TCP_FSM = `#define TCP_NSTATES 11
#define TCPS_CLOSED 0
#define TCPS_LISTEN 1
#define TCPS_SYN_SENT 2
#define TCPS_SYN_RECEIVED 3
#define TCPS_ESTABLISHED 4
#define TCPS_CLOSE_WAIT 5
#define TCPS_FIN_WAIT_1 6
#define TCPS_CLOSING 7
#define TCPS_LAST_ACK 8
#define TCPS_FIN_WAIT_2 9
#define TCPS_TIME_WAIT 10
`;

const log = (line: string): void => void process.stderr.write(`darwin: ${line}\n`);

const results: boolean[] = [];
function check(name: string, ok: boolean, detail = ''): void {
  results.push(ok);
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok || !detail ? '' : `\n${detail}`}`);
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** llvm-objdump, or Debian's versioned llvm-objdump-N. */
function llvmObjdump(): string {
  if (onPath('llvm-objdump')) return 'llvm-objdump';
  const versioned = fs
    .readdirSync('/usr/bin')
    .filter((name) => /^llvm-objdump-\d+$/.test(name))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  if (versioned[0]) return path.join('/usr/bin', versioned[0]);
  throw new Error('llvm-objdump is missing (Debian: apt-get install llvm)');
}

function checkAddon(target: ZigTarget, file: string): void {
  const info = describeBinary(file);
  check(
    `${target.name}: a Mach-O ${info.arch} dylib`,
    info.format === 'Mach-O' && `${info.platform}-${info.arch}` === target.name && info.shared,
    JSON.stringify(info),
  );
  check(`${target.name}: signed (LC_CODE_SIGNATURE)`, info.loadCommands.includes(LC_CODE_SIGNATURE), JSON.stringify(info.loadCommands));
  if (onPath('file')) {
    const said = run('file', ['-b', file]).trim();
    check(`${target.name}: file(1) says ${said.split(',')[0]}`, said.startsWith('Mach-O 64-bit') && said.includes(CPU_NAME[target.name]!), said);
  }
  const objdump = llvmObjdump();
  const exports = run(objdump, ['--macho', '--exports-trie', file]);
  check(`${target.name}: exports napi_register_module_v1`, /\s_napi_register_module_v1$/m.test(exports), exports);
  // Rows of the bind tables: "... <dylib> <symbol>".
  const binds = run(objdump, ['--macho', '--bind', '--lazy-bind', '--weak-bind', file])
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length >= 3 && cells[0]!.startsWith('__'));
  const flat = binds.filter((cells) => cells.at(-2) === 'flat-namespace').map((cells) => cells.at(-1)!);
  const strangers = flat.filter((symbol) => !NODE_PROVIDED.test(symbol));
  const elsewhere = binds.filter((cells) => cells.at(-2) !== 'flat-namespace' && cells.at(-2) !== 'libSystem');
  check(
    `${target.name}: left to load time only N-API (${new Set(flat).size} symbols), the rest from libSystem`,
    flat.length > 0 && strangers.length === 0 && elsewhere.length === 0,
    `not N-API: ${strangers.join(' ')}\nbound elsewhere: ${elsewhere.map((cells) => cells.join(' ')).join('\n')}`,
  );
}

/** Compiles darwin/keepalive.cc (no link) with `tcpFsm` as <netinet/tcp_fsm.h>. */
function compileWithTcpFsm(tcpFsm: string): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-darwin-sdk-'));
  try {
    fs.mkdirSync(path.join(dir, 'netinet'));
    fs.writeFileSync(path.join(dir, 'netinet', 'tcp_fsm.h'), tcpFsm);
    const result = spawnSync(
      zig(log),
      // Compile only (-c): nothing to link, so zig builds no libc++ for it.
      ['c++', '-target', ZIG_TARGETS['darwin-arm64'].triple, '-c', '-o', path.join(dir, 'keepalive_darwin.o'), ...addonCompileFlags(), '-I', dir, path.join(REPO, 'native', 'darwin', 'keepalive.cc')],
      { cwd: REPO, env: zigEnv(), encoding: 'utf8' },
    );
    return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function checkTcpStates(): void {
  const sdk = compileWithTcpFsm(SDK_TCP_FSM);
  check('with the SDK\'s <netinet/tcp_fsm.h>: compiles, its TCPS_* match', sdk.ok, sdk.output);
  const wrong = compileWithTcpFsm(SDK_TCP_FSM.replace('TCPS_ESTABLISHED 4', 'TCPS_ESTABLISHED 5'));
  check(
    'with a <netinet/tcp_fsm.h> that differs: the build fails and names the state',
    !wrong.ok && wrong.output.includes('TCPS_ESTABLISHED is not 4'),
    wrong.output,
  );
}

export function buildDarwin(options: { prebuild?: boolean } = {}): string[] {
  const made: string[] = [];
  for (const target of TARGETS) {
    const file = path.join(OUT, target.name, 'tcp_keepalive.node');
    const seconds = buildWithZig(target, file, log);
    log(`built ${path.relative(REPO, file)} for ${target.triple} in ${seconds.toFixed(1)} s (${fs.statSync(file).size} bytes)`);
    checkAddon(target, file);
    if (options.prebuild) {
      const prebuild = path.join(REPO, 'prebuilds', target.prebuild);
      fs.mkdirSync(path.dirname(prebuild), { recursive: true });
      fs.copyFileSync(file, prebuild);
      made.push(prebuild);
    } else {
      made.push(file);
    }
  }
  checkTcpStates();
  const passed = results.filter(Boolean).length;
  console.log(`darwin: ${passed} passed, ${results.length - passed} failed`);
  if (passed !== results.length) throw new Error('the macOS build failed its checks');
  return made;
}

if (require.main === module) {
  try {
    buildDarwin({ prebuild: process.argv.includes('--prebuild') });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
