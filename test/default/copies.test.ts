// Two copies of the built package in one process (an undeduplicated
// node_modules, a library with its own copy): one default, one explicit
// mark, each connection configured once, each death reported once. The
// copies are the real dist/, package.json and addon, copied to two folders.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandWorks } from '../helpers/netns';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, '../fixtures/two-copies.cjs');
const EXPECTED = { keepalive: 1, idle: 17, interval: 3, count: 4 };
let dir = '';
let copies: [string, string] = ['', ''];

function copyPackage(to: string): string {
  fs.mkdirSync(to, { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(to, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(to, 'package.json'));
  fs.cpSync(path.join(ROOT, 'build/Release'), path.join(to, 'build/Release'), { recursive: true, filter: (file) => !file.includes('.deps') && !file.endsWith('.o') });
  fs.cpSync(path.join(ROOT, 'node_modules/node-gyp-build'), path.join(to, 'node_modules/node-gyp-build'), { recursive: true });
  return to;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-copies-'));
  copies = [copyPackage(path.join(dir, 'app/node_modules/tcp-keepalive')), copyPackage(path.join(dir, 'app/node_modules/some-driver/node_modules/tcp-keepalive'))];
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(scenario: string, wrapper: string[] = []) {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const command = [...wrapper, process.execPath, FIXTURE, copies[0], copies[1], scenario];
  const result = spawnSync(command[0]!, command.slice(1), { env, encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.trim().split('\n');
  return { report: JSON.parse(lines[lines.length - 1]!), stderr: result.stderr };
}

describe('two copies of the package in one process', () => {
  it("a library's explicit setKeepalive() from its own copy is not overwritten by the other copy's default", () => {
    const { report, stderr } = run('explicit');
    expect(report.separateModules).toBe(true);
    expect(report.connected).toMatchObject({ keepalive: 1, idle: 5, interval: 2, count: 3 });
    // The application took the socket over: Node's setKeepAlive() is not followed by the default.
    expect(report.afterLibrary).toMatchObject({ keepalive: 1, idle: 1, interval: 1, count: 10 });
    expect(stderr).toBe('');
  });

  it('both install the same default: one default seen by both, each death reported once, removal from either copy', () => {
    const { report, stderr } = run('both');
    expect(report.views).toEqual([{ idle: 17_000, interval: 3_000, count: 4 }, { idle: 17_000, interval: 3_000, count: 4 }]);
    expect(report.client).toMatchObject(EXPECTED);
    expect(report).toMatchObject({ deaths: 20, connectionsReported: 20, causes: ['reset'] });
    expect(report.afterRemoval).toEqual([null, null]);
    // Removal by the copy that did not install it is said too.
    expect(stderr).toBe(
      `tcp-keepalive: the copy at ${copies[1]} replaces the process default {"idle":17000,"interval":3000,"count":4}, installed by the copy at ${copies[0]}, with none\n`,
    );
  });

  it.skipIf(!commandWorks('strace', ['-V']))('both install the same default: each connection gets 4 setsockopt calls, not 8 (strace)', () => {
    const traced = path.join(dir, 'trace');
    run('both', ['strace', '-f', '-qq', '-e', 'trace=setsockopt', '-o', traced]);
    const lines = fs.readFileSync(traced, 'utf8').split('\n');
    // The default's writes (the listener's restore at removal aside).
    const keepalive = lines.filter((line) => /SO_KEEPALIVE, \[1\]|TCP_KEEPIDLE, \[17\]|TCP_KEEPINTVL, \[3\]|TCP_KEEPCNT, \[4\]/.test(line));
    // Per descriptor (all are open at once in this scenario): the listening
    // socket and the 20 client ends, and the few accepted ends that arrived
    // before the listener's inheritance took effect; each exactly once.
    const perDescriptor = new Map<string, number>();
    for (const line of keepalive) {
      const fd = /setsockopt\((\d+),/.exec(line)![1]!;
      perDescriptor.set(fd, (perDescriptor.get(fd) ?? 0) + 1);
    }
    expect(perDescriptor.size).toBeGreaterThanOrEqual(21);
    expect([...new Set(perDescriptor.values())]).toEqual([4]);
  });

  it('a copy installing other values says so once on stderr, and its values are the one default', () => {
    const { report, stderr } = run('disagree');
    expect(report.views).toEqual([{ idle: 8_000 }, { idle: 8_000 }]);
    expect(report.client).toMatchObject({ keepalive: 1, idle: 8 });
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `tcp-keepalive: the copy at ${copies[1]} replaces the process default {"idle":17000,"interval":3000,"count":4}, installed by the copy at ${copies[0]}, with {"idle":9000}`,
    );
  });
});
