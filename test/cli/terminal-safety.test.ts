// What the command shows cannot be turned against the terminal showing it
// (another process's command line is anyone's to write), and what it binds
// is said out loud.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { escapeBytes, escapeLines, escapeText } from '../../lib/cli/terminal/escape';
import { needs } from '../helpers/platform';
import { AS_NOBODY, assertBuilt, CLI, isRoot, killAll, oneLineError, runCli } from '../helpers/command';

beforeAll(assertBuilt);
afterEach(killAll);
afterAll(killAll);

// A command line that, printed raw, retitles the terminal, clears it and
// prints a fake verdict in green.
const HOSTILE = '\x1b]0;owned\x07\x1b[2J\x1b[H\x1b[32mAll sockets OK\x1b[0m';
const HOSTILE_SHOWN = '\\x1b]0;owned\\x07\\x1b[2J\\x1b[H\\x1b[32mAll sockets OK\\x1b[0m';
// Anything a terminal acts on: C0 (ESC, BEL, CR, ...), DEL, C1 (CSI 0x9b, OSC 0x9d).
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('escapeText / escapeBytes', () => {
  it('shows controls, DEL, C1, bidi marks and lone surrogates as escapes, and leaves the rest alone', () => {
    expect(escapeText(HOSTILE)).toBe(HOSTILE_SHOWN);
    expect(escapeText('a\tb\r\nc\x7f\x9b')).toBe('a\\x09b\\x0d\\x0ac\\x7f\\x9b');
    expect(escapeText('invoice_\u202eFDP.exe \u2066x\u2069 \u200f')).toBe('invoice_\\u202eFDP.exe \\u2066x\\u2069 \\u200f');
    // Several lines (the report's text): each line escaped, the breaks kept.
    expect(escapeLines(`a\x1b[2J\nb\u202e\n`)).toBe('a\\x1b[2J\nb\\u202e\n');
    expect(escapeText('lone \ud800 pair \ud83d\ude00')).toBe('lone \\ud800 pair \ud83d\ude00');
    expect(escapeText('plain: node /srv/app.js --port=8080 é ü 漢字 [::1]:80 C:\\Users')).toBe(
      'plain: node /srv/app.js --port=8080 é ü 漢字 [::1]:80 C:\\Users',
    );
  });

  it('escaping twice changes nothing (the output is plain text)', () => {
    const once = escapeText(`${HOSTILE}\u202e\ud800`);
    expect(escapeText(once)).toBe(once);
  });

  it('bytes: valid UTF-8 decoded, each invalid byte shown as \\xNN', () => {
    const bytes = Buffer.concat([
      Buffer.from('a'),
      Buffer.from([0xff]), // never valid
      Buffer.from('é'),
      Buffer.from([0xc3]), // truncated sequence
      Buffer.from('b'),
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
      Buffer.from([0xc0, 0xaf]), // overlong '/'
      Buffer.from('\u202e\x1b😀'),
    ]);
    expect(escapeBytes(bytes)).toBe('a\\xffé\\xc3b\\xed\\xa0\\x80\\xc0\\xaf\\u202e\\x1b😀');
    expect(escapeBytes(Buffer.from(HOSTILE))).toBe(HOSTILE_SHOWN);
  });
});

/** A process started with `args` (and `argv0`, its name in /proc); resolves once it prints its first line. */
function startProcess(command: string, args: readonly string[], argv0?: string): Promise<ChildProcess> {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const child = spawn(command, args, { env, argv0, stdio: ['pipe', 'pipe', 'inherit'] });
  running.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the process did not start')), 10_000);
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the process exited (${code})`)));
  });
}
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

const LISTENER = "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log('ready')); process.stdin.on('end', () => process.exit(0)).resume();";

needs('processSockets').describe('inspect of a process whose command line attacks the terminal', () => {
  it('text: the command line is shown escaped; no ESC or BEL reaches stdout or stderr', async () => {
    const target = await startProcess(process.execPath, ['-e', LISTENER], HOSTILE);
    const text = await runCli(['inspect', String(target.pid)]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(CONTROL);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain(`PID ${target.pid} (`);
    expect(text.stdout).toContain('\\x1b]0;owned\\x07');
    expect(text.stdout).not.toMatch(/^All sockets OK/m);
  });

  it('--json stays exact: the command line as the process has it', async () => {
    const target = await startProcess(process.execPath, ['-e', LISTENER], HOSTILE);
    const json = await runCli(['inspect', String(target.pid), '--json']);
    expect(json.code).toBe(0);
    const processEvent = json.events.find((e) => e.event === 'process')!;
    expect(String(processEvent.command).startsWith(`${HOSTILE} -e `)).toBe(true);
    // JSON escapes the controls itself: the raw bytes never reach the output.
    expect(json.stdout).not.toMatch(CONTROL);
  });

  it.skipIf(!isRoot)('the refusal on stderr (no ptrace rights) is escaped too', async () => {
    const target = await startProcess(process.execPath, ['-e', LISTENER], HOSTILE);
    const result = await runCli(['inspect', String(target.pid)], AS_NOBODY);
    expect(result.code).toBe(8);
    const line = oneLineError(result);
    expect(result.stderr).not.toMatch(CONTROL);
    expect(line).toMatch(/^tcp-keepalive: cannot read the sockets of PID \d+ \(.*\\x1b\]0;owned\\x07.*\): EACCES/);
    // --json: the error event is exact JSON, stderr still escaped.
    const json = await runCli(['inspect', String(target.pid), '--json'], AS_NOBODY);
    expect(json.code).toBe(8);
    expect(json.stderr).not.toMatch(CONTROL);
    expect(json.stdout).not.toMatch(CONTROL);
  });

  it('bytes that are not UTF-8 are shown as \\xNN', async () => {
    // Python passes bytes to execv unchanged; Node would re-encode them.
    const exec = [
      'import os, sys',
      "os.execv(sys.executable, [b'caf\\xe9\\xff\\x1b[2J', '-c', 'import sys; print(\"ready\", flush=True); sys.stdin.read()'])",
    ].join('\n');
    const target = await startProcess('python3', ['-c', exec]);
    const text = await runCli(['inspect', String(target.pid)]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(CONTROL);
    expect(text.stdout).toContain('caf\\xe9\\xff\\x1b[2J');
  });

  it('an unknown command or option given with controls is echoed escaped', async () => {
    const result = await runCli([`x${HOSTILE}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(CONTROL);
    expect(oneLineError(result)).toContain(`unknown command 'x${HOSTILE_SHOWN}'`);
    const option = await runCli(['connect', '127.0.0.1:9', `--\x1b[2J`]);
    expect(option.stderr).not.toMatch(CONTROL);
    expect(oneLineError(option)).toContain("unknown option '--\\x1b[2J'");
  });
});

describe('listen says what it bound', () => {
  it('an address: the address, and "loopback only" for loopback', async () => {
    const result = await runCli(['listen', '127.0.0.1:0', '--no-keepalive', '--duration', '0.3']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^listening on 127\.0\.0\.1:\d+ \(loopback only\) \(pid \d+\)$/m);
    expect(result.stdout).not.toContain('other hosts can connect');
    const json = await runCli(['listen', '[::1]:0', '--no-keepalive', '--duration', '0.3', '--json']);
    expect(json.events.find((e) => e.event === 'listening')).toMatchObject({ address: '::1', scope: 'loopback' });
  });

  // Every interface, but inside a network namespace of the test's own
  // (unshare -n: only a loopback, gone with the process): nothing is exposed.
  needs('netns').it('a bare port: "*:PORT (all interfaces)" and how to bind loopback only', async () => {
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('unshare', ['-n', process.execPath, CLI, 'listen', '0', '--no-keepalive', '--duration', '0.3'], { env });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^listening on \*:(\d+) \(all interfaces\) \(pid \d+\)$/m);
    const port = /^listening on \*:(\d+)/m.exec(result.stdout)![1];
    expect(result.stdout).toContain(`other hosts can connect; for this host only: tcp-keepalive listen 127.0.0.1:${port}`);
  });

  it('--help says how to bind loopback only', async () => {
    const help = await runCli(['listen', '--help']);
    expect(help.stdout).toContain('127.0.0.1:PORT or [::1]:PORT');
    expect(help.stdout).toContain('every interface');
  });
});
