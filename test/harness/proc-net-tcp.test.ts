// parseProcTcp (test/helpers/procnet.ts), the independent reader of
// /proc/net/tcp that the command's socket table is compared with: addresses,
// state, the keepalive timer and probes out.
import { describe, expect, it } from 'vitest';
import { parseProcTcp } from '../helpers/procnet';

describe('parseProcTcp', () => {
  it('reads addresses, state, the keepalive timer and probes out', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 02:0000006E 00000000  1000        2 12346 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const [listener, connection] = parseProcTcp(text);
    expect(listener).toMatchObject({ inode: 12345, localAddress: '127.0.0.1', localPort: 8080, state: 'LISTEN', timer: 'none' });
    expect(connection).toMatchObject({
      inode: 12346,
      remoteAddress: '127.0.0.1',
      remotePort: 8080,
      localPort: 40000,
      state: 'ESTABLISHED',
      timer: 'keepalive',
      timerLeftMs: 1100,
      probesOut: 2,
      uid: 1000,
    });
  });

  it('reads IPv6 addresses, IPv4-mapped ones as IPv4', () => {
    const text = [
      'header',
      '   0: 00000000000000000000000001000000:0050 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 7 1 0 20 4 30 10 -1',
    ].join('\n');
    const [entry] = parseProcTcp(text);
    expect(entry).toMatchObject({ family: 6, localAddress: '::1', localPort: 80, remoteAddress: '127.0.0.1', remotePort: 40000 });
  });
});
