// The 'tcp-keepalive:dead-peer' channel: a connection under the default that
// the kernel drops is reported with its error and the last TCP_INFO, between
// two network namespaces with the peer silenced for real.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { capabilities } from '../../lib/index';
import { canUseNetns, createTestHosts, type Message, type NodeChild, type TestHosts } from '../helpers/netns';

const FIXTURE = path.join(__dirname, '../fixtures/dead-peer.mjs');
const ECHO = path.join(__dirname, '../fixtures/echo-server.mjs');
const REGISTER = { NODE_OPTIONS: `--require ${path.join(__dirname, '../../dist/register.js')}` };
let hosts: TestHosts | undefined;

afterEach(async () => {
  await hosts?.destroy();
  hosts = undefined;
});

if (!canUseNetns.ok) console.warn(`skipping dead-peer channel tests: ${canUseNetns.reason}`);

/** A client in a under TCP_KEEPALIVE=`spec`, connected to an echo server in b, one exchange done. */
async function clientUnder(spec: string): Promise<{ client: NodeChild; echo: NodeChild }> {
  hosts = await createTestHosts({ ipv6: false });
  const echo = hosts.spawnNode('b', ECHO, [hosts.b.addr]);
  const { port } = await echo.nextMessage('listening', 10_000);
  const client = hosts.spawnNode('a', FIXTURE, ['connect', hosts.b.addr, String(port)], { ...REGISTER, TCP_KEEPALIVE: spec });
  await client.nextMessage('connected', 10_000);
  client.send({ cmd: 'write', data: 'hello' });
  await client.nextMessage('data', 10_000);
  return { client, echo };
}

/** The dead-peer message, which comes before the application's 'error'. */
async function deadPeer(child: NodeChild, withinMs: number): Promise<{ report: Message; error: Message }> {
  const report = await child.nextMessage('dead-peer', withinMs);
  const error = await child.nextMessage('error', 5_000);
  expect(child.messages.indexOf(report)).toBeLessThan(child.messages.indexOf(error));
  return { report, error };
}

describe.skipIf(!canUseNetns.ok || !capabilities().tcpInfo)("the 'tcp-keepalive:dead-peer' channel", () => {
  it('a silent peer found by keepalive: ETIMEDOUT, cause keepalive, probes unanswered', async () => {
    const { client } = await clientUnder('idle=1s,interval=1s,count=2');
    await hosts!.silence('b');
    const silencedAt = Date.now();
    const { report, error } = await deadPeer(client, 20_000);
    expect(error.code).toBe('ETIMEDOUT');
    expect(report).toMatchObject({
      code: 'ETIMEDOUT',
      side: 'client',
      cause: 'keepalive',
      keepalive: { idle: 1000, interval: 1000, count: 2 },
      // As the socket is destroyed the kernel has closed it, with its counters kept.
      tcpInfo: { state: 'CLOSE', probes: 2, retransmits: 0 },
    });
    const info = report.tcpInfo as Record<string, number>;
    // The peer last acknowledged something before the silence: at least idle + interval ago.
    expect(info.lastAckRecv).toBeGreaterThanOrEqual(2_000);
    expect(info.lastAckRecv).toBeGreaterThanOrEqual((report.at as number) - silencedAt - 1_000);
  });

  it('unacknowledged data bounded by userTimeout: cause retransmission', async () => {
    const { client } = await clientUnder('idle=60s,interval=5s,count=4,userTimeout=2s');
    await hosts!.silence('b');
    client.send({ cmd: 'write', data: 'into the void' });
    const { report, error } = await deadPeer(client, 20_000);
    expect(error.code).toBe('ETIMEDOUT');
    expect(report).toMatchObject({ code: 'ETIMEDOUT', cause: 'retransmission', keepalive: { userTimeout: 2000 } });
    // The kernel has purged the unacknowledged data by then (unacked 0); the retransmissions stay counted.
    expect(report.tcpInfo).toMatchObject({ state: 'CLOSE', probes: 0 });
    expect((report.tcpInfo as Record<string, number>).retransmits).toBeGreaterThan(0);
  });

  it('a peer that lost its socket answers the probe with RST: ECONNRESET, cause probe-reset', async () => {
    const { client } = await clientUnder('idle=2s,interval=1s,count=5');
    await hosts!.silence('b');
    await hosts!.killSockets('b');
    await hosts!.unsilence('b');
    const { report, error } = await deadPeer(client, 20_000);
    expect(error.code).toBe('ECONNRESET');
    expect(report).toMatchObject({ code: 'ECONNRESET', cause: 'probe-reset', side: 'client' });
    expect((report.tcpInfo as Record<string, number>).probes).toBeGreaterThanOrEqual(1);
  });

  it('accepted connections too: side server', async () => {
    hosts = await createTestHosts({ ipv6: false });
    const server = hosts.spawnNode('a', FIXTURE, ['listen', hosts.a.addr], { ...REGISTER, TCP_KEEPALIVE: 'idle=1s,interval=1s,count=2' });
    const { port } = await server.nextMessage('listening', 10_000);
    const peer = hosts.spawnNode('b', path.join(__dirname, '../fixtures/tcp-client.mjs'), [hosts.a.addr, String(port)]);
    await peer.nextMessage('connected', 10_000);
    await server.nextMessage('accepted', 10_000);
    await hosts.silence('b');
    const { report } = await deadPeer(server, 20_000);
    expect(report).toMatchObject({ code: 'ETIMEDOUT', side: 'server', cause: 'keepalive' });
  });
});
