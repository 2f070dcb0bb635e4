// TCP_KEEPALIVE cannot be misread, and its start-up error is one escaped,
// bounded line: the parser in this process, the register entry point in a
// child started from the package root.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKeepaliveSpec } from '../../lib/environment';

const ROOT = path.join(__dirname, '..', '..');

function startUnder(value: string) {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  return spawnSync(process.execPath, ['--require', 'tcp-keepalive/register', '-e', 'process.stdout.write("ran")'], {
    cwd: ROOT,
    env: { ...env, TCP_KEEPALIVE: value },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function codeOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('did not throw');
}

describe('TCP_KEEPALIVE durations need their unit', () => {
  it('idle=30000 (milliseconds, as the JavaScript API takes them) is refused with both readings', () => {
    const error = codeOf(() => parseKeepaliveSpec('idle=30000,interval=5000,count=4'));
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain("bad part 'idle=30000': idle needs a unit (s, ms, m, h): read as seconds it is 500m, as milliseconds 30s");
  });

  it.each(['interval=5', 'userTimeout=60', 'idle=1.5'])('%s without a unit is refused', (text) => {
    expect(codeOf(() => parseKeepaliveSpec(text)).message).toContain('needs a unit');
  });

  it('with units every reading is the written one; 0 needs none; counts are plain numbers', () => {
    expect(parseKeepaliveSpec('idle=30000ms,interval=5s,count=4')).toEqual({ idle: 30_000, interval: 5_000, count: 4 });
    expect(parseKeepaliveSpec('userTimeout=0')).toEqual({ userTimeout: 0 });
  });

  it('under --require: exit 9, the line names both readings, the application never runs', () => {
    const result = startUnder('idle=30000');
    expect(result.status).toBe(9);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'tcp-keepalive/register: TCP_KEEPALIVE="idle=30000": bad part \'idle=30000\': idle needs a unit (s, ms, m, h): read as seconds it is 500m, as milliseconds 30s\n',
    );
  });
});

describe('the start-up error is escaped and bounded', () => {
  it('a newline and an escape character in the bad part are shown as escapes, on one line', () => {
    const result = startUnder('idle=30s,\u001b[2Jcount=\n4');
    expect(result.status).toBe(9);
    const lines = result.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(result.stderr).not.toContain('\u001b');
    expect(lines[0]).toContain("bad part '\\x1b[2Jcount=\\x0a4'");
  });

  it('a bidi override is shown as an escape too', () => {
    expect(codeOf(() => parseKeepaliveSpec('idle=\u202e5s')).message).toContain("'idle=\\u202e5s'");
  });

  it('a 5,000-character value makes a line of a few hundred characters that says how long it was', () => {
    const result = startUnder(`idle=${'9'.repeat(5_000)}`);
    expect(result.status).toBe(9);
    expect(result.stderr.length).toBeLessThan(500);
    expect(result.stderr).toContain('(5005 characters)');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
