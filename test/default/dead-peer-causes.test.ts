// Only deaths the kernel reported reach the 'tcp-keepalive:dead-peer'
// channel, each once, with a cause that tells a live peer's reset from a
// dead peer's: on loopback, in this process, read against the kernel's
// TCP_INFO. (Keepalive and retransmission deaths, and a reset in answer to a
// probe, need a silent peer: test/dead-peer.test.ts.)
import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, DEAD_PEER_CHANNEL, setDefaultKeepalive, type DeadPeerMessage } from '../../lib/index';
import { closeAll, listen, portOf, track } from '../helpers/loopback';

const reports: DeadPeerMessage[] = [];
const record = (message: unknown) => reports.push(message as DeadPeerMessage);

afterEach(async () => {
  diagnosticsChannel.unsubscribe(DEAD_PEER_CHANNEL, record);
  reports.length = 0;
  setDefaultKeepalive(null);
  await closeAll();
});

function subscribe() {
  diagnosticsChannel.subscribe(DEAD_PEER_CHANNEL, record);
}

describe.skipIf(!capabilities().tcpInfo)('what the dead-peer channel reports', () => {
  it("an application's own timeout (req.destroy(err), err.code ETIMEDOUT) against a live, slow server is not a death", async () => {
    const slow = await listen(http.createServer(() => {})); // answers nothing, stays connected
    setDefaultKeepalive({ idle: 5_000 });
    subscribe();
    const errors: string[] = [];
    for (let i = 0; i < 20; i++) {
      const request = http.get({ host: '127.0.0.1', port: portOf(slow), agent: false });
      request.on('socket', (socket) => track(socket));
      const closed = new Promise((resolve) => request.on('close', resolve));
      request.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code!));
      // got / axios: a response timeout, then destroy with an error shaped like the kernel's.
      await new Promise((resolve) => request.on('socket', (socket) => socket.once('connect', resolve)));
      request.destroy(Object.assign(new Error('Timeout awaiting response'), { code: 'ETIMEDOUT' }));
      await closed;
    }
    expect(errors).toEqual(Array(20).fill('ETIMEDOUT'));
    expect(reports).toEqual([]);
  });

  it("a live peer's resetAndDestroy(): reported once per connection, cause 'reset' with no probe outstanding", async () => {
    const accepted: net.Socket[] = [];
    const server = await listen(net.createServer((socket) => accepted.push(track(socket))));
    setDefaultKeepalive({ idle: 5_000 });
    subscribe();
    const clients: net.Socket[] = [];
    const errors: string[] = [];
    for (let i = 0; i < 50; i++) {
      const client = track(net.connect(portOf(server), '127.0.0.1'));
      client.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code!));
      clients.push(client);
    }
    while (accepted.length < clients.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = clients.map((client) => new Promise((resolve) => client.on('close', resolve)));
    for (const socket of accepted) socket.resetAndDestroy();
    await Promise.all(closed);
    expect(errors).toEqual(Array(50).fill('ECONNRESET'));
    expect(reports).toHaveLength(50);
    expect(new Set(reports.map((report) => report.socket)).size).toBe(50);
    for (const report of reports) {
      expect(clients).toContain(report.socket);
      expect(report).toMatchObject({ side: 'client', cause: 'reset', tcpInfo: { state: 'CLOSE', probes: 0 } });
      expect(report.error).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    }
  });

  it('a connection outside the default (the application configured it) is not reported', async () => {
    const accepted: net.Socket[] = [];
    const server = await listen(net.createServer((socket) => accepted.push(track(socket))));
    setDefaultKeepalive({ idle: 5_000, filter: (c) => c.side === 'server' });
    subscribe();
    const client = track(net.connect(portOf(server), '127.0.0.1'));
    client.on('error', () => {});
    while (accepted.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = new Promise((resolve) => client.on('close', resolve));
    accepted[0]!.resetAndDestroy();
    await closed;
    expect(reports).toEqual([]);
  });
});
