// The command as a new user meets it: help that says where the options are
// and only the exit codes that can happen, lines in time order, labels that
// say what they count.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getTcpInfo } from '../../lib/index';
import { flowFilter, tryCapture } from '../../lib/cli/live/wire/capture';
import { Monitor } from '../../lib/cli/live/monitor';
import { Reporter } from '../../lib/cli/terminal/output';
import { ConnectionWatcher } from '../../lib/cli/live/watcher';
import { needs } from '../helpers/platform';
import { assertBuilt, isRoot, killAll, runCli, startCli } from '../helpers/command';

beforeAll(assertBuilt);
afterEach(killAll);
afterAll(killAll);

/** The exit codes a help text lists. */
function listedCodes(help: string): number[] {
  const section = help.slice(help.indexOf('Exit codes:'));
  return [...section.matchAll(/^ {2}(\d+) /gm)].map((match) => Number(match[1]));
}

describe('help', () => {
  it('the top-level help says that options belong to each command', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Options belong to each command: 'tcp-keepalive <command> --help' lists them");
  });

  it.each([
    ['defaults', [0, 1, 2, 10, 12]],
    ['connect', [0, 1, 2, 3, 4, 6, 7, 10, 12, 130, 143]],
    ['listen', [0, 1, 2, 5, 10, 12, 130, 143]],
    ['inspect', [0, 1, 2, 8, 9, 10, 12]],
    ['demo', [0, 1, 2, 12, 130, 143]],
    ['advise', [0, 1, 2, 3, 4, 7, 10, 12, 130, 143]],
    ['path', [0, 1, 2, 3, 4, 7, 10, 12, 130, 143]],
    ['report', [0, 1, 2, 11, 12]],
  ])("'%s --help' lists only the exit codes it can end with", async (command, codes) => {
    const help = await runCli([command as string, '--help']);
    expect(help.code).toBe(0);
    expect(listedCodes(help.stdout)).toEqual(codes);
  });

  it('the top-level help still lists every exit code', async () => {
    const help = await runCli(['--help']);
    expect(listedCodes(help.stdout)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 130, 143]);
  });
});

describe('options', () => {
  it('--no-keepalive with --user-timeout: accepted, keepalive off and the user timeout set', async () => {
    const listener = startCli(['listen', '127.0.0.1:0', '--no-keepalive', '--json']);
    const port = (await listener.waitFor('listening')).port as number;
    const result = await runCli(['connect', `127.0.0.1:${port}`, '--no-keepalive', '--user-timeout', '5s', '--duration', '0.3', '--json']);
    expect(result.code).toBe(0);
    expect(result.events.find((e) => e.event === 'connected')).toMatchObject({
      asked: { enable: false, userTimeout: 5000 },
      keepalive: { enable: false, userTimeout: 5000 },
    });
    const text = await runCli(['connect', `127.0.0.1:${port}`, '--no-keepalive', '--user-timeout', '5s', '--duration', '0.3']);
    expect(text.stdout).toMatch(/^ {2}keepalive {5}off {9}off/m);
    expect(text.stdout).toMatch(/^ {2}user timeout {2}5 s {9}5 s/m);
    // A probe still needs keepalive.
    const probe = await runCli(['connect', `127.0.0.1:${port}`, '--no-keepalive', '--probe']);
    expect(probe.code).toBe(2);
  });
});

describe('piped text', () => {
  it('probe lines say which count is per cycle and which is since the start', async () => {
    const listener = startCli(['listen', '127.0.0.1:0', '--no-keepalive', '--json']);
    const port = (await listener.waitFor('listening')).port as number;
    const result = await runCli(['connect', `127.0.0.1:${port}`, '-d', '1', '-i', '1', '-c', '3', '--duration', '2.6']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/-> (TCP Keep-Alive|keepalive probe) .*unanswered in a row: 1\/3, probes sent so far: 1\b/);
    expect(result.stdout).toMatch(/probes sent so far: 2\b/);
    expect(result.stdout).not.toMatch(/probe \d+, unanswered/);
  });

  it.skipIf(!isRoot)('listen: the capture is for the server\'s port, not "this connection"', async () => {
    const result = await runCli(['listen', '127.0.0.1:0', '--no-keepalive', '--duration', '0.3']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/packets: captured on every interface \(AF_PACKET socket, BPF filter for port \d+: every connection to this server\)/);
    expect(result.stdout).not.toContain('for this connection');
  });

  // The reset arrives between two looks of the live view: TCP_INFO already
  // says CLOSE when the view looks, the RST is still in the capture. The RST
  // must come first, as it did on the wire.
  needs('packetCapture', 'root').it('a state change is printed after the RST that caused it', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const { capture } = tryCapture(flowFilter('127.0.0.1', 0, '127.0.0.1', port));
    const client = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const peer = await accepted;
    capture!.setFlow(flowFilter('127.0.0.1', client.localPort!, '127.0.0.1', port));
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const reporter = new Reporter(false, Date.now(), out as unknown as NodeJS.WriteStream);
    const monitor = new Monitor(reporter, capture);
    const watcher = new ConnectionWatcher(client, { id: 1, prefix: '', reporter, captured: true });
    monitor.add(watcher);
    client.on('error', () => undefined);
    try {
      monitor.tick();
      peer.resetAndDestroy();
      // Wait, without letting Node see the error, until the kernel has taken the RST.
      for (const deadline = Date.now() + 2000; getTcpInfo(client).state === 'ESTABLISHED' && Date.now() < deadline; );
      watcher.look(Date.now());
      await new Promise((resolve) => watcher.onEnd(resolve));
    } finally {
      monitor.stop();
      client.destroy();
      server.close();
    }
    const lines = text.split('\n').filter(Boolean);
    const rst = lines.findIndex((line) => line.includes('<- RST'));
    const state = lines.findIndex((line) => line.includes('state ESTABLISHED ->'));
    expect(rst, text).toBeGreaterThanOrEqual(0);
    expect(state, text).toBeGreaterThan(rst);
    const times = lines.map((line) => Number(/^ *(\d+\.\d+)s/.exec(line)![1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

needs('processSockets').describe('inspect', () => {
  it('prints the legend for * only when a value is starred', async () => {
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    // One listening socket, keepalive off: nothing equals a default, nothing starred.
    const holder = spawn(
      process.execPath,
      ['-e', "require('net').createServer().listen(0, '127.0.0.1', () => console.log('ready')); process.stdin.resume()"],
      { env, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      const result = await runCli(['inspect', String(holder.pid)]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/LISTEN/);
      expect(result.stdout).not.toContain('*');
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

needs('netns').describe('demo --loopback as root', () => {
  it('does not tell root to run it with sudo; it says what leaving out --loopback adds', async () => {
    const result = await runCli(['demo', '--loopback'], { timeoutMs: 20_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('sudo');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Without --loopback, the demo also runs two namespaced test hosts .*half-open\)\.$/);
  });
});
