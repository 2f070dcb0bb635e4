#!/usr/bin/env node
// @ts-check
// Provisioning: installs the system components a test or tool needs, from the
// one list in components.json beside this file.
//
//   node tools/provision/provision.js <script>... [--missing-ok]   e.g. test, test:arm64, bench
//   node tools/provision/provision.js --all                        everything in the list (.ci/run)
//   node tools/provision/provision.js --list [<script>...]         what each script needs
//
// As root on a system with apt-get it installs what is missing, one line per
// package (`dpkg --add-architecture arm64` first when an arm64 library is
// wanted); when everything is there it only looks (a few ms, no apt-get).
// TKA_PROVISION=off turns installing off. Where it cannot install (off, not
// root, no apt-get, not Linux) it prints, per missing component, the command
// that installs it, and exits 1, or 0 with --missing-ok (npm test: the tests
// that need a missing component skip and say why).
//
// Plain JavaScript (checked through its JSDoc) because .ci/run runs it before
// `npm ci`, when neither TypeScript nor node_modules exist yet: the addon's
// compiler comes from here. The test gate (test/helpers/platform.ts) imports
// the detection below, so tests and provisioning agree on what is missing.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** @typedef {{ command: string } | { file: string } | { any: Check[] }} Check */
/** @typedef {{ name: string, packages: string[], detect: Check[], why: string, consumers: string[] }} Component */

const LIST = path.join(__dirname, 'components.json');
const ENV_SWITCH = 'TKA_PROVISION';
// Debian keeps administration commands (ip, nft, tcpdump, mariadbd) in sbin
// folders that an ordinary user's PATH lacks; the tests that run them as root
// have them on the PATH.
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const APT_LOCK = ['-o', 'DPkg::Lock::Timeout=900'];

/** @type {Component[] | undefined} */
let cached;

/** Every component in the list. */
function components() {
  if (!cached) cached = /** @type {{ components: Component[] }} */ (JSON.parse(fs.readFileSync(LIST, 'utf8'))).components;
  return cached;
}

/** The npm scripts the list names. */
function consumers() {
  return [...new Set(components().flatMap((c) => c.consumers))].sort();
}

/**
 * The components the given scripts need ('all': every one).
 * @param {readonly string[] | 'all'} scripts
 */
function componentsFor(scripts) {
  if (scripts === 'all') return components();
  const known = consumers();
  const unknown = scripts.filter((s) => !known.includes(s));
  if (unknown.length > 0) throw new Error(`provision: no component lists ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return components().filter((c) => c.consumers.some((s) => scripts.includes(s)));
}

/**
 * The component of this name.
 * @param {string} name
 */
function component(name) {
  const found = components().find((c) => c.name === name);
  if (!found) throw new Error(`no component "${name}" in ${path.relative(process.cwd(), LIST)}`);
  return found;
}

/** @param {string} file */
function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a command is: the PATH, then the sbin folders; null when nowhere.
 * @param {string} command
 */
function findCommand(command) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/**
 * The paths matching a pattern whose `*` stands for any part of one path segment.
 * @param {string} pattern an absolute path
 */
function glob(pattern) {
  /** @type {string[]} */
  let found = ['/'];
  for (const segment of pattern.split('/').filter(Boolean)) {
    /** @type {string[]} */
    const next = [];
    for (const dir of found) {
      if (!segment.includes('*')) {
        const candidate = path.join(dir, segment);
        if (fs.existsSync(candidate)) next.push(candidate);
        continue;
      }
      const matcher = new RegExp(`^${segment.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      let names = [];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) if (matcher.test(name)) next.push(path.join(dir, name));
    }
    found = next;
  }
  return found;
}

/**
 * Null when the check holds, else what is missing.
 * @param {Check} check
 * @returns {string | null}
 */
function failedCheck(check) {
  if ('command' in check) return findCommand(check.command) ? null : `\`${check.command}\` is not on the PATH`;
  if ('file' in check) return glob(check.file).length > 0 ? null : `no ${check.file}`;
  const failures = check.any.map(failedCheck);
  return failures.includes(null) ? null : failures.join(' and ');
}

/**
 * Null when the component is here, else what is missing (one line).
 * @param {Component} c
 */
function missingPart(c) {
  const failures = c.detect.map(failedCheck).filter((f) => f !== null);
  return failures.length > 0 ? failures.join(', ') : null;
}

/**
 * The shell command that installs these packages on Debian.
 * @param {readonly string[]} packages
 */
function installCommand(packages) {
  const foreign = [...new Set(packages.map((p) => p.split(':')[1]).filter((arch) => arch !== undefined))];
  return [...foreign.map((arch) => `dpkg --add-architecture ${arch} && apt-get update && `), `apt-get install -y ${packages.join(' ')}`].join('');
}

/**
 * The one-line reason a test that needs this component skips, or null when it is here.
 * @param {string} name
 */
function skipReason(name) {
  const c = component(name);
  const missing = missingPart(c);
  return missing === null ? null : `${missing}; install: ${installCommand(c.packages)} (npm test does it when run as root)`;
}

/** Why this process will not install anything, or null when it can. */
function cannotInstall() {
  const env = (process.env[ENV_SWITCH] ?? '').toLowerCase();
  if (env === 'off' || env === '0' || env === 'false' || env === 'no') return `${ENV_SWITCH}=${process.env[ENV_SWITCH]}`;
  if (process.platform !== 'linux') return `${process.platform} is not Debian`;
  if (process.getuid?.() !== 0) return 'not root';
  if (!findCommand('apt-get') || !findCommand('dpkg')) return 'no apt-get/dpkg here';
  return null;
}

/**
 * Runs a command, output to our stderr only when it fails.
 * @param {string} command
 * @param {string[]} args
 */
function run(command, args) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`provision: ${command} ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`}):\n${(result.stdout + result.stderr).slice(-4000)}`);
  }
  return result.stdout;
}

/**
 * Installs the packages of these components with apt-get, one line per package.
 * @param {readonly Component[]} wanted
 * @param {(line: string) => void} log
 */
function install(wanted, log) {
  const packages = wanted.flatMap((c) => c.packages);
  const foreign = [...new Set(packages.map((p) => p.split(':')[1]).filter((arch) => arch !== undefined))];
  const added = run('dpkg', ['--print-foreign-architectures']).split('\n');
  for (const arch of foreign) {
    if (added.includes(arch) || run('dpkg', ['--print-architecture']).trim() === arch) continue;
    log(`dpkg --add-architecture ${arch}`);
    run('dpkg', ['--add-architecture', arch]);
  }
  for (const c of wanted) for (const p of c.packages) log(`installing ${p} (${c.name}: ${c.why})`);
  run('apt-get', [...APT_LOCK, 'update', '-qq']);
  run('apt-get', [...APT_LOCK, 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

/**
 * Makes sure the components of these scripts are here: installs what is
 * missing where it can. Returns what is still missing.
 * @param {readonly string[] | 'all'} scripts
 * @param {(line: string) => void} log
 */
function provision(scripts, log) {
  const wanted = componentsFor(scripts);
  const missing = wanted.filter((c) => missingPart(c) !== null);
  const label = scripts === 'all' ? 'every script' : scripts.join(', ');
  if (missing.length === 0) {
    log(`all ${wanted.length} components for ${label} are here`);
    return [];
  }
  const blocked = cannotInstall();
  if (blocked === null) {
    const started = Date.now();
    install(missing, log);
    const still = missing.filter((c) => missingPart(c) !== null);
    for (const c of still) log(`${c.name} is still missing after apt-get: ${missingPart(c)}`);
    log(`installed ${missing.length - still.length} of ${missing.length} missing components in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return still;
  }
  for (const c of missing) log(`missing ${c.name} (${missingPart(c)}): ${installCommand(c.packages)}`);
  log(`not installing (${blocked}): ${missing.length} of ${wanted.length} components for ${label} are missing`);
  return missing;
}

/** @param {string[]} argv */
function main(argv) {
  const log = (/** @type {string} */ line) => void process.stderr.write(`provision: ${line}\n`);
  const names = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--list')) {
    for (const c of names.length > 0 ? componentsFor(names) : components()) {
      console.log(`${c.name}\t${c.packages.join(' ')}\t${c.consumers.join(' ')}\t${missingPart(c) === null ? 'here' : 'missing'}`);
    }
    return 0;
  }
  if (names.length === 0 && !argv.includes('--all')) {
    log(`name the npm scripts to provision for (${consumers().join(', ')}) or --all`);
    return 2;
  }
  const missing = provision(argv.includes('--all') ? 'all' : names, log);
  if (missing.length === 0) return 0;
  if (argv.includes('--missing-ok')) {
    log('the tests that need them skip, each saying why');
    return 0;
  }
  return 1;
}

module.exports = { components, componentsFor, component, consumers, missingPart, skipReason, installCommand, cannotInstall, provision, ENV_SWITCH };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
