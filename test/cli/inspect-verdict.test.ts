// The verdict that ends `tcp-keepalive inspect PID`: a process made to show each case, in a
// pair of test hosts (host a holds the sockets under inspection, host b is the peer), then the
// command run on it as a user would. Plus the pure function on records, for its edges.
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketRecord, verdict, type Finding, type VerdictSocket } from '../../lib/cli/commands/verdict';
import { canUseNetns, createTestHosts, leftoverNamespaces, type Message, type NodeChild, type TestHosts } from '../helpers/netns';
import { assertBuilt, killAll, ROOT, runCli, startCli, type CliEvent } from '../helpers/command';
import { setTimeout as sleep } from 'node:timers/promises';

const HOLDER = `${ROOT}/test/fixtures/verdict-holder.mjs`;

interface VerdictEvent extends CliEvent {
  states: Record<string, number>;
  findings: Finding[];
}

async function inspectVerdict(pid: number, ...options: string[]): Promise<VerdictEvent> {
  const result = await runCli(['inspect', String(pid), '--json', ...options]);
  expect(result.code, result.stderr).toBe(0);
  const event = result.events.find((e) => e.event === 'verdict');
  if (event === undefined) throw new Error(`no verdict event in: ${result.stdout}`);
  return event as VerdictEvent;
}

type Holder = NodeChild & { pid: number };
interface Accepted extends Message {
  fd: number;
  remotePort: number;
}
interface Connected extends Message {
  fd: number;
  localPort: number;
}

async function listenIn(holder: NodeChild, host: string): Promise<number> {
  holder.send({ cmd: 'listen', host });
  return (await holder.nextMessage<Message & { port: number }>('listening', 20_000)).port;
}

async function connectFrom(holder: NodeChild, host: string, port: number, keepalive?: object): Promise<Connected> {
  holder.send({ cmd: 'connect', host, port, keepalive });
  return holder.nextMessage<Connected>('connected', 20_000);
}

if (!canUseNetns.ok) console.warn(`[verdict] skipping the process cases: ${canUseNetns.reason}`);

describe.skipIf(!canUseNetns.ok).concurrent('inspect ends with a verdict', () => {
  const all: TestHosts[] = [];
  beforeAll(() => assertBuilt());
  // Not afterEach: the tests run side by side, and killAll() ends every command running.
  afterAll(async () => {
    await killAll();
    await Promise.all(all.map((hosts) => hosts.destroy()));
    expect(leftoverNamespaces()).toEqual([]);
  });

  async function hostsWithHolders(): Promise<{ hosts: TestHosts; a: Holder; b: Holder }> {
    const hosts = await createTestHosts({ ipv6: false });
    all.push(hosts);
    return { hosts, a: hosts.spawnNode('a', HOLDER) as Holder, b: hosts.spawnNode('b', HOLDER) as Holder };
  }

  it('keepalive off and silent past --silent-after: a half-open candidate, with the TCP_KEEPALIVE line', async ({ expect }) => {
    const { hosts, a, b } = await hostsWithHolders();
    const port = await listenIn(b, hosts.b.addr);
    const connection = await connectFrom(a, hosts.b.addr, port);
    await hosts.silence('b');
    await sleep(1500);

    // The default threshold is an hour: not yet a candidate.
    expect((await inspectVerdict(a.pid)).findings).toEqual([]);
    const v = await inspectVerdict(a.pid, '--silent-after', '1s');
    expect(v.states).toEqual({ ESTABLISHED: 1 });
    expect(v.findings).toEqual([
      expect.objectContaining({ kind: 'silent-without-keepalive', sockets: [`fd ${connection.fd}`] }),
    ]);
    expect(v.findings[0]!.todo).toContain('TCP_KEEPALIVE="idle=30s,interval=5s,count=4"');
  });

  it('keepalive on but data unacknowledged: silent longer than keepalive allows, userTimeout advised', async ({ expect }) => {
    const { hosts, a, b } = await hostsWithHolders();
    const port = await listenIn(b, hosts.b.addr);
    // Bound 1 s + 1 x 1 s: silent beyond (2 s x 1.15 + 1 s) is flagged.
    const connection = await connectFrom(a, hosts.b.addr, port, { idle: 1000, interval: 1000, count: 1 });
    // Healthy: probes answered, nothing stands out.
    await sleep(1200);
    expect((await inspectVerdict(a.pid)).findings).toEqual([]);
    await hosts.silence('b');
    a.send({ cmd: 'write', localPort: connection.localPort, data: 'never acknowledged' });
    await sleep(4000);

    const v = await inspectVerdict(a.pid);
    expect(v.findings).toEqual([
      expect.objectContaining({ kind: 'silent-beyond-keepalive', sockets: [`fd ${connection.fd}`] }),
    ]);
    expect(v.findings[0]!.seen).toContain('unacknowledged');
    expect(v.findings[0]!.todo).toContain('userTimeout=60s');
    expect(a.messages.filter((m) => m.type === 'error')).toEqual([]); // still open: not yet ended
  });

  it('CLOSE_WAIT past --close-wait-after: a leak in the application, close on end', async ({ expect }) => {
    const { hosts, a, b } = await hostsWithHolders();
    const port = await listenIn(a, hosts.a.addr);
    const client = await connectFrom(b, hosts.a.addr, port);
    const accepted = await a.nextMessage<Accepted>('accepted', 20_000);
    b.send({ cmd: 'end', localPort: client.localPort });
    await sleep(1500);

    expect((await inspectVerdict(a.pid)).findings).toEqual([]);
    const v = await inspectVerdict(a.pid, '--close-wait-after', '1s');
    expect(v.states).toEqual({ LISTEN: 1, CLOSE_WAIT: 1 });
    expect(v.findings).toEqual([expect.objectContaining({ kind: 'close-wait', sockets: [`fd ${accepted.fd}`] })]);
    expect(v.findings[0]!.todo).toContain("on 'end'");
  });

  it('a client that reconnected while its old connection lingers: one finding, only the newest live', async ({ expect }) => {
    const { hosts, a, b } = await hostsWithHolders();
    const port = await listenIn(a, hosts.a.addr);
    const old = await connectFrom(b, hosts.a.addr, port);
    const oldAccepted = await a.nextMessage<Accepted>('accepted', 20_000);
    // The client's host loses the connection without a word reaching the server (its reset
    // is dropped), then connects again and keeps talking.
    await hosts.silence('b');
    await hosts.killSockets('b', ['sport', '=', `:${old.localPort}`]);
    await hosts.unsilence('b');
    const fresh = await connectFrom(b, hosts.a.addr, port);
    const freshAccepted = await a.nextMessage<Accepted>('accepted', 20_000);
    b.send({ cmd: 'chatter', localPort: fresh.localPort, everyMs: 200 });
    await sleep(1500);

    const v = await inspectVerdict(a.pid, '--silent-after', '1s');
    expect(v.states).toEqual({ LISTEN: 1, ESTABLISHED: 2 });
    expect(v.findings).toEqual([expect.objectContaining({ kind: 'reconnected-peer', sockets: [`fd ${oldAccepted.fd}`] })]);
    expect(v.findings[0]!.seen).toContain(`2 connections from ${hosts.b.addr}: only fd ${freshAccepted.fd} is live`);
  });
});

describe('listen ends with the verdict', () => {
  beforeAll(() => assertBuilt());
  afterAll(() => killAll());

  it('on the connections still open when it stops', async () => {
    const listener = startCli(['listen', '127.0.0.1:0', '--json', '--no-keepalive', '--duration', '2', '--silent-after', '0.5s']);
    const { port } = (await listener.waitFor('listening')) as CliEvent & { port: number };
    const client = net.connect(port, '127.0.0.1');
    try {
      await once(client, 'connect');
      const v = (await listener.waitFor('verdict', 20_000)) as VerdictEvent;
      expect(v.states).toEqual({ ESTABLISHED: 1 });
      expect(v.findings).toEqual([expect.objectContaining({ kind: 'silent-without-keepalive', sockets: ['#1'] })]);
    } finally {
      client.destroy();
    }
  });
});

describe('verdict() on records', () => {
  const record = (id: string, over: Partial<VerdictSocket> = {}): VerdictSocket => ({
    id,
    state: 'ESTABLISHED',
    peer: { address: '192.0.2.7', port: 5432 },
    keepalive: { enable: true, idle: 30_000, interval: 5_000, count: 4, userTimeout: 0 },
    silentMs: 1_000,
    unacked: 0,
    ...over,
  });

  it('counts states in order of appearance, and finds nothing in healthy sockets', () => {
    const v = verdict([record('fd 3', { state: 'LISTEN', peer: null }), record('fd 4'), record('fd 5')]);
    expect(v).toEqual({ states: { LISTEN: 1, ESTABLISHED: 2 }, findings: [] });
  });

  it('a user timeout replaces count in the bound keepalive allows', () => {
    const keepalive = { enable: true, idle: 1_000, interval: 1_000, count: 1, userTimeout: 10_000 };
    // 1 s + 10 s, x 1.15 + 1 s = 13.65 s
    expect(verdict([record('fd 4', { keepalive, silentMs: 13_000 })]).findings).toEqual([]);
    expect(verdict([record('fd 4', { keepalive, silentMs: 14_000 })]).findings[0]).toMatchObject({ kind: 'silent-beyond-keepalive' });
  });

  it('socketRecord: silence is the later of the last data and the last ACK; a listener has no peer', () => {
    const keepalive = { enable: false, idle: 7_200_000, interval: 75_000, count: null, userTimeout: null };
    const info = { state: 'ESTABLISHED' as const, lastAckRecv: 700, lastDataRecv: 9_000, unacked: 2 };
    expect(socketRecord('fd 9', info, keepalive, { address: '::1', port: 1 })).toMatchObject({ silentMs: 700, unacked: 2 });
    expect(socketRecord('fd 8', { ...info, state: 'LISTEN' }, keepalive, { address: '::', port: 0 }).peer).toBeNull();
  });
});
