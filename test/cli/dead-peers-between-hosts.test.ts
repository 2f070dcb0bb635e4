// Dead peers, for real: the command runs inside test hosts (network
// namespaces joined by a veth pair, test/helpers/netns.ts) and the peer is
// silenced, reset or never answers. Short timers (1 s / 1 s / 3) with the
// bound (idle + interval x count) x 1.13 + 0.3 s measured on these hosts.
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createTestHosts, leftoverNamespaces, type Message, type TestHosts } from '../helpers/netns.js';
import { needs } from '../helpers/platform';
import { assertBuilt, CLI, CliProcess, killAll, oneLineError, pidAlive, ROOT, runCli, runnableByNobody, type CliEvent } from '../helpers/command';

const PEER_FIXTURE = `${ROOT}/test/fixtures/cli-peer.mjs`;
const IDLE_S = 1;
const INTERVAL_S = 1;
const COUNT = 3;
const DETECTION_BOUND_MS = (IDLE_S + INTERVAL_S * COUNT) * 1000 * 1.13 + 300;


const running = new Set<CliProcess>();

/** `tcp-keepalive ...args` inside a test host's namespace (optionally as nobody, without capture rights). */
function cliIn(ns: string, args: readonly string[], asNobody = false): CliProcess {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const drop = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const command = asNobody ? runnableByNobody() : { node: process.execPath, cli: CLI };
  const child = spawn('ip', ['netns', 'exec', ns, ...drop, command.node, command.cli, ...args], {
    cwd: ROOT,
    env: { ...env, TCP_KEEPALIVE_LIFELINE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const cli = new CliProcess(child);
  running.add(cli);
  void cli.done.then(() => running.delete(cli));
  return cli;
}

/** Resolves once the command's text output has a line matching `pattern`. */
async function lineIn(cli: CliProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(cli.stdout)) {
    if (cli.hasExited || Date.now() > until) {
      throw new Error(`no line matching ${pattern} (${cli.hasExited ? 'exited' : `${timeoutMs} ms`})\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const time = (event: CliEvent): number => Date.parse(event.time!);
const ofKind = (events: CliEvent[], kind: string): CliEvent[] => events.filter((e) => e.event === kind);

needs('netns').describe('a dead peer, in network namespaces', () => {
  const made: TestHosts[] = [];
  const hostsForTest = async (): Promise<TestHosts> => {
    const hosts = await createTestHosts();
    made.push(hosts);
    return hosts;
  };

  beforeAll(assertBuilt);
  afterEach(async () => {
    for (const cli of [...running]) cli.kill('SIGKILL');
    await Promise.all([...running].map((cli) => cli.done));
    await Promise.all(made.splice(0).map((hosts) => hosts.destroy()));
    await killAll();
  });
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  /** Our own `listen --no-keepalive` as the peer, in b. */
  async function peerIn(hosts: TestHosts): Promise<number> {
    const peer = cliIn(hosts.b.name, ['listen', `${hosts.b.addr}:0`, '--no-keepalive', '--json']);
    return (await peer.waitFor('listening')).port as number;
  }

  it('silent peer: probes go unanswered and the connection fails with ETIMEDOUT; without keepalive it stays ESTABLISHED', async () => {
    const hosts = await hostsForTest();
    const port = await peerIn(hosts);
    const target = `${hosts.b.addr}:${port}`;
    const withKeepalive = cliIn(hosts.a.name, ['connect', target, '-d', String(IDLE_S), '-i', String(INTERVAL_S), '-c', String(COUNT), '--json']);
    const without = cliIn(hosts.a.name, ['connect', target, '--no-keepalive', '--json']);
    const connected = await withKeepalive.waitFor('connected');
    expect(connected.capture).toEqual({ mode: 'packets', reason: null });
    const connectedWithout = await without.waitFor('connected');
    expect(connectedWithout.keepalive).toMatchObject({ enable: false });

    const firstAnswer = await withKeepalive.waitFor((e) => e.event === 'answer' && e.kind === 'ACK', 5000);
    await hosts.silence('b');
    const silencedAt = Date.now();

    const end = await withKeepalive.waitFor('end', DETECTION_BOUND_MS + 2000);
    const result = await withKeepalive.done;
    expect(result.code).toBe(6);
    expect(end).toMatchObject({ reason: 'ETIMEDOUT', code: 'ETIMEDOUT', unanswered: COUNT });
    expect(end.message).toMatch(/^ETIMEDOUT after 3 unanswered probes, \d+\.\d s after the last ACK$/);

    // Each unanswered probe was seen leaving, labelled as Wireshark does.
    const lastAnswer = ofKind(result.events, 'answer').at(-1)!;
    expect(time(lastAnswer)).toBeGreaterThanOrEqual(time(firstAnswer));
    const unanswered = ofKind(result.events, 'probe').filter((p) => time(p) > time(lastAnswer));
    expect(unanswered.map((p) => p.unanswered)).toEqual([1, 2, 3]);
    expect(unanswered.every((p) => p.source === 'capture')).toBe(true);
    const outgoing = ofKind(result.events, 'packet').filter((p) => p.direction === 'out' && time(p) > time(lastAnswer));
    expect(outgoing.filter((p) => p.label === 'TCP Keep-Alive')).toHaveLength(3);
    // ...and the kernel gave up idle + interval x count after the last ACK.
    const detectedMs = time(end) - time(lastAnswer);
    expect(detectedMs).toBeGreaterThan((IDLE_S + INTERVAL_S * COUNT) * 1000 * 0.85);
    expect(detectedMs).toBeLessThan(DETECTION_BOUND_MS);
    expect(Math.abs((end.sinceLastAckMs as number) - detectedMs)).toBeLessThan(250);
    expect(time(end) - silencedAt).toBeLessThan(DETECTION_BOUND_MS);

    // The connection without keepalive notices nothing: half-open.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const status = without.events.filter((e) => e.event === 'status').at(-1)!;
    expect(time(status)).toBeGreaterThan(time(end));
    expect(status).toMatchObject({ state: 'ESTABLISHED', keepalive: false, nextProbeInMs: null });
    // inspect, from the root namespace, agrees.
    const inspected = await runCli(['inspect', String(connectedWithout.pid), '--json']);
    expect(inspected.code).toBe(0);
    expect(inspected.events.find((e) => e.event === 'process')).toMatchObject({ sameNetns: false, defaults: { idle: 7_200_000 } });
    expect(inspected.events.find((e) => e.event === 'socket')).toMatchObject({ state: 'ESTABLISHED', keepalive: { enable: false } });
    without.kill('SIGINT');
    const stopped = await without.done;
    expect(stopped.code).toBe(130);
    expect(oneLineError(stopped)).toBe('tcp-keepalive: interrupted (SIGINT); the connection was closed');
  });

  it('piped text: the unanswered probes and the end in one line each', async () => {
    const hosts = await hostsForTest();
    const port = await peerIn(hosts);
    const cli = cliIn(hosts.a.name, ['connect', `${hosts.b.addr}:${port}`, '-d', '1', '-i', '1', '-c', '3']);
    // Silenced only once a probe has been answered: a fixed pause from the spawn could end
    // before a slow start-up has even connected (then exit code 4, not 6).
    await lineIn(cli, /^ +\d+\.\d{3}s {2}<- TCP Keep-Alive ACK /m, 10_000);
    await hosts.silence('b');
    const result = await cli.done;
    expect(result.code).toBe(6);
    const lines = result.stdout.split('\n');
    expect(lines.filter((line) => /-> TCP Keep-Alive {6}seq=\d+ ack=\d+ {2}unanswered in a row: [123]\/3, probes sent so far: \d+$/.test(line)).length).toBeGreaterThanOrEqual(3);
    expect(lines).toContainEqual(expect.stringMatching(/^ +\d+\.\d{3}s {2}connection ended: ETIMEDOUT after 3 unanswered probes, [34]\.\d s after the last ACK$/));
  });

  it('a rebooted peer answers a probe with RST: ECONNRESET (IPv6)', async () => {
    const hosts = await hostsForTest();
    const peer = hosts.spawnNode('b', PEER_FIXTURE, [hosts.b.addr6!]);
    const { port } = await peer.nextMessage<Message & { port: number }>('listening');
    const cli = cliIn(hosts.a.name, ['connect', `[${hosts.b.addr6}]:${port}`, '-d', '1', '-i', '1', '-c', '3', '--json']);
    await peer.nextMessage('connection');
    await cli.waitFor((e) => e.event === 'answer' && e.kind === 'ACK', 5000);
    // The peer "reboots": its socket is gone and the RST it sends is lost,
    // so the client learns of it only from its next probe.
    await hosts.silence('b');
    peer.send({ cmd: 'reset' });
    await peer.nextMessage('reset');
    await hosts.unsilence('b');

    const result = await cli.done;
    expect(result.code).toBe(7);
    const end = result.events.find((e) => e.event === 'end')!;
    expect(end).toMatchObject({ reason: 'ECONNRESET', message: 'ECONNRESET: peer answered a probe with RST' });
    const answer = ofKind(result.events, 'answer').at(-1)!;
    expect(answer).toMatchObject({ kind: 'RST', source: 'capture' });
    expect(ofKind(result.events, 'packet').some((p) => p.direction === 'in' && p.label === 'RST')).toBe(true);
  });

  it('with TCP_USER_TIMEOUT the connection ends at the first probe time past it, whatever the count', async () => {
    const hosts = await hostsForTest();
    const port = await peerIn(hosts);
    const cli = cliIn(hosts.a.name, ['connect', `${hosts.b.addr}:${port}`, '-d', '1', '-i', '1', '-c', '9', '--user-timeout', '2.5s', '--json']);
    const connected = await cli.waitFor('connected');
    expect(connected.detection).toMatchObject({ ms: 3000 });
    await cli.waitFor((e) => e.event === 'answer', 5000);
    await hosts.silence('b');
    const result = await cli.done;
    expect(result.code).toBe(6);
    const end = result.events.find((e) => e.event === 'end')!;
    expect(end.message).toMatch(/^ETIMEDOUT: user timeout 2\.5 s reached with 2 unanswered probes, [23]\.\d s after the last ACK$/);
    expect(end.sinceLastAckMs as number).toBeLessThan(3000 * 1.13 + 300);
  });

  it('without the right to capture, the unanswered probes are inferred from TCP_INFO', async () => {
    const hosts = await hostsForTest();
    const port = await peerIn(hosts);
    const cli = cliIn(hosts.a.name, ['connect', `${hosts.b.addr}:${port}`, '-d', '1', '-i', '1', '-c', '3', '--json'], true);
    const connected = await cli.waitFor('connected');
    expect(connected.capture).toEqual({ mode: 'inferred', reason: 'capturing needs root or CAP_NET_RAW' });
    await cli.waitFor((e) => e.event === 'answer', 5000);
    await hosts.silence('b');
    const result = await cli.done;
    expect(result.code).toBe(6);
    const lastAnswer = ofKind(result.events, 'answer').at(-1)!;
    const unanswered = ofKind(result.events, 'probe').filter((p) => time(p) > time(lastAnswer));
    expect(unanswered.map((p) => p.unanswered)).toEqual([1, 2, 3]);
    expect(unanswered.every((p) => p.source === 'inferred')).toBe(true);
    // Probe times come from the keepalive timer in /proc/net/tcp: about 1 s apart.
    for (let i = 1; i < unanswered.length; i++) {
      expect(Math.abs(time(unanswered[i]!) - time(unanswered[i - 1]!) - 1000)).toBeLessThan(250);
    }
    expect(result.events.find((e) => e.event === 'end')!.message).toMatch(/^ETIMEDOUT after 3 unanswered probes/);
  });

  it('a peer that never answers the handshake: exit code 4 after --connect-timeout', async () => {
    const hosts = await hostsForTest();
    await hosts.silence('b');
    const started = Date.now();
    const result = await cliIn(hosts.a.name, ['connect', `${hosts.b.addr}:9`, '--connect-timeout', '1']).done;
    expect(result.code).toBe(4);
    expect(oneLineError(result)).toBe(`tcp-keepalive: cannot connect to ${hosts.b.addr}:9: no answer within 1.0 s (ETIMEDOUT)`);
    // Below the default 10 s connect timeout, so --connect-timeout took hold; the rest is room for
    // Node's start on a loaded machine (seen at 4.8 s with two cores busy), not the timeout's.
    expect(Date.now() - started).toBeLessThan(9000);
  });

  it('an unresolvable host: exit code 3 (resolved inside a namespace, so no query leaves the machine)', async () => {
    const hosts = await hostsForTest();
    const result = await cliIn(hosts.a.name, ['connect', 'no-such-host.invalid:80']).done;
    expect(result.code).toBe(3);
    expect(oneLineError(result)).toMatch(/^tcp-keepalive: cannot resolve host 'no-such-host\.invalid' \((ENOTFOUND|EAI_AGAIN)\)$/);
  });

  it('processes started in a namespace end when killed, leaving no process behind', async () => {
    const hosts = await hostsForTest();
    const port = await peerIn(hosts);
    const cli = cliIn(hosts.a.name, ['connect', `${hosts.b.addr}:${port}`, '--json']);
    const connected = await cli.waitFor('connected');
    cli.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(143);
    expect(pidAlive(connected.pid as number)).toBe(false);
  });
});
