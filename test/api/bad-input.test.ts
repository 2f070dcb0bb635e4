// Bad input: a clear, Node-shaped error, never a crash or a silent no-op, and
// the kernel left exactly as it was.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { capabilities, getKeepalive, getSockOpt, getTcpInfo, setKeepalive, setSockOpt, constants, type KeepaliveField } from '../../lib/index';
import { binding, nativeError } from '../../lib/native';
import { kernelKeepalive, kernelWrite, onThisPlatform, writable } from '../helpers/kernel';
import { closeAll, connectedPair, listen, listenUnix, track } from '../helpers/loopback';
import { needs } from '../helpers/platform';

afterEach(closeAll);

// No deprecated Node API in these tests (DEP0112: dgram's `_handle`, once used here).
const warnings: Error[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning);
process.on('warning', onWarning);
afterAll(async () => {
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  process.removeListener('warning', onWarning);
  expect(warnings.filter((warning) => warning.name === 'DeprecationWarning').map(String)).toEqual([]);
});

// What the reader can write here (no TCP_USER_TIMEOUT outside Linux), and read back.
const PRESET = writable({ keepalive: 1, idle: 111, interval: 22, count: 7, userTimeout: 1_234 });
const AS_READ = onThisPlatform({ keepalive: 1, idle: 111, interval: 22, count: 7, userTimeout: 1_234 });
// The limits come from capabilities(), as the messages do.
const { idle: IDLE, interval: INTERVAL, count: COUNT } = capabilities();
const errno = (code: string) => -(os.constants.errno as Record<string, number>)[code]!;

/**
 * A descriptor of a real UDP socket, in this process, without reaching into
 * dgram's internals (`_handle` is deprecated, DEP0112): a Python child binds
 * one on 127.0.0.1 and this process takes a duplicate with pidfd_getfd.
 */
async function udpDescriptor(): Promise<{ fd: number; close: () => void }> {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    "s.bind(('127.0.0.1', 0))",
    'print(s.fileno(), flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const pidfd = binding.pidfdOpen!(child.pid!);
    if (pidfd < 0) throw nativeError(pidfd);
    const fd = binding.pidfdGetfd!(pidfd, Number(line));
    fs.closeSync(pidfd);
    if (fd < 0) throw nativeError(fd);
    return { fd, close: () => (fs.closeSync(fd), child.kill('SIGKILL')) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

function expectCode(fn: () => unknown, code: string, type: ErrorConstructor = Error): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(type);
  expect((thrown as { code?: string }).code).toBe(code);
  return thrown as Error;
}

describe('invalid options', () => {
  const cases: Array<[string, unknown, string, ErrorConstructor, RegExp?]> = [
    ['NaN idle', { idle: NaN }, 'ERR_OUT_OF_RANGE', RangeError, /"options\.idle".*Received NaN/],
    ['Infinity interval', { interval: Infinity }, 'ERR_OUT_OF_RANGE', RangeError],
    ['negative idle', { idle: -1 }, 'ERR_OUT_OF_RANGE', RangeError],
    ['zero idle', { idle: 0 }, 'ERR_OUT_OF_RANGE', RangeError, new RegExp(`> ${IDLE.min - IDLE.unitMs} && <= ${IDLE.max}.*${IDLE.min / 1000} s to ${IDLE.max / 1000} s`)],
    [`idle above ${IDLE.max / 1000} s`, { idle: IDLE.max + 1 }, 'ERR_OUT_OF_RANGE', RangeError],
    [`interval above ${INTERVAL.max / 1000} s`, { interval: INTERVAL.max + 7_232_001 }, 'ERR_OUT_OF_RANGE', RangeError],
    ['fractional count', { count: 2.5 }, 'ERR_OUT_OF_RANGE', RangeError, /must be an integer/],
    ['negative count', { count: -3 }, 'ERR_OUT_OF_RANGE', RangeError],
    ['count below the minimum', { count: COUNT.min - 1 }, 'ERR_OUT_OF_RANGE', RangeError, new RegExp(`>= ${COUNT.min} && <= ${COUNT.max}`)],
    [`count above ${COUNT.max}`, { count: COUNT.max + 1 }, 'ERR_OUT_OF_RANGE', RangeError],
    ['NaN count', { count: NaN }, 'ERR_OUT_OF_RANGE', RangeError],
    ['negative userTimeout', { userTimeout: -5 }, 'ERR_OUT_OF_RANGE', RangeError],
    ['huge userTimeout', { userTimeout: 2 ** 31 }, 'ERR_OUT_OF_RANGE', RangeError],
    ['string idle', { idle: '1000' }, 'ERR_INVALID_ARG_TYPE', TypeError, /"options\.idle" property must be of type number\. Received type string/],
    ['null count', { count: null }, 'ERR_INVALID_ARG_TYPE', TypeError],
    ['bigint interval', { interval: 5n }, 'ERR_INVALID_ARG_TYPE', TypeError],
    ['string enable', { enable: 'yes' }, 'ERR_INVALID_ARG_TYPE', TypeError],
    ['unknown option', { idel: 5_000 }, 'ERR_INVALID_ARG_VALUE', TypeError, /options\.idel.*not a keepalive option/],
    ['null options', null, 'ERR_INVALID_ARG_TYPE', TypeError],
    ['string options', 'fast', 'ERR_INVALID_ARG_TYPE', TypeError],
    ['array options', [1000], 'ERR_INVALID_ARG_TYPE', TypeError],
  ];

  for (const [name, options, code, type, message] of cases) {
    // A field this platform cannot set fails earlier, with ERR_FEATURE_UNAVAILABLE_ON_PLATFORM.
    const fields = options && typeof options === 'object' ? Object.keys(options).filter((key): key is KeepaliveField => ['enable', 'idle', 'interval', 'count', 'userTimeout'].includes(key)) : [];
    needs(...fields, 'python').it(`${name}: ${code}, and nothing changed`, async () => {
      const { client } = await connectedPair();
      kernelWrite(client, PRESET);
      const error = expectCode(() => setKeepalive(client, options as never), code, type);
      if (message) expect(error.message).toMatch(message);
      expect(kernelKeepalive(client)).toEqual(AS_READ);
    });
  }

  needs('idle', 'interval', 'count', 'python').it('a valid option beside an invalid one is not applied either', async () => {
    const { client } = await connectedPair();
    kernelWrite(client, PRESET);
    expectCode(() => setKeepalive(client, { idle: 5_000, interval: 6_000, count: COUNT.max + 1 }), 'ERR_OUT_OF_RANGE', RangeError);
    expect(kernelKeepalive(client)).toEqual(AS_READ);
  });

  needs('count', 'python').it('undefined fields are the same as left out', async () => {
    const { client } = await connectedPair();
    kernelWrite(client, PRESET);
    setKeepalive(client, { idle: undefined, count: 4 });
    expect(kernelKeepalive(client)).toEqual({ ...AS_READ, count: 4 });
  });
});

describe('invalid targets', () => {
  const notSockets: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a string', '3'],
    ['a plain object', { _handle: { fd: 1 } }],
    ['an object with fd', { fd: 3 }],
    ['a function', () => 3],
  ];
  for (const [name, target] of notSockets) {
    it(`${name}: ERR_INVALID_ARG_TYPE from every function`, () => {
      for (const fn of [() => setKeepalive(target as never), () => getKeepalive(target as never), () => getTcpInfo(target as never)]) {
        const error = expectCode(fn, 'ERR_INVALID_ARG_TYPE', TypeError);
        expect(error.message).toMatch(/"target" argument must be an instance of net\.Socket or net\.Server, or of type number/);
      }
    });
  }

  // Deno's and Bun's net.Socket reach their descriptor (tools/runtimes/test.ts);
  // where a connected socket's handle has none, the call must not do nothing.
  it('a connected socket whose handle has no descriptor (TLS over a JS stream): ERR_FEATURE_UNAVAILABLE_ON_PLATFORM naming the runtime', () => {
    const stream = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    const socket = new tls.TLSSocket(stream);
    try {
      for (const fn of [() => setKeepalive(socket, { idle: 30_000 }), () => getKeepalive(socket)]) {
        const error = expectCode(fn, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', Error);
        expect(error.message).toContain(`under Node.js ${process.version}`);
      }
    } finally {
      socket.destroy();
    }
  });

  it('a UDP socket object is not a target', async () => {
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      expectCode(() => setKeepalive(udp as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    } finally {
      udp.close();
    }
  });

  it.each([[-1], [1.5], [NaN], [2 ** 31]])('descriptor %s: ERR_OUT_OF_RANGE', (fd) => {
    expectCode(() => setKeepalive(fd), 'ERR_OUT_OF_RANGE', RangeError);
    expectCode(() => getKeepalive(fd), 'ERR_OUT_OF_RANGE', RangeError);
  });

  it('a destroyed socket: ERR_SOCKET_CLOSED', async () => {
    const { client } = await connectedPair();
    client.destroy();
    for (const fn of [() => setKeepalive(client), () => getKeepalive(client), () => getTcpInfo(client)]) {
      expectCode(fn, 'ERR_SOCKET_CLOSED');
    }
  });

  it('a closed descriptor: EBADF from the first getsockopt', () => {
    const fd = fs.openSync(os.devNull, 'r');
    fs.closeSync(fd);
    const error = expectCode(() => setKeepalive(fd, { idle: 5_000 }), 'EBADF') as Error & { errno: number; syscall: string };
    expect(error.errno).toBe(errno('EBADF'));
    expect(error.syscall).toBe('getsockopt');
    expect(error.message).toBe('getsockopt EBADF: bad file descriptor');
    expectCode(() => getKeepalive(fd), 'EBADF');
  });

  it('a descriptor that is not a socket: ENOTSOCK', () => {
    const fd = fs.openSync(os.devNull, 'r');
    try {
      expectCode(() => setKeepalive(fd), 'ENOTSOCK');
      expectCode(() => getTcpInfo(fd), 'ENOTSOCK');
    } finally {
      fs.closeSync(fd);
    }
  });

  needs('pidfd', 'python').it('a UDP descriptor: refused before SO_KEEPALIVE is touched', async () => {
    const udp = await udpDescriptor();
    try {
      const { fd } = udp;
      let error: (Error & { code?: string; syscall?: string }) | undefined;
      try {
        setKeepalive(fd, { idle: 5_000 });
      } catch (caught) {
        error = caught as Error;
      }
      // Linux answers IPPROTO_TCP options on UDP with EOPNOTSUPP (older
      // kernels: ENOPROTOOPT); libuv names EOPNOTSUPP ENOTSUP.
      expect(['ENOTSUP', 'ENOPROTOOPT']).toContain(error?.code);
      expect(error?.syscall).toBe('getsockopt');
      // SO_KEEPALIVE alone would have succeeded on UDP: it must still be off.
      expect(getSockOpt(fd, constants.SOL_SOCKET, constants.SO_KEEPALIVE, 'bool')).toBe(false);
    } finally {
      udp.close();
    }
  });

  it('a Unix-domain socket: ENOTSUP, keepalive untouched', async () => {
    const { server, path: socketPath } = await listenUnix(net.createServer());
    const client = track(net.connect(socketPath));
    await once(client, 'connect');
    const error = expectCode(() => setKeepalive(client), 'ENOTSUP') as Error & { errno: number };
    expect(error.errno).toBe(errno('ENOTSUP'));
    expect(getSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, 'bool')).toBe(false);
    expectCode(() => setKeepalive(server, { idle: 1_000 }), 'ENOTSUP');
  });

  it('a server that is not running: ERR_SERVER_NOT_RUNNING for reads', async () => {
    const server = await listen();
    server.close();
    expectCode(() => getKeepalive(server), 'ERR_SERVER_NOT_RUNNING');
  });

  it('a socket that has not connected yet: reads say so', () => {
    const socket = new net.Socket();
    expectCode(() => getKeepalive(socket), 'ERR_SOCKET_NOT_CONNECTED');
    expectCode(() => getTcpInfo(socket), 'ERR_SOCKET_NOT_CONNECTED');
    expectCode(() => getSockOpt(socket, 1, 9, 'int'), 'ERR_SOCKET_NOT_CONNECTED');
    expectCode(() => setSockOpt(socket, 1, 9, 1, 'int'), 'ERR_SOCKET_NOT_CONNECTED');
    socket.destroy();
  });
});
