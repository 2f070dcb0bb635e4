// The command as a user runs it, on loopback: help, defaults, bad input and
// its exit codes, connect/listen with live probes (captured as root,
// inferred without the right), probes on demand, Ctrl-C, and inspect.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AS_NOBODY,
  assertBuilt,
  CLI,
  isRoot,
  killAll,
  oneLineError,
  ROOT,
  runCli,
  startCli,
  unusedPort,
  type CliEvent,
  type CliProcess,
} from '../helpers/command';
import { needs } from '../helpers/platform';

beforeAll(assertBuilt);
afterEach(killAll);

const readSysctl = (name: string): number => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim());

/** `listen 127.0.0.1:0 --json ...`, and the port it got. */
async function startListener(args: readonly string[] = [], options = {}): Promise<{ listener: CliProcess; port: number }> {
  const listener = startCli(['listen', '127.0.0.1:0', '--json', ...args], options);
  const listening = await listener.waitFor('listening');
  return { listener, port: listening.port as number };
}

describe('help and defaults', () => {
  it('--help documents the commands and every exit code; no command is a usage error', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['defaults', 'connect', 'listen', 'inspect', 'demo']) expect(help.stdout).toContain(command);
    for (const code of ['0', '2', '3', '4', '5', '6', '7', '8', '9', '10', '130']) expect(help.stdout).toMatch(new RegExp(`^  ${code} `, 'm'));
    const connectHelp = await runCli(['connect', '--help']);
    expect(connectHelp.code).toBe(0);
    expect(connectHelp.stdout).toMatch(/-d, --idle T/);
    expect(connectHelp.stdout).toMatch(/-i, --interval T/);
    expect(connectHelp.stdout).toMatch(/-c, --count N/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
  });

  it('defaults prints the values in force, their source and the sysctl names', async () => {
    const text = await runCli(['defaults']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`idle      ${readSysctl('tcp_keepalive_time')} s`);
    for (const name of ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'sysctl -w']) {
      expect(text.stdout).toContain(name);
    }
    const json = await runCli(['defaults', '--json']);
    expect(json.code).toBe(0);
    expect(json.events).toHaveLength(1);
    expect(json.events[0]).toMatchObject({
      event: 'defaults',
      idleMs: readSysctl('tcp_keepalive_time') * 1000,
      intervalMs: readSysctl('tcp_keepalive_intvl') * 1000,
      count: readSysctl('tcp_keepalive_probes'),
      settings: { idle: 'net.ipv4.tcp_keepalive_time' },
    });
  });
});

describe('bad input: one line, a documented exit code, nothing left behind', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown flag', ['connect', '127.0.0.1:9', '--bogus'], /unknown option '--bogus' for 'connect'/],
    ['a bad duration', ['connect', '127.0.0.1:9', '-d', 'soon'], /invalid duration 'soon' for --idle/],
    ['a zero idle time', ['connect', '127.0.0.1:9', '--idle', '0'], /--idle 0 is out of range: this kernel accepts 1 s to 32767 s/],
    ['an idle time too long', ['connect', '127.0.0.1:9', '-d', '10h'], /--idle 10h is out of range/],
    ['a count of 0', ['connect', '127.0.0.1:9', '-c', '0'], /--count 0 is out of range: it must be from 1 to 127/],
    ['a count of 128', ['listen', '0', '--count', '128'], /--count 128 is out of range/],
    ['a count that is not a number', ['connect', '127.0.0.1:9', '-c', 'many'], /invalid value 'many' for --count/],
    ['a missing address', ['connect'], /connect needs HOST:PORT/],
    ['an address without a port', ['connect', '127.0.0.1'], /invalid address '127.0.0.1'/],
    ['a port out of range', ['connect', '127.0.0.1:65536'], /port 65536 .* out of range/],
    ['--no-keepalive with timers', ['connect', '127.0.0.1:9', '--no-keepalive', '-d', '5'], /--no-keepalive cannot be combined with --idle/],
    ['a PID that is not a number', ['inspect', 'self'], /invalid value 'self' for PID/],
  ];

  it.each(cases)('%s: exit code 2', async (_what, args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(oneLineError(result)).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('with --json the error is also a JSON event', async () => {
    const result = await runCli(['connect', '127.0.0.1:9', '-c', '0', '--json']);
    expect(result.code).toBe(2);
    expect(result.events).toEqual([expect.objectContaining({ event: 'error', code: 'USAGE', exitCode: 2 })]);
    oneLineError(result);
  });

  it('a refused port: exit code 4', async () => {
    const port = await unusedPort();
    const result = await runCli(['connect', `127.0.0.1:${port}`, '-d', '1']);
    expect(result.code).toBe(4);
    expect(oneLineError(result)).toBe(
      `tcp-keepalive: cannot connect to 127.0.0.1:${port}: connection refused: nothing is listening there (ECONNREFUSED)`,
    );
  });

  it('a port already in use: exit code 5', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const result = await runCli(['listen', `127.0.0.1:${port}`, '-d', '1']);
      expect(result.code).toBe(5);
      expect(oneLineError(result)).toBe(`tcp-keepalive: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`);
    } finally {
      holder.close();
    }
  });

  it('inspect of a process that does not exist: exit code 9', async () => {
    const result = await runCli(['inspect', '4194303']);
    expect(result.code).toBe(9);
    expect(oneLineError(result)).toBe('tcp-keepalive: no process with PID 4194303');
  });
});

/** Events of one kind, for connection `id`. */
const ofKind = (events: CliEvent[], kind: string): CliEvent[] => events.filter((e) => e.event === kind);

describe('connect and listen on loopback', () => {
  it('applies -d/-i/-c, reads back what the kernel holds, and shows each probe and its answer', async () => {
    const { listener, port } = await startListener(['--no-keepalive']);
    const result = await runCli(['connect', `127.0.0.1:${port}`, '-d', '1', '-i', '1', '-c', '3', '--duration', '3.6', '--json']);
    expect(result.code).toBe(0);
    const connected = result.events.find((e) => e.event === 'connected')!;
    expect(connected).toMatchObject({
      asked: { enable: true, idle: 1000, interval: 1000, count: 3 },
      keepalive: { enable: true, idle: 1000, interval: 1000, count: 3, userTimeout: 0 },
      detection: { ms: 4000 },
      defaults: { idle: readSysctl('tcp_keepalive_time') * 1000 },
    });
    const probes = ofKind(result.events, 'probe');
    const answers = ofKind(result.events, 'answer');
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers.every((a) => a.kind === 'ACK')).toBe(true);
    // Probes about one idle time, then one interval, apart (1 s each here).
    const gaps = probes.slice(1).map((p, i) => (p.elapsedMs as number) - (probes[i]!.elapsedMs as number));
    for (const gap of gaps) expect(gap).toBeGreaterThan(850);
    for (const gap of gaps) expect(gap).toBeLessThan(1400);
    // The status events count down to the next probe.
    const status = ofKind(result.events, 'status');
    expect(status.length).toBeGreaterThanOrEqual(2);
    for (const s of status) expect(s.nextProbeInMs as number).toBeLessThanOrEqual(1100);
    expect(result.events.at(-1)).toMatchObject({ event: 'end', reason: 'stopped' });

    if (isRoot) {
      // Captured: the packets themselves, labelled as Wireshark labels them.
      expect(connected.capture).toEqual({ mode: 'packets', reason: null });
      expect(probes.every((p) => p.source === 'capture')).toBe(true);
      const packets = ofKind(result.events, 'packet');
      expect(packets.filter((p) => p.label === 'TCP Keep-Alive' && p.direction === 'out').length).toBe(probes.length);
      expect(packets.filter((p) => p.label === 'TCP Keep-Alive ACK' && p.direction === 'in').length).toBe(answers.length);
      for (const answer of answers) expect(answer.rttMs as number).toBeLessThan(50);
    }

    // The listener saw the connection come, probed by its peer, and end.
    const connection = await listener.waitFor('connection');
    expect(connection.keepalive).toMatchObject({ enable: false });
    await listener.waitFor((e) => e.event === 'end' && e.reason === 'closed-by-peer');
    if (isRoot) expect(ofKind(listener.events, 'peer-probe').length).toBeGreaterThanOrEqual(3);
    listener.kill('SIGINT');
    const stopped = await listener.done;
    expect(stopped.code).toBe(130);
    expect(stopped.events.at(-1)).toMatchObject({ event: 'error', code: 'SIGINT', exitCode: 130 });
  });

  it('listen applies its options to the listening socket, and accepted connections inherit them', async () => {
    const { listener, port } = await startListener(['-d', '2', '-i', '1', '-c', '4', '--user-timeout', '5s']);
    const listening = listener.events.find((e) => e.event === 'listening')!;
    expect(listening.keepalive).toEqual({ enable: true, idle: 2000, interval: 1000, count: 4, userTimeout: 5000 });
    const client = net.connect(port, '127.0.0.1');
    try {
      const connection = await listener.waitFor('connection');
      expect(connection.keepalive).toEqual({ enable: true, idle: 2000, interval: 1000, count: 4, userTimeout: 5000 });
      // The listener's own keepalive probes the client.
      const probe = await listener.waitFor('probe', 5000);
      expect(probe).toMatchObject({ id: 1, probe: 1 });
      await listener.waitFor('answer', 5000);
    } finally {
      client.destroy();
    }
    await listener.waitFor((e) => e.event === 'end' && e.id === 1);
  });

  it('piped text: one line per event, probes labelled as Wireshark does', async () => {
    const { port } = await startListener(['--no-keepalive']);
    const result = await runCli(['connect', `127.0.0.1:${port}`, '-d', '1', '-i', '1', '-c', '3', '--duration', '2.5']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b/); // no terminal control sequences when piped
    expect(result.stdout).toMatch(/^connected 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^ {2}idle {10}1 s {9}1 s/m);
    expect(result.stdout).toContain('a silent peer is noticed within 4.0 s: idle 1 s + interval 1 s x count 3');
    const lines = result.stdout.split('\n').filter((line) => /^ +\d+\.\d{3}s {2}/.test(line));
    if (isRoot) {
      expect(result.stdout).toContain('packets: captured on every interface');
      expect(lines.filter((line) => line.includes('-> TCP Keep-Alive ')).length).toBeGreaterThanOrEqual(2);
      expect(lines.filter((line) => line.includes('<- TCP Keep-Alive ACK')).length).toBeGreaterThanOrEqual(2);
    } else {
      expect(lines.filter((line) => line.includes('-> keepalive probe')).length).toBeGreaterThanOrEqual(2);
    }
    expect(lines.at(-1)).toMatch(/connection ended: closed by this side after 2\.\d s; it was ESTABLISHED/);
  });

  it('without the right to capture, probes and answers are inferred from TCP_INFO and say so', async () => {
    const { port } = await startListener(['--no-keepalive']);
    const result = await runCli(['connect', `127.0.0.1:${port}`, '-d', '1', '-i', '1', '-c', '3', '--duration', '2.6', '--json'], AS_NOBODY);
    expect(result.code).toBe(0);
    const connected = result.events.find((e) => e.event === 'connected')!;
    expect(connected.capture).toEqual({ mode: 'inferred', reason: 'capturing needs root or CAP_NET_RAW' });
    const probes = ofKind(result.events, 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(2);
    expect(probes.every((p) => p.source === 'inferred')).toBe(true);
    expect(ofKind(result.events, 'answer').every((a) => a.source === 'inferred' && a.kind === 'ACK')).toBe(true);
    expect(ofKind(result.events, 'packet')).toEqual([]);

    const text = await runCli(['connect', `127.0.0.1:${port}`, '-d', '1', '--duration', '1.6'], AS_NOBODY);
    expect(text.stdout).toContain('packets: inferred from TCP_INFO, not captured (capturing needs root or CAP_NET_RAW)');
    expect(text.stdout).toMatch(/-> keepalive probe .*inferred from TCP_INFO/);
  });

  it('IPv6 loopback works too', async () => {
    const listener = startCli(['listen', '[::1]:0', '--json', '--no-keepalive']);
    const listening = await listener.waitFor('listening');
    expect(listening.address).toBe('::1');
    const result = await runCli(['connect', `[::1]:${listening.port as number}`, '-d', '1', '--duration', '1.5', '--json']);
    expect(result.code).toBe(0);
    expect(result.events.find((e) => e.event === 'connected')).toMatchObject({ remote: { address: '::1' } });
    expect(ofKind(result.events, 'probe').length).toBeGreaterThanOrEqual(1);
    if (isRoot) expect(ofKind(result.events, 'packet').some((p) => p.label === 'TCP Keep-Alive')).toBe(true);
  });
});

describe('how a connection ends, and the terminal view', () => {
  it('the peer closing the connection: "closed by peer", exit code 0', async () => {
    const { listener, port } = await startListener(['--no-keepalive']);
    const cli = startCli(['connect', `127.0.0.1:${port}`, '-d', '5', '--json']);
    await cli.waitFor('connected');
    await listener.waitFor('connection');
    listener.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.events.some((e) => e.event === 'fin')).toBe(true);
    expect(result.events.at(-1)).toMatchObject({ event: 'end', reason: 'closed-by-peer', message: expect.stringMatching(/^closed by peer after \d/) });
  });

  needs('script').it('on a terminal: a status line updated in place, p sends a probe, q quits with exit code 0', async () => {
    const { port } = await startListener(['--no-keepalive']);
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    // script(1) gives the command a terminal; what is typed goes through it.
    const child = spawn('script', ['-qfec', `${process.execPath} ${CLI} connect 127.0.0.1:${port} -d 30`, '/dev/null'], {
      env: { ...env, COLUMNS: '160' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1600));
    child.stdin.write('p');
    await new Promise((resolve) => setTimeout(resolve, 800));
    child.stdin.write('q');
    const code = await exited;
    // q is a chosen end, not an interruption: exit code 0.
    expect(code).toBe(0);
    expect(output).toContain('keys: p = send a probe now, q = quit');
    expect(output).toMatch(/\r\x1b\[2KESTABLISHED \| next probe in \d+\.\d s \| unanswered 0\/9 \| last ACK \d+ ms ago/);
    expect(output).toMatch(/-> TCP Keep-Alive .*sent on demand|-> keepalive probe .*sent on demand/);
    expect(output).toMatch(/connection ended: closed by this side after \d+\.\d s; it was ESTABLISHED/);
    expect(output).not.toContain('interrupted');
  });
});

describe('probes on demand', () => {
  it('--probe sends one probe as soon as the connection has been idle 1 s, then puts the idle time back', async () => {
    const { port } = await startListener(['--no-keepalive']);
    const cli = startCli(['connect', `127.0.0.1:${port}`, '-d', '600', '--probe', '--json']);
    const probe = await cli.waitFor('probe', 5000);
    expect(probe).toMatchObject({ probe: 1, onDemand: true });
    expect(probe.elapsedMs as number).toBeGreaterThan(900);
    expect(probe.elapsedMs as number).toBeLessThan(2500);
    await cli.waitFor('answer', 3000);
    await cli.waitFor((e) => e.event === 'probe-request' && e.result === 'sent');
    // Idle restored: the next probe is ~600 s away, not 1 s.
    const status = await cli.waitFor((e) => e.event === 'status' && (e.elapsedMs as number) > (probe.elapsedMs as number) + 200, 3000);
    expect(status.nextProbeInMs as number).toBeGreaterThan(590_000);
    cli.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(result.stderr.trim()).toBe('tcp-keepalive: interrupted (SIGINT); the connection was closed');
    expect(result.events.find((e) => e.event === 'end')).toMatchObject({ reason: 'interrupted' });
  });

  it('SIGUSR2 asks for a probe too (the live view uses the p key)', async () => {
    const { port } = await startListener(['--no-keepalive']);
    const cli = startCli(['connect', `127.0.0.1:${port}`, '-d', '600', '--json']);
    await cli.waitFor('connected');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    cli.child.kill('SIGUSR2');
    const probe = await cli.waitFor('probe', 3000);
    expect(probe).toMatchObject({ onDemand: true });
    await cli.waitFor('answer', 3000);
    cli.kill('SIGTERM');
    expect((await cli.done).code).toBe(143);
  });

  it('a probe on demand is refused, with the reason, when keepalive is off', async () => {
    const { port } = await startListener(['--no-keepalive']);
    const cli = startCli(['connect', `127.0.0.1:${port}`, '--no-keepalive', '--json']);
    await cli.waitFor('connected');
    cli.child.kill('SIGUSR2');
    const refused = await cli.waitFor('probe-request');
    expect(refused).toMatchObject({ result: 'refused', reason: 'keepalive is off on this connection' });
    cli.kill('SIGINT');
    await cli.done;
  });
});

describe('inspect', () => {
  /** The holder fixture: a Node process with one connection with keepalive (5 s) and one without. */
  async function startHolder(): Promise<{ send: (cmd: object) => void; next: (type: string) => Promise<Record<string, unknown>>; pid: number; ready: Record<string, unknown>; stop: () => void }> {
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    const child = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', 'cli-holder.mjs')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const queue: Record<string, unknown>[] = [];
    const waiting: ((m: Record<string, unknown>) => void)[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    });
    const next = (type: string): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`holder: no ${type}`)), 5000);
        const take = (m: Record<string, unknown>): void => {
          clearTimeout(timer);
          if (m.type === type) resolve(m);
          else reject(new Error(`holder: expected ${type}, got ${JSON.stringify(m)}`));
        };
        const queued = queue.shift();
        if (queued) take(queued);
        else waiting.push(take);
      });
    const ready = await next('ready');
    return { send: (cmd) => child.stdin!.write(`${JSON.stringify(cmd)}\n`), next, pid: child.pid!, ready, stop: () => child.kill('SIGKILL') };
  }

  needs('pidfd', 'procNet').it('shows every TCP socket of a process with the settings in force, and changes nothing', async () => {
    const holder = await startHolder();
    try {
      holder.send({ cmd: 'report' });
      const before = await holder.next('report');

      const result = await runCli(['inspect', String(holder.pid), '--json']);
      expect(result.code).toBe(0);
      const processEvent = result.events.find((e) => e.event === 'process')!;
      expect(processEvent).toMatchObject({ pid: holder.pid, sameNetns: true, sockets: 5 });
      expect(String(processEvent.command)).toContain('cli-holder.mjs');
      expect(processEvent).not.toHaveProperty('configured'); // no TCP_KEEPALIVE there: today's output
      const sockets = result.events.filter((e) => e.event === 'socket');
      expect(sockets.map((s) => s.state).sort()).toEqual(['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'LISTEN']);
      const aPort = (holder.ready.a as { localPort: number }).localPort;
      const bPort = (holder.ready.b as { localPort: number }).localPort;
      const a = sockets.find((s) => (s.local as { port: number } | null)?.port === aPort)!;
      const b = sockets.find((s) => (s.local as { port: number } | null)?.port === bPort)!;
      // Node's setKeepAlive(true, 5000) on Linux: idle 5 s, interval 1 s, count 10.
      expect(a).toMatchObject({
        state: 'ESTABLISHED',
        remote: { address: '127.0.0.1', port: holder.ready.serverPort },
        keepalive: { enable: true, idle: 5000, interval: 1000, count: 10, userTimeout: 0 },
        fromSystem: { idle: false, interval: false, count: false },
        unanswered: 0,
      });
      expect(a.nextProbeInMs as number).toBeGreaterThan(0);
      expect(a.nextProbeInMs as number).toBeLessThanOrEqual(5000);
      expect(b).toMatchObject({ keepalive: { enable: false }, nextProbeInMs: null, noProbeBecause: 'keepalive off' });
      expect(b.fromSystem).toEqual({ idle: true, interval: true, count: true });

      // Nothing changed in the process: same settings read from inside, the connection works.
      holder.send({ cmd: 'report' });
      expect(await holder.next('report')).toEqual(before);
      holder.send({ cmd: 'ping' });
      await holder.next('pong');

      const text = await runCli(['inspect', String(holder.pid)]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^FD +STATE +LOCAL +PEER +KEEPALIVE +IDLE +INTERVAL +COUNT +USER TIMEOUT +NEXT PROBE +UNANSWERED$/m);
      expect(text.stdout).toMatch(new RegExp(`ESTABLISHED +127\\.0\\.0\\.1:${aPort} +127\\.0\\.0\\.1:\\d+ +on +5 s +1 s +10 +off +\\d+\\.\\d s +0`));
      expect(text.stdout).toContain('* = the system default');
    } finally {
      holder.stop();
    }
  });

  needs('root', 'pidfd').it('without ptrace rights: a clear message and exit code 8', async () => {
    const holder = await startHolder();
    try {
      const result = await runCli(['inspect', String(holder.pid)], AS_NOBODY);
      expect(result.code).toBe(8);
      expect(oneLineError(result)).toMatch(
        // The process's command line is shown, shortened when long.
        new RegExp(`^tcp-keepalive: cannot read the sockets of PID ${holder.pid} \\(\\S*node [^)]*\\): EACCES; .*needs root or CAP_SYS_PTRACE`),
      );
    } finally {
      holder.stop();
    }
  });
});

afterAll(killAll);
