// tcp-keepalive/register: the default from TCP_KEEPALIVE with no code change,
// through --require, --import and NODE_OPTIONS, in child processes started
// from the package root (the package refers to itself by name there).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatKeepaliveSpec, parseKeepaliveSpec } from '../../lib/environment';

const ROOT = path.join(__dirname, '..', '..');
const APP = path.join(__dirname, '../fixtures/default-app.cjs');

function run(nodeArgs: string[], env: Record<string, string | undefined>, appArgs: string[] = []) {
  const { NODE_OPTIONS: _dropped, TCP_KEEPALIVE: _unset, ...base } = process.env;
  const result = spawnSync(process.execPath, [...nodeArgs, APP, ...appArgs], {
    cwd: ROOT,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr, report: result.status === 0 ? JSON.parse(result.stdout) : null };
}

const VARIABLE = 'idle=30s,interval=5s,count=4,userTimeout=60s';
const KERNEL = { keepalive: 1, idle: 30, interval: 5, count: 4, userTimeout: 60_000 };

describe('tcp-keepalive/register', () => {
  it.each([
    ['--require', ['--require', 'tcp-keepalive/register'], {}],
    ['--import (ESM)', ['--import', 'tcp-keepalive/register'], {}],
    ['NODE_OPTIONS', [], { NODE_OPTIONS: '--require tcp-keepalive/register' }],
  ])('%s: both ends of a connection carry TCP_KEEPALIVE, after the client library setKeepAlive()', (_name, args, env) => {
    const { status, stderr, report } = run(args, { ...env, TCP_KEEPALIVE: VARIABLE });
    expect(status, stderr).toBe(0);
    expect(report).toEqual({ accepted: KERNEL, client: KERNEL });
  });

  it.each(['rr', 'none'])('cluster workers (scheduling %s) inherit it through execArgv', (mode) => {
    const { status, stderr, report } = run(['--require', 'tcp-keepalive/register'], { TCP_KEEPALIVE: VARIABLE }, [mode]);
    expect(status, stderr).toBe(0);
    expect(report).toEqual({ accepted: KERNEL, client: KERNEL });
  });

  it.each([
    ['idle=30x', "bad part 'idle=30x': not a duration"],
    ['idle=0', "bad part 'idle=0': out of range"],
    ['idle=30s,count=500', "bad part 'count=500': out of range. It must be >= 1 && <= 127"],
    ['idle=30s,,count=4', "bad part '': expected key=value"],
    ['idle=30s,idle=40s', "bad part 'idle=40s': idle is given twice"],
    ['idle:30s', "bad part 'idle:30s': expected key=value"],
    ['count=4.5', "bad part 'count=4.5': count must be a whole number"],
    ['', 'empty'],
    [undefined, 'TCP_KEEPALIVE is not set'],
  ])('TCP_KEEPALIVE=%j stops start-up with the variable and the bad part named', (value, message) => {
    for (const args of [['--require', 'tcp-keepalive/register'], ['--import', 'tcp-keepalive/register']]) {
      const { status, stderr } = run(args, { TCP_KEEPALIVE: value });
      expect(status).toBe(9);
      expect(stderr).toContain('tcp-keepalive/register: TCP_KEEPALIVE');
      expect(stderr).toContain(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('the TCP_KEEPALIVE syntax', () => {
  it('reads durations in the command line syntax and round-trips', () => {
    expect(parseKeepaliveSpec(' idle = 2m , interval=1500ms,count=3 ')).toEqual({ idle: 120_000, interval: 1500, count: 3 });
    expect(parseKeepaliveSpec('userTimeout=1.5s')).toEqual({ userTimeout: 1500 });
    for (const text of ['idle=30s,interval=5s,count=4', 'idle=2h,interval=75s,count=9,userTimeout=250ms', 'idle=5m']) {
      expect(formatKeepaliveSpec(parseKeepaliveSpec(text))).toBe(text);
    }
  });
});
