// getTcpInfo on real connections, checked against an independent TCP_INFO read.
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { getTcpInfo, type TcpInfo } from '../../lib/index';
import { kernelTcpInfo } from '../helpers/kernel';
import { closeAll, connectedPair, listen } from '../helpers/loopback';
import { needs } from '../helpers/platform';

afterEach(closeAll);

const FIELDS: Array<keyof TcpInfo> = [
  'state', 'caState', 'probes', 'backoff', 'retransmits', 'totalRetrans', 'rto', 'ato', 'sndMss', 'rcvMss',
  'unacked', 'lost', 'retrans', 'lastDataSent', 'lastAckSent', 'lastDataRecv', 'lastAckRecv', 'pmtu', 'rtt',
  'rttvar', 'minRtt', 'sndCwnd', 'sndSsthresh', 'sndWnd', 'rcvWnd', 'bytesSent', 'bytesAcked', 'bytesReceived',
  'bytesRetrans', 'segsOut', 'segsIn', 'notsentBytes',
];

needs('tcpInfo').describe('getTcpInfo', () => {
  it('has every documented field, in order', async () => {
    const { client } = await connectedPair();
    expect(Object.keys(getTcpInfo(client))).toEqual(FIELDS);
  });

  needs('fullTcpInfo').it('matches the kernel: state, probes, bytes received', async () => {
    const { client, accepted } = await connectedPair();
    const payload = Buffer.alloc(12_345, 1);
    accepted.write(payload);
    let received = 0;
    await new Promise<void>((resolve) => {
      client.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= payload.length) resolve();
      });
    });
    const info = getTcpInfo(client);
    const kernel = kernelTcpInfo(client);
    expect(info.state).toBe('ESTABLISHED');
    expect(kernel.state).toBe(1);
    expect(info.probes).toBe(kernel.probes);
    expect(info.bytesReceived).toBe(kernel.bytesReceived);
    expect(info.bytesReceived).toBe(12_345);
    expect(info.lastAckSent).toBeNull(); // Linux does not keep it
    expect(info.rtt).toBeGreaterThan(0);
    expect(info.lastDataRecv).toBeGreaterThanOrEqual(0);
    for (const field of FIELDS) if (field !== 'state' && field !== 'lastAckSent') expect(typeof info[field]).toBe('number');
  });

  it('reports a listening socket and a half-closed connection by state name', async () => {
    const server = await listen();
    expect(getTcpInfo(server).state).toBe('LISTEN');
    const { client, accepted } = await connectedPair();
    accepted.end();
    await once(client, 'end');
    expect(getTcpInfo(client).state).toBe('CLOSE_WAIT');
    expect(kernelTcpInfo(client).state).toBe(8);
  });
});
