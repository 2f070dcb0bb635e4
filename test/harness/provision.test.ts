// The provisioning script (tools/provision/provision.js), run for real as npm test and .ci/run
// run it. A component is made missing without touching the system: in a private mount namespace
// (unshare -m, root) /dev/null is bind-mounted over its command, which the script and the tests
// then find not runnable; nothing outside that namespace sees it. No test here installs
// anything: installing is what npm test itself does as root before the suite.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '../helpers/platform';
import { components, componentsFor, installCommand, missingPart } from '../../tools/provision/provision';

const SCRIPT = path.join(__dirname, '..', '..', 'tools', 'provision', 'provision.js');
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const HIDDEN = 'tcpdump';

/** The environment npm test gives the script, without the off switch. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('TKA_PROVISION' in extra)) delete env.TKA_PROVISION;
  return env;
}

function provision(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), launcher: string[] = []): SpawnSyncReturns<string> {
  const argv = [...launcher, process.execPath, SCRIPT, ...args];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env, timeout: 60_000 });
}

/** Runs argv in a private mount namespace where each of `files` is /dev/null. */
function withHidden(files: string[], argv: string[]): string[] {
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do mount --bind /dev/null "$1" || exit 97; shift; n=$((n - 1)); done; exec "$@"';
  return ['unshare', '-m', 'sh', '-c', script, 'sh', String(files.length), ...files, ...argv];
}

function commandPath(command: string): string {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
}

/** The programs a run started (execve, from strace -f). */
function programsStarted(args: string[], env: NodeJS.ProcessEnv): { result: SpawnSyncReturns<string>; programs: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-provision-'));
  try {
    const trace = path.join(dir, 'trace');
    const result = provision(args, env, ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', trace]);
    const programs = [...fs.readFileSync(trace, 'utf8').matchAll(/execve\("([^"]+)"/g)].map((m) => m[1]!);
    return { result, programs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const everyTestComponent = componentsFor(['test']).map((c) => `system:${c.name}` as const);

describe('the provisioning list', () => {
  it('every component names packages, checks and the npm scripts that need it', () => {
    const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    for (const c of components()) {
      expect(c.packages.length, c.name).toBeGreaterThan(0);
      expect(c.detect.length, c.name).toBeGreaterThan(0);
      for (const consumer of c.consumers) {
        // 'install' is npm install / npm ci itself; every other consumer is a script of ours.
        if (consumer !== 'install') expect(scripts, `${c.name}: ${consumer}`).toContain(consumer);
      }
    }
  });

  it('each script that provisions names itself in the list, and the list names the arm64 runtimes, libatomic included', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const [name, body] of Object.entries(scripts)) {
      const match = /node tools\/provision\/provision\.js (\S+)/.exec(body);
      if (match) expect(componentsFor([match[1]!]).length, name).toBeGreaterThan(0);
    }
    expect(componentsFor(['test:arm64']).flatMap((c) => c.packages)).toEqual(expect.arrayContaining(['qemu-user-static', 'libc6:arm64', 'libstdc++6:arm64', 'libatomic1:arm64']));
    expect(installCommand(['libatomic1:arm64'])).toBe('dpkg --add-architecture arm64 && apt-get update && apt-get install -y libatomic1:arm64');
  });

  it('detection agrees with the shell: a command the list checks is missing exactly when `command -v` finds it nowhere', () => {
    for (const c of components()) {
      const commands = c.detect.flatMap((check) => ('command' in check ? [check.command] : []));
      if (commands.length !== c.detect.length) continue; // file checks: compared below through a hidden command only
      const shell = commands.every((command) => spawnSync('sh', ['-c', `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v ${command}`]).status === 0);
      expect(missingPart(c) === null, c.name).toBe(shell);
    }
  });

  it('an unknown script name is an error naming the known ones', () => {
    const result = provision(['test:nothing'], cleanEnv({ TKA_PROVISION: 'off' }));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no component lists test:nothing \(known: .*test:arm64/);
  });
});

describe('the provisioning script', () => {
  needs(...everyTestComponent, 'system:strace').it('everything there: one line, exit 0, and no apt-get or dpkg started (again and again)', () => {
    for (let run = 0; run < 2; run++) {
      const { result, programs } = programsStarted(['test'], cleanEnv());
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toBe(`provision: all ${everyTestComponent.length} components for test are here\n`);
      expect(programs).toContain(process.execPath);
      expect(programs.filter((p) => /\/(apt-get|apt|dpkg)$/.test(p))).toEqual([]);
    }
  });

  needs('root', 'system:tcpdump', 'system:strace').it(`TKA_PROVISION=off: a missing component (${HIDDEN} hidden) is named with its install command, nothing is installed`, () => {
    const tcpdump = commandPath(HIDDEN);
    const off = cleanEnv({ TKA_PROVISION: 'off' });
    const hidden = withHidden([tcpdump], [process.execPath, SCRIPT, 'test']);
    const strict = spawnSync(hidden[0]!, hidden.slice(1), { encoding: 'utf8', env: off });
    expect(strict.status, strict.stderr).toBe(1);
    expect(strict.stderr).toContain('provision: missing tcpdump (`tcpdump` is not on the PATH): apt-get install -y tcpdump\n');
    expect(strict.stderr).toMatch(/provision: not installing \(TKA_PROVISION=off\): 1 of \d+ components for test are missing\n/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-provision-'));
    try {
      const trace = path.join(dir, 'trace');
      const argv = withHidden([tcpdump], ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', trace, process.execPath, SCRIPT, 'test', '--missing-ok']);
      const lenient = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: off });
      expect(lenient.status, lenient.stderr).toBe(0);
      expect(lenient.stderr).toContain('provision: the tests that need them skip, each saying why\n');
      const programs = [...fs.readFileSync(trace, 'utf8').matchAll(/execve\("([^"]+)"/g)].map((m) => m[1]!);
      expect(programs).toContain(process.execPath);
      expect(programs.filter((p) => /\/(apt-get|apt|dpkg)$/.test(p))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  needs('root', 'system:tcpdump', 'system:util-linux').it('not root: the missing component and its install command, exit 0 for npm test, 1 for a tool', () => {
    const tcpdump = commandPath(HIDDEN);
    for (const [args, status] of [[['test', '--missing-ok'], 0], [['test'], 1]] as const) {
      const argv = withHidden([tcpdump], [...NOBODY, process.execPath, SCRIPT, ...args]);
      const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: cleanEnv() });
      expect(result.status, result.stderr).toBe(status);
      expect(result.stderr).toContain('provision: missing tcpdump (`tcpdump` is not on the PATH): apt-get install -y tcpdump\n');
      expect(result.stderr).toMatch(/provision: not installing \(not root\): 1 of \d+ components for test are missing\n/);
    }
  });

  needs('root', 'system:tcpdump').it("the reason a test that needs the hidden component skips with (the gate's text) names the install command", () => {
    const tcpdump = commandPath(HIDDEN);
    const ask = `console.log(String(require(${JSON.stringify(SCRIPT)}).skipReason('tcpdump')))`;
    const hidden = withHidden([tcpdump], [process.execPath, '-e', ask]);
    const result = spawnSync(hidden[0]!, hidden.slice(1), { encoding: 'utf8', env: cleanEnv() });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('`tcpdump` is not on the PATH; install: apt-get install -y tcpdump (npm test does it when run as root)\n');
    const visible = spawnSync(process.execPath, ['-e', ask], { encoding: 'utf8', env: cleanEnv() });
    expect(visible.stdout).toBe('null\n');
  });
});
