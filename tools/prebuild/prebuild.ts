// npm run prebuild: the prebuilt addons the published package carries, in
// the layout node-gyp-build loads without a compiler (N-API 8: every Node >= 20):
//   prebuilds/<platform>-<arch>/tcp-keepalive.node          (darwin, win32)
//   prebuilds/linux-<arch>/tcp-keepalive.{glibc,musl}.node  (Linux, per C library:
//     node-gyp-build loads a tagged file only under that libc)
//
//   node build/tools/prebuild/prebuild.js [--host-only | --musl-only]
//
// The host's prebuild is made by prebuildify (--napi --strip), with cmake-js
// standing in for node-gyp (cmake-js-shim.ts), from a copy of the sources so
// that the working build/ is left alone. On linux-x64 the other four are
// cross-compiled too, unless --host-only: win32-x64 with mingw-w64
// (tools/windows/build.ts), darwin-x64 and darwin-arm64 (tools/darwin/
// build.ts), linux-arm64 and the musl builds for x64 and arm64
// (tools/arm64/build.ts) with zig. npm pack refuses to run without all of
// them (tools/prebuild/check.ts, the prepack script).
// CI (.github/workflows/prebuild.yml) runs this on each OS and architecture.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildLinux } from '../arm64/build';
import { buildDarwin } from '../darwin/build';
import { buildWindows, WINDOWS_PREBUILD } from '../windows/build';

const REPO = path.resolve(__dirname, '../../..');
const STAGING = path.join(REPO, 'build', 'prebuild', 'src');

function stage(): void {
  fs.rmSync(STAGING, { recursive: true, force: true });
  fs.mkdirSync(STAGING, { recursive: true });
  for (const entry of ['CMakeLists.txt', 'package.json', 'native']) {
    fs.cpSync(path.join(REPO, entry), path.join(STAGING, entry), { recursive: true });
  }
}

function prebuildHost(): Promise<string> {
  stage();
  const shim = path.join(__dirname, 'cmake-js-shim.js');
  // prebuildify spawns its node-gyp without a shell on POSIX, through cmd on Windows.
  if (process.platform !== 'win32') fs.chmodSync(shim, 0o755);
  const nodeGyp = process.platform === 'win32' ? `"${process.execPath}" "${shim}"` : shim;
  const prebuildify = require(require.resolve('prebuildify', { paths: [REPO] })) as (
    opts: Record<string, unknown>,
    cb: (error?: Error | null) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    prebuildify(
      // tagLibc names the Linux build tcp-keepalive.glibc.node (or .musl).
      { cwd: STAGING, out: REPO, napi: true, strip: true, tagLibc: os.platform() === 'linux', nodeGyp, arch: process.env.PREBUILD_ARCH ?? os.arch() },
      (error) => {
        if (error) return reject(error);
        const dir = path.join(REPO, 'prebuilds', `${process.env.PREBUILD_PLATFORM ?? os.platform()}-${process.env.PREBUILD_ARCH ?? os.arch()}`);
        resolve(dir);
      },
    );
  });
}

const MUSL = ['linux-x64-musl', 'linux-arm64-musl'] as const;

async function main(): Promise<void> {
  // --musl-only: the two musl builds alone (zig, on Linux x64), for a release
  // whose other prebuilds were made natively on each OS.
  if (process.argv.includes('--musl-only')) {
    for (const target of MUSL) console.log(`prebuild: ${path.relative(REPO, buildLinux(target, (line) => console.error(`prebuild: ${line}`)))}`);
    return;
  }
  const hostDir = await prebuildHost();
  const made = fs.readdirSync(hostDir).map((file) => path.join(hostDir, file));
  if (!process.argv.includes('--host-only') && process.platform === 'linux' && os.arch() === 'x64') {
    buildWindows({ prebuild: true });
    made.push(WINDOWS_PREBUILD);
    made.push(...buildDarwin({ prebuild: true }));
    for (const target of ['linux-arm64', ...MUSL] as const) {
      made.push(buildLinux(target, (line) => console.error(`prebuild: ${line}`)));
    }
  }
  for (const file of made) console.log(`prebuild: ${path.relative(REPO, file)} (${fs.statSync(file).size} bytes)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
