// `tcp-keepalive report`: what it says is checked against the kernel through
// the independent reader, against capabilities(), and, for --expect, against
// a failure injected into the real kernel (seccomp).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capabilities, constants, systemDefaults } from '../../lib/index';
import type { Report } from '../../lib/cli/commands/report/report';
import { kernelKeepalive, stateOf } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';
import { needs } from '../helpers/platform';
import { assertBuilt, CLI } from '../helpers/command';

beforeAll(assertBuilt);
afterAll(closeAll);

function report(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, 'report', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let json: Report;
beforeAll(() => {
  const result = report('--json');
  expect(result.code, result.stderr).toBe(0);
  json = JSON.parse(result.stdout) as Report;
});

describe('tcp-keepalive report', () => {
  it('tries every field, and what it states agrees with capabilities()', () => {
    const caps = capabilities();
    expect(json.platform).toMatchObject({ os: os.platform(), arch: os.arch(), node: process.version, backend: caps.backend });
    expect(json.fields.map((f) => f.field)).toEqual(['enable', 'idle', 'interval', 'count', 'userTimeout']);
    for (const f of json.fields) {
      expect(f.stated, f.field).toEqual(caps[f.field]);
      expect(f.honoured, f.field).toBe(caps[f.field].settable);
      if (f.honoured) expect(f.readBack, f.field).toBe(caps[f.field].readable ? 'kernel' : 'remembered');
    }
  });

  it('the kernel accepts the stated limits and refuses one beyond, where it can be asked', () => {
    for (const f of json.fields.filter((field) => field.kernel.length > 0)) {
      const [below, min, max, above] = f.kernel;
      expect([min!.result, max!.result], f.field).toEqual(['ok', 'ok']);
      expect(below!.result, f.field).not.toBe('ok');
      if (above!.result !== 'not an int32') expect(above!.result, f.field).not.toBe('ok');
      expect(min!.readBack ?? min!.value).toBe(min!.value);
      // The unit found by trying is the one the library rounds to.
      expect(f.unitMs, f.field).toBe(f.stated.unitMs || 1);
    }
    const library = json.fields.find((f) => f.field === 'idle')!.library.map((a) => a.result);
    expect(library).toEqual(['ERR_OUT_OF_RANGE', 'ok', 'ok', 'ERR_OUT_OF_RANGE']);
  });

  needs('systemDefaults').it('reports the system defaults and that an untouched socket follows them', () => {
    expect(json.defaults).toEqual(systemDefaults());
    expect(json.fresh.followsDefaults).toBe(true);
  });

  needs('python', 'idle', 'interval', 'count').it("what Node core's setKeepAlive does is what the kernel shows for the same call", async () => {
    const { client } = await connectedPair();
    client.setKeepAlive(true, 5_000);
    const reported = json.nodeCore.find((c) => c.call === 'setKeepAlive(true, 5000)')!;
    expect(reported.state).toEqual(stateOf(kernelKeepalive(client)));
  });

  needs('tcpInfo').it('lists the TCP_INFO fields this platform fills', () => {
    expect(json.tcpInfo.available).toBe(true);
    expect(json.tcpInfo.fields).toContain('state');
    expect([...json.tcpInfo.fields, ...json.tcpInfo.nullFields]).toHaveLength(32);
  });

  it('listener inheritance, tried, agrees with capabilities()', () => {
    expect(json.listenerInheritance.keepaliveInherited).toBe(capabilities().listenerInheritance);
  });

  it('--markdown: tables for a CI job summary; text by default', () => {
    const markdown = report('--markdown');
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^\| option \| honoured \| unit \| stated range \| kernel: min-1, min, max, max\+1 \|$/m);
    expect(markdown.stdout).toMatch(/^\| idle \| yes/m);
    const text = report();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}idle {8}yes/m);
  });

  it('bad command lines: exit 2 with one line', () => {
    for (const args of [['--expect', 'idle,nope'], ['--json', '--markdown'], ['extra'], ['--expect', ',']]) {
      const result = report(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^tcp-keepalive: .+\n$/);
    }
  });

  needs('enable', 'idle', 'interval', 'count', 'userTimeout').it('--expect: exit 0 when every field named is honoured', () => {
    expect(report('--expect', 'enable,idle,interval,count,userTimeout').code).toBe(0);
  });
});

// A platform without TCP_USER_TIMEOUT, made on this one: seccomp fails that
// setsockopt in the real kernel (test/fixtures/fail-setsockopt.c).
needs('seccomp', 'cc').describe('report --expect on a kernel that refuses an option', () => {
  let dir = '';
  let launcher = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-report-'));
    launcher = path.join(dir, 'fail-setsockopt');
    execFileSync('cc', ['-O1', '-Wall', '-o', launcher, path.join(__dirname, '..', 'fixtures', 'fail-setsockopt.c')]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 11 naming the field, and reports it as not honoured', () => {
    const ENOPROTOOPT = os.constants.errno.ENOPROTOOPT;
    const run = (...args: string[]) =>
      spawnSync(launcher, [String(constants.IPPROTO_TCP), String(constants.TCP_USER_TIMEOUT), String(ENOPROTOOPT), process.execPath, CLI, 'report', ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    const failing = run('--json', '--expect', 'idle,userTimeout');
    expect(failing.status, failing.stderr).toBe(11);
    expect(failing.stderr).toMatch(/^tcp-keepalive: this platform does not honour userTimeout \(not honoured \(ENOPROTOOPT\)\)\n$/);
    // The document, then the error event every command prints with --json.
    const [document, errorEvent] = failing.stdout.split(/\n(?=\{"event")/);
    expect(JSON.parse(errorEvent!)).toMatchObject({ event: 'error', code: 'NOT_HONOURED', exitCode: 11 });
    const body = JSON.parse(document!) as Report;
    expect(body.expected).toEqual({ fields: ['idle', 'userTimeout'], notHonoured: ['userTimeout'] });
    expect(body.fields.find((f) => f.field === 'userTimeout')).toMatchObject({ honoured: false, error: 'ENOPROTOOPT' });
    expect(body.fields.find((f) => f.field === 'idle')).toMatchObject({ honoured: true });
    expect(run('--expect', 'idle,interval,count').status).toBe(0);
  });
});
