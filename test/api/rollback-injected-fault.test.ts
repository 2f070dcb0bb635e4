// All or nothing: a system call that fails part way leaves the kernel
// holding exactly what it held before. The failure is injected into the real
// kernel with seccomp (test/fixtures/fail-setsockopt.c), late in the sequence.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { constants } from '../../lib/index';
import { needs } from '../helpers/platform';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const ENOBUFS = 105; // a failure the kernel could give; nothing the library special-cases
let launcher = '';

let launcherDir = '';


interface Report {
  before?: Record<string, number>;
  after?: Record<string, number>;
  error: { code: string; errno: number; syscall: string; message: string } | null;
  destroyed?: boolean;
}

function runFailing(level: number, name: number, mode: 'connected' | 'deferred'): Report {
  const result = spawnSync(
    launcher,
    [String(level), String(name), String(ENOBUFS), process.execPath, path.join(FIXTURES, 'rollback-child.cjs'), mode],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (result.status !== 0) throw new Error(`child failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Report;
}

const PRESET = { keepalive: 0, idle: 111, interval: 22, count: 7, userTimeout: 1_234 };
const { IPPROTO_TCP, SOL_SOCKET } = constants;

// The filter (test/fixtures/fail-setsockopt.c) is Linux seccomp; the child reads every field.
needs('seccomp', 'cc', 'spawnsNode', 'idle', 'interval', 'count', 'userTimeout', 'python:TCP_USER_TIMEOUT').describe('rollback after a late failure (seccomp fault injection)', () => {
  beforeAll(() => {
    launcherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-seccomp-'));
    launcher = path.join(launcherDir, 'fail-setsockopt');
    execFileSync('cc', ['-O1', '-Wall', '-o', launcher, path.join(FIXTURES, 'fail-setsockopt.c')]);
  });

  afterAll(() => fs.rmSync(launcherDir, { recursive: true, force: true }));

  const cases: Array<[string, number, number]> = [
    ['TCP_KEEPCNT, after idle and interval were set', IPPROTO_TCP, constants.TCP_KEEPCNT],
    ['TCP_USER_TIMEOUT, after idle, interval and count were set', IPPROTO_TCP, constants.TCP_USER_TIMEOUT!],
    ['SO_KEEPALIVE, the very last call', SOL_SOCKET, constants.SO_KEEPALIVE],
  ];
  for (const [name, level, option] of cases) {
    it(`a failing ${name}: the error is thrown and every earlier change is undone`, () => {
      const report = runFailing(level, option, 'connected');
      expect(report.before).toEqual(PRESET);
      expect(report.error).toMatchObject({ code: 'ENOBUFS', errno: -ENOBUFS, syscall: 'setsockopt' });
      expect(report.after).toEqual(PRESET);
    });
  }

  it('without a failure the same child changes everything (the filter is what fails it)', () => {
    // TCP_MAXSEG is never touched by setKeepalive, so nothing fails.
    const report = runFailing(IPPROTO_TCP, constants.TCP_MAXSEG, 'connected');
    expect(report.error).toBeNull();
    expect(report.after).toEqual({ keepalive: 1, idle: 5, interval: 6, count: 4, userTimeout: 9_000 });
  });

  it('a queued request that fails on connect destroys the socket with the error', () => {
    const report = runFailing(IPPROTO_TCP, constants.TCP_KEEPINTVL, 'deferred');
    expect(report.error).toMatchObject({ code: 'ENOBUFS', syscall: 'setsockopt' });
    expect(report.destroyed).toBe(true);
  });
});
