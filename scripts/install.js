#!/usr/bin/env node
// @ts-check
// scripts/: what the published package runs on a user's machine at install
// time. Plain JavaScript, checked by tsc through JSDoc: it runs before any
// build step (in a clone, before dist/ exists). Imports Node and, where
// installed, node-gyp-build, cmake-js and node-addon-api only.
//
// install.js, the package's install script:
// 1. a prebuild (prebuilds/<platform>-<arch>/, glibc and musl apart) or an
//    earlier build/ that loads in this Node: done, nothing is compiled;
// 2. else, or with --build-from-source (npm_config_build_from_source=true),
//    the addon is compiled with cmake-js, if everything that needs is there;
// 3. else the install fails with one message naming what is missing and how
//    to get it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const WIN = process.platform === 'win32';
const PLATFORM = `${process.platform}-${process.arch}`;

/** @param {string} line */
function say(line) {
  process.stderr.write(`tcp-keepalive: ${line}\n`);
}

// node-gyp-build's rule for which Linux build to load.
function libc() {
  if (process.platform !== 'linux') return '';
  if (process.env.LIBC === 'musl' || process.env.LIBC === 'glibc') return process.env.LIBC;
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
}
const TARGET = `${PLATFORM}${libc() ? ` (${libc()})` : ''}`;

/** @param {string} name @returns {string | undefined} */
function resolveFromPackage(name) {
  try {
    return require.resolve(name, { paths: [ROOT] });
  } catch {
    return undefined;
  }
}

/** The addon node-gyp-build picks, if it loads in this process: its path, or why not. */
function existingAddon() {
  const nodeGypBuild = resolveFromPackage('node-gyp-build');
  if (!nodeGypBuild) return { file: undefined, problem: 'node-gyp-build is not installed' };
  let file;
  try {
    file = /** @type {{ resolve(dir: string): string }} */ (require(nodeGypBuild)).resolve(ROOT);
  } catch {
    return { file: undefined, problem: `this package has no prebuilt addon for ${TARGET}` };
  }
  try {
    require(file);
    return { file, problem: undefined };
  } catch (error) {
    return { file: undefined, problem: `the prebuilt addon ${path.relative(ROOT, file)} does not load here (${String(/** @type {Error} */ (error).message).split('\n')[0]})` };
  }
}

/** @param {string} command */
function onPath(command) {
  const extensions = WIN ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, command + extension);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

// How to get each piece, per system.
const HOW = {
  compiler:
    process.platform === 'darwin'
      ? 'xcode-select --install'
      : WIN
        ? 'Visual Studio Build Tools with "Desktop development with C++"'
        : 'apt-get install g++ (Debian, Ubuntu), apk add g++ (Alpine), dnf install gcc-c++ (Fedora)',
  cmake: process.platform === 'darwin' ? 'brew install cmake' : WIN ? 'winget install Kitware.CMake' : 'apt-get install cmake, apk add cmake, dnf install cmake',
  make: 'apt-get install make, apk add make, dnf install make',
  packages: 'npm install --save-dev cmake-js node-addon-api',
};

/** What building from source needs and does not find, one line each. */
function missingForBuild() {
  const missing = [];
  // cmake-js finds Visual Studio itself on Windows; elsewhere it needs a compiler on PATH.
  if (!WIN) {
    const cxx = process.env.CXX ? onPath(process.env.CXX) ?? (fs.existsSync(process.env.CXX) ? process.env.CXX : undefined) : ['c++', 'g++', 'clang++'].map(onPath).find(Boolean);
    if (!cxx) missing.push(`a C++ compiler (c++, g++ or clang++ on PATH, or CXX): ${HOW.compiler}`);
  }
  if (!onPath('cmake')) missing.push(`cmake (3.15 or later) on PATH: ${HOW.cmake}`);
  if (!WIN && !onPath('make') && !onPath('ninja')) missing.push(`make or ninja on PATH: ${HOW.make}`);
  const packages = ['cmake-js', 'node-addon-api'].filter((name) => !resolveFromPackage(`${name}/package.json`));
  if (packages.length) missing.push(`the npm package${packages.length > 1 ? 's' : ''} ${packages.join(' and ')} (needed only to build from source): ${HOW.packages}`);
  return missing;
}

function build() {
  const cmakeJs = /** @type {string} */ (resolveFromPackage('cmake-js/bin/cmake-js'));
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return result.status ?? 1;
}

function main() {
  const fromSource = process.env.npm_config_build_from_source === 'true';
  let reason = 'building from source was asked for (--build-from-source)';
  if (!fromSource) {
    const existing = existingAddon();
    if (existing.file) return 0;
    reason = /** @type {string} */ (existing.problem);
  }
  const missing = missingForBuild();
  if (missing.length) {
    say(`${reason}, and building the addon for ${TARGET} from source needs what is missing here:`);
    for (const line of missing) say(`  - ${line}`);
    say('then run `npm rebuild tcp-keepalive` (docs/install.md).');
    return 1;
  }
  say(`${reason}: building the addon from source with cmake-js.`);
  const status = build();
  if (status !== 0) {
    say(`building from source failed (cmake-js exited ${status}; its output is above). A C++17 compiler, cmake 3.15+ and make or ninja are needed (docs/install.md).`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
