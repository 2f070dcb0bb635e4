// A copy of the built package with no build/ and no prebuilds/ (what a user
// has after `npm install --ignore-scripts` on a platform without a prebuild),
// and one whose prebuild does not load: the library throws
// ERR_TCP_KEEPALIVE_NO_ADDON saying the platform, where it looked and what to
// do; the command says the same in one line and exits 12.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const PLATFORM = `${process.platform}-${process.arch}`;
const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** dist/, package.json and node-gyp-build, as installed: no build/, no prebuilds/. */
function packageCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tka-no-addon-'));
  copies.push(dir);
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'node_modules', 'node-gyp-build'), join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  return dir;
}

const LOAD = `
try { require(process.argv[1]); console.log(JSON.stringify({ loaded: true })); }
catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, platform: e.platform, libc: e.libc, searched: e.searched, file: e.file, cause: String(e.cause) })); }
`;

function load(dir: string): Record<string, unknown> {
  const { TCP_KEEPALIVE_ADDON: _ignored, ...env } = process.env;
  const out = spawnSync(process.execPath, ['-e', LOAD, dir], { encoding: 'utf8', env });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

function cli(dir: string, args: string[]) {
  const { TCP_KEEPALIVE_ADDON: _ignored, ...env } = process.env;
  return spawnSync(process.execPath, [join(dir, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8', env });
}

describe('no native addon', () => {
  it('require throws ERR_TCP_KEEPALIVE_NO_ADDON with the platform, the places searched and what to do', () => {
    const dir = packageCopy();
    const error = load(dir);
    expect(error.code).toBe('ERR_TCP_KEEPALIVE_NO_ADDON');
    expect(error.platform).toBe(PLATFORM);
    if (process.platform === 'linux') expect(['glibc', 'musl']).toContain(error.libc);
    expect(error.searched).toEqual([join(dir, 'build', 'Release'), join(dir, 'build', 'Debug'), join(dir, 'prebuilds', PLATFORM)]);
    expect(error.file).toBeUndefined();
    const message = String(error.message);
    expect(message).toContain(`no tcp-keepalive native addon for ${PLATFORM}`);
    expect(message).toContain(join(dir, 'prebuilds', PLATFORM));
    expect(message).toContain('npm rebuild tcp-keepalive');
    expect(message).toContain('C++ compiler and cmake');
    expect(message).not.toContain('\n');
    // node-gyp-build's own words stay reachable as the cause.
    expect(error.cause).toContain('No native build was found');
  });

  it('an addon that is there but does not load: the same code, naming the file and the loader\'s reason', () => {
    const dir = packageCopy();
    const file = join(dir, 'prebuilds', PLATFORM, 'tcp-keepalive.node');
    mkdirSync(join(dir, 'prebuilds', PLATFORM), { recursive: true });
    writeFileSync(file, 'not a shared object\n');
    const error = load(dir);
    expect(error.code).toBe('ERR_TCP_KEEPALIVE_NO_ADDON');
    expect(error.file).toBe(file);
    expect(String(error.message)).toContain(`failed to load from ${file}`);
    expect(String(error.message)).not.toContain('\n');
  });

  it('the command says it in one line and exits 12, which its help lists', () => {
    const dir = packageCopy();
    const out = cli(dir, ['defaults']);
    expect(out.status).toBe(12);
    expect(out.stdout).toBe('');
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tcp-keepalive: no tcp-keepalive native addon for ${PLATFORM}.*npm rebuild tcp-keepalive`));
    expect(lines[0]).not.toContain('unexpected error');

    const json = cli(dir, ['defaults', '--json']);
    expect(json.status).toBe(12);
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ event: 'error', code: 'ERR_TCP_KEEPALIVE_NO_ADDON', exitCode: 12 });

    const help = cli(dir, ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}12 +no native addon for this platform/m);
  });
});
