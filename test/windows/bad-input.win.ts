// Bad input on Windows: Node-shaped errors named as Node names them on
// Windows (libuv's UV_E* numbers), never a crash or a silent no-op, and the
// kernel left exactly as it was.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { getSystemErrorName } from 'node:util';
import { afterEach, describe, it } from 'node:test';
import { capabilities, constants, getKeepalive, getSockOpt, getTcpInfo, setKeepalive, setSockOpt } from '../../lib/index';
import { binding } from '../../lib/native';
import { closeAll, connectedPair, kernelKeepalive, listen, thrown, track } from '../helpers/windows';

const caps = capabilities();
afterEach(closeAll);

describe('Winsock errors carry the names Node uses on Windows', () => {
  it('libuv numbers name the codes', () => {
    const expected: Record<number, string> = {
      [-4077]: 'ECONNRESET',
      [-4039]: 'ETIMEDOUT',
      [-4035]: 'ENOPROTOOPT',
      [-4050]: 'ENOTSOCK',
      [-4083]: 'EBADF',
      [-4071]: 'EINVAL',
      [-4049]: 'ENOTSUP',
      [-4053]: 'ENOTCONN',
      [-4060]: 'ENOBUFS',
    };
    for (const [errno, code] of Object.entries(expected)) assert.equal(getSystemErrorName(Number(errno)), code);
  });
});

describe('invalid options (Windows ranges)', () => {
  const max = caps.idle.max;
  const cases: Array<[string, unknown, string, RegExp?]> = [
    ['NaN idle', { idle: NaN }, 'ERR_OUT_OF_RANGE', /"options\.idle".*Received NaN/],
    ['Infinity interval', { interval: Infinity }, 'ERR_OUT_OF_RANGE'],
    ['negative idle', { idle: -1 }, 'ERR_OUT_OF_RANGE'],
    ['zero idle', { idle: 0 }, 'ERR_OUT_OF_RANGE', /> 0 && <= \d+.*1 s to \d+ s/],
    ['idle above the maximum', { idle: max + 1 }, 'ERR_OUT_OF_RANGE'],
    ['string idle', { idle: '1000' }, 'ERR_INVALID_ARG_TYPE', /"options\.idle" property must be of type number/],
    ['bigint interval', { interval: 5n }, 'ERR_INVALID_ARG_TYPE'],
    ['string enable', { enable: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    ['unknown option', { idel: 5_000 }, 'ERR_INVALID_ARG_VALUE', /options\.idel.*not a keepalive option/],
    ['null options', null, 'ERR_INVALID_ARG_TYPE'],
    ['array options', [1000], 'ERR_INVALID_ARG_TYPE'],
    ['userTimeout', { userTimeout: 1_000 }, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM'],
  ];
  if (caps.count.settable) cases.push(['zero count', { count: 0 }, 'ERR_OUT_OF_RANGE']);
  else cases.push(['count', { count: 3 }, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM']);

  for (const [name, options, code, message] of cases) {
    it(`${name}: ${code}, and nothing changed`, async () => {
      const { client } = await connectedPair();
      setKeepalive(client, { enable: false, idle: 11_000, interval: 3_000 });
      const before = await kernelKeepalive(client);
      const error = thrown(() => setKeepalive(client, options as never));
      assert.equal(error.code, code);
      if (message) assert.match(error.message, message);
      assert.deepEqual(await kernelKeepalive(client), before);
    });
  }

  it('a valid option beside an invalid one is not applied either', async () => {
    const { client } = await connectedPair();
    const before = await kernelKeepalive(client);
    assert.equal(thrown(() => setKeepalive(client, { idle: 5_000, interval: 6_000, userTimeout: 1 })).code, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
    assert.equal(thrown(() => setKeepalive(client, { idle: 5_000, interval: -6_000 })).code, 'ERR_OUT_OF_RANGE');
    assert.deepEqual(await kernelKeepalive(client), before);
  });
});

describe('invalid targets (Windows)', () => {
  for (const [name, target] of [['null', null], ['a string', '3'], ['a plain object', { _handle: { fd: 1 } }]] as const) {
    it(`${name}: ERR_INVALID_ARG_TYPE`, () => {
      for (const fn of [() => setKeepalive(target as never), () => getKeepalive(target as never)]) {
        assert.equal(thrown(fn).code, 'ERR_INVALID_ARG_TYPE');
      }
    });
  }

  it('a destroyed socket: ERR_SOCKET_CLOSED', async () => {
    const { client } = await connectedPair();
    client.destroy();
    assert.equal(thrown(() => setKeepalive(client)).code, 'ERR_SOCKET_CLOSED');
    assert.equal(thrown(() => getKeepalive(client)).code, 'ERR_SOCKET_CLOSED');
  });

  it('a handle value that is not a socket: ENOTSOCK from the first call', () => {
    const error = thrown(() => setKeepalive(123_456, { idle: 5_000 }));
    assert.equal(error.code, 'ENOTSOCK');
    assert.equal(error.errno, -4050);
    assert.equal(error.syscall, 'getsockopt');
    assert.equal(thrown(() => getKeepalive(123_456)).code, 'ENOTSOCK');
  });

  it('a UDP socket: ENOPROTOOPT before SO_KEEPALIVE is touched', async () => {
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      // The only way to a UDP SOCKET's number: try every handle value.
      const sock = binding.findSocket!(4, '127.0.0.1', udp.address().port, 0, '', 0, 2);
      assert.ok(sock > 0, `handle scan: ${sock}`);
      const error = thrown(() => setKeepalive(sock, { idle: 5_000 }));
      assert.equal(error.code, 'ENOPROTOOPT');
      assert.equal(error.syscall, 'getsockopt');
      assert.equal(getSockOpt(sock, constants.SOL_SOCKET, constants.SO_KEEPALIVE, 'bool'), false);
    } finally {
      udp.close();
    }
  });

  it('a named pipe is not a socket: ENOTSOCK, not a silent no-op', async () => {
    const pipe = `\\\\.\\pipe\\tcp-keepalive-${process.pid}-${Date.now()}`;
    const server = track(net.createServer());
    server.listen(pipe);
    await once(server, 'listening');
    const client = track(net.connect(pipe));
    await once(client, 'connect');
    assert.equal(thrown(() => setKeepalive(client, { idle: 2_000 })).code, 'ENOTSOCK');
    assert.equal(thrown(() => getKeepalive(client)).code, 'ENOTSOCK');
  });

  it('a server that is not running, a socket not connected: reads say so', async () => {
    const server = await listen();
    server.close();
    assert.equal(thrown(() => getKeepalive(server)).code, 'ERR_SERVER_NOT_RUNNING');
    const socket = new net.Socket();
    assert.equal(thrown(() => getKeepalive(socket)).code, 'ERR_SOCKET_NOT_CONNECTED');
    assert.equal(thrown(() => setSockOpt(socket, 1, 9, 1, 'int')).code, 'ERR_SOCKET_NOT_CONNECTED');
    socket.destroy();
  });

  it('getTcpInfo is not available here: a clear error', async () => {
    const { client } = await connectedPair();
    assert.equal(thrown(() => getTcpInfo(client)).code, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
  });
});

describe('getSockOpt / setSockOpt (Windows numbers)', () => {
  it('SO_KEEPALIVE and TCP_NODELAY round trips, read independently', async () => {
    const { client } = await connectedPair();
    assert.equal(constants.SOL_SOCKET, 0xffff);
    assert.equal(constants.SO_KEEPALIVE, 8);
    assert.deepEqual([constants.TCP_KEEPIDLE, constants.TCP_KEEPINTVL, constants.TCP_KEEPCNT], [3, 17, 16]);
    setSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, true, 'bool');
    assert.equal((await kernelKeepalive(client)).keepalive, 1);
    assert.equal(getSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, 'bool'), true);
    setSockOpt(client, constants.IPPROTO_TCP, constants.TCP_NODELAY, true, 'bool');
    assert.equal(getSockOpt(client, constants.IPPROTO_TCP, constants.TCP_NODELAY, 'bool'), true);
  });

  it("Windows' refused options (SO_BSP_STATE) are refused by the facade and the binding", async () => {
    const { client } = await connectedPair();
    const sock = binding.findSocket!(4, client.localAddress!, client.localPort!, 4, client.remoteAddress!, client.remotePort!, 0);
    assert.ok(binding.refusedOptions.some((entry) => entry.label === 'SO_BSP_STATE'));
    assert.equal(thrown(() => getSockOpt(client, constants.SOL_SOCKET, 0x1009, 'buffer', 256)).code, 'ERR_INVALID_ARG_VALUE');
    assert.equal(thrown(() => binding.getSockOptBuffer(sock, constants.SOL_SOCKET, 0x1009, new Uint8Array(256))).code, 'ERR_INVALID_ARG_VALUE');
  });

  it('a SharedArrayBuffer view at an offset gives its own bytes; a detached one is refused', async () => {
    const { client } = await connectedPair();
    const shared = new Int32Array(new SharedArrayBuffer(0x10008), 0x10000 / 4, 1);
    shared[0] = 1;
    setSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, shared, 'buffer');
    assert.equal((await kernelKeepalive(client)).keepalive, 1);
    const buffer = new ArrayBuffer(4);
    const detached = new Int32Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    assert.equal(thrown(() => setSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, detached, 'buffer')).code, 'ERR_INVALID_ARG_VALUE');
    assert.equal((await kernelKeepalive(client)).keepalive, 1);
  });

  it('an option this system lacks: ENOPROTOOPT where TCP_KEEPCNT is missing', async (t) => {
    if (caps.count.readable) return t.skip('this system has TCP_KEEPCNT');
    const { client } = await connectedPair();
    const error = thrown(() => getSockOpt(client, constants.IPPROTO_TCP, constants.TCP_KEEPCNT, 'int'));
    assert.equal(error.code, 'ENOPROTOOPT');
    assert.equal(error.errno, -4035);
    assert.equal(error.syscall, 'getsockopt');
  });
});
