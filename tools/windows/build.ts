// npm run build:windows: cross-compiles the addon for win32-x64 on Linux with
// mingw-w64, from the same CMakeLists.txt, against node-api-headers (the npm
// registry and Debian's packages only; nothing downloaded at build time).
//
//   node build/tools/windows/build.js [--prebuild]
//
// Output: build/windows/Release/tcp_keepalive.node; with --prebuild also
// prebuilds/win32-x64/tcp-keepalive.node, where node-gyp-build finds it.
import fs from 'node:fs';
import path from 'node:path';
import { ensureToolchain, log, MINGW, REPO, run, WINDOWS_BUILD } from './env';

export const WINDOWS_ADDON = path.join(WINDOWS_BUILD, 'Release', 'tcp_keepalive.node');
export const WINDOWS_PREBUILD = path.join(REPO, 'prebuilds', 'win32-x64', 'tcp-keepalive.node');

/**
 * A delay-load import library for node.exe's N-API exports (as node-gyp and
 * cmake-js do for MSVC): native/win/delay_load_hook.cc resolves "node.exe"
 * to whichever executable is running, so the addon also loads into Electron
 * or a renamed node.exe.
 */
function importLibrary(): string {
  const headers = path.dirname(require.resolve('node-api-headers/package.json', { paths: [REPO] }));
  const lib = path.join(WINDOWS_BUILD, 'libnode_api_delay.a');
  run(`${MINGW}-dlltool`, ['-d', path.join(headers, 'def', 'node_api.def'), '-y', lib, '-D', 'node.exe']);
  return lib;
}

export function buildWindows(options: { prebuild?: boolean } = {}): string {
  ensureToolchain(false);
  fs.mkdirSync(WINDOWS_BUILD, { recursive: true });
  const headers = path.dirname(require.resolve('node-api-headers/package.json', { paths: [REPO] }));
  const cmakeDir = path.join(WINDOWS_BUILD, 'cmake');
  log('cross-compiling the addon (mingw-w64)');
  run('cmake', [
    '-S', REPO,
    '-B', cmakeDir,
    `-DCMAKE_TOOLCHAIN_FILE=${path.join(REPO, 'tools', 'windows', 'mingw-w64-x86_64.cmake')}`,
    '-DCMAKE_BUILD_TYPE=Release',
    `-DCMAKE_JS_INC=${path.join(headers, 'include')}`,
    `-DCMAKE_JS_LIB=${importLibrary()}`,
  ]);
  run('cmake', ['--build', cmakeDir, '--parallel', '2']);
  fs.mkdirSync(path.dirname(WINDOWS_ADDON), { recursive: true });
  fs.copyFileSync(path.join(cmakeDir, 'tcp_keepalive.node'), WINDOWS_ADDON);
  if (options.prebuild) {
    fs.mkdirSync(path.dirname(WINDOWS_PREBUILD), { recursive: true });
    fs.copyFileSync(WINDOWS_ADDON, WINDOWS_PREBUILD);
    log(`prebuild: ${path.relative(REPO, WINDOWS_PREBUILD)}`);
  }
  log(`built ${path.relative(REPO, WINDOWS_ADDON)} (${fs.statSync(WINDOWS_ADDON).size} bytes)`);
  return WINDOWS_ADDON;
}

if (require.main === module) {
  try {
    buildWindows({ prebuild: process.argv.includes('--prebuild') });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
