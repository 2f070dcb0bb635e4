// The generic option functions and the platform constants.
import { afterEach, describe, expect, it } from 'vitest';
import os from 'node:os';
import { constants, getSockOpt, setSockOpt } from '../../lib/index';
import { kernelInt, kernelKeepalive, kernelTcpInfo } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';
import { needs, pythonConstants } from '../helpers/platform';

afterEach(closeAll);

// The idle option is TCP_KEEPIDLE on Linux and Windows, TCP_KEEPALIVE on macOS;
// the TCP state struct TCP_INFO on Linux, TCP_CONNECTION_INFO on macOS.
const IDLE = (constants.TCP_KEEPIDLE ?? constants.TCP_KEEPALIVE)!;
const TCP_INFO = (constants.TCP_INFO ?? constants.TCP_CONNECTION_INFO)!;
const EINVAL = -os.constants.errno.EINVAL;

describe('getSockOpt / setSockOpt', () => {
  needs('idle', 'python').it('int and bool round trips, read independently', async () => {
    const { client } = await connectedPair();
    setSockOpt(client, constants.IPPROTO_TCP, IDLE, 77, 'int');
    setSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, true, 'bool');
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 77 });
    expect(getSockOpt(client, constants.IPPROTO_TCP, IDLE, 'int')).toBe(77);
    expect(getSockOpt(client, constants.SOL_SOCKET, constants.SO_KEEPALIVE, 'bool')).toBe(true);
    setSockOpt(client, constants.IPPROTO_TCP, constants.TCP_NODELAY, false, 'bool');
    expect(kernelInt(client, constants.IPPROTO_TCP, constants.TCP_NODELAY)).toBe(0);
    expect(getSockOpt(client, constants.IPPROTO_TCP, constants.TCP_NODELAY, 'bool')).toBe(false);
  });

  needs('tcpInfo', 'fullTcpInfo', 'python').it('buffer options: what the kernel wrote, never more than the caller asked for', async () => {
    const { client } = await connectedPair();
    const full = getSockOpt(client, constants.IPPROTO_TCP, TCP_INFO, 'buffer', 1024);
    expect(full.length).toBeGreaterThanOrEqual(104);
    expect(full.length).toBeLessThan(1024);
    expect(full[0]).toBe(kernelTcpInfo(client).state);
    const small = getSockOpt(client, constants.IPPROTO_TCP, TCP_INFO, 'buffer', 8);
    expect(small.length).toBe(8);
    expect(small.subarray(0, 8)).toEqual(full.subarray(0, 8));
    const one = getSockOpt(client, constants.IPPROTO_TCP, TCP_INFO, 'buffer', 1);
    expect(one.length).toBe(1);
  });

  needs('interval', 'python').it('buffer values are passed with their exact length', async () => {
    const { client } = await connectedPair();
    const value = Buffer.alloc(4);
    value.writeInt32LE(55);
    // A DataView over the middle of a larger buffer: only its 4 bytes count.
    const backing = new Uint8Array(12).fill(0xff);
    backing.set(value, 4);
    setSockOpt(client, constants.IPPROTO_TCP, constants.TCP_KEEPINTVL, new DataView(backing.buffer, 4, 4), 'buffer');
    expect(kernelKeepalive(client).interval).toBe(55);
    expect(() => setSockOpt(client, constants.IPPROTO_TCP, constants.TCP_KEEPINTVL, Buffer.alloc(2), 'buffer')).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'setsockopt' }),
    );
    expect(kernelKeepalive(client).interval).toBe(55);
  });

  it('rejects bad arguments before any system call', async () => {
    const { client } = await connectedPair();
    const { IPPROTO_TCP } = constants;
    const TCP_KEEPIDLE = IDLE;
    const bad: Array<[() => unknown, string]> = [
      [() => getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 'float' as never), 'ERR_INVALID_ARG_VALUE'],
      [() => getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 3 as never), 'ERR_INVALID_ARG_TYPE'],
      [() => getSockOpt(client, '6' as never, TCP_KEEPIDLE, 'int'), 'ERR_INVALID_ARG_TYPE'],
      [() => getSockOpt(client, 6.5, TCP_KEEPIDLE, 'int'), 'ERR_OUT_OF_RANGE'],
      [() => getSockOpt(client, IPPROTO_TCP, 2 ** 40, 'int'), 'ERR_OUT_OF_RANGE'],
      [() => getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 'buffer', 0), 'ERR_OUT_OF_RANGE'],
      [() => getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 'buffer', 65_537), 'ERR_OUT_OF_RANGE'],
      [() => getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 'buffer', 1.5), 'ERR_OUT_OF_RANGE'],
      [() => getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 'buffer', '8' as never), 'ERR_INVALID_ARG_TYPE'],
      [() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 1.5, 'int'), 'ERR_OUT_OF_RANGE'],
      [() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 2 ** 31, 'int'), 'ERR_OUT_OF_RANGE'],
      [() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, '5' as never, 'int'), 'ERR_INVALID_ARG_TYPE'],
      [() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 1 as never, 'bool'), 'ERR_INVALID_ARG_TYPE'],
      [() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, [1, 2] as never, 'buffer'), 'ERR_INVALID_ARG_TYPE'],
      [() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, Buffer.alloc(65_537), 'buffer'), 'ERR_OUT_OF_RANGE'],
    ];
    const before = kernelKeepalive(client);
    for (const [fn, code] of bad) expect(fn).toThrow(expect.objectContaining({ code }));
    expect(kernelKeepalive(client)).toEqual(before);
  });

  it('kernel refusals come back as system errors', async () => {
    const { client } = await connectedPair();
    expect(() => setSockOpt(client, constants.IPPROTO_TCP, constants.TCP_KEEPCNT, 500, 'int')).toThrow(
      expect.objectContaining({ code: 'EINVAL', errno: EINVAL, syscall: 'setsockopt' }),
    );
    expect(() => getSockOpt(client, constants.IPPROTO_TCP, 9999, 'int')).toThrow(
      expect.objectContaining({ code: 'ENOPROTOOPT', syscall: 'getsockopt' }),
    );
  });
});

describe('constants', () => {
  needs('python').it("are this platform's numbers: the same as CPython's socket module here", () => {
    const python = pythonConstants()!;
    const shared = Object.keys(python).filter((name) => name in constants);
    // At least the keepalive options every platform's Python names.
    expect(shared).toEqual(expect.arrayContaining(['SOL_SOCKET', 'IPPROTO_TCP', 'SO_KEEPALIVE', 'TCP_NODELAY', 'TCP_KEEPINTVL', 'TCP_KEEPCNT']));
    for (const name of shared) expect(constants[name as keyof typeof constants], name).toBe(python[name]);
    expect(Object.isFrozen(constants)).toBe(true);
  });
});
