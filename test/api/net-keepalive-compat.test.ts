// tcp-keepalive/net-keepalive behaves as net-keepalive 4.x does: the same
// exports, argument checks and messages, return values and units, checked
// against what net-keepalive's own unit tests pin down, and on the kernel.
import { AssertionError } from 'node:assert';
import net from 'node:net';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import * as NetKeepAlive from '../../lib/net-keepalive';
import { capabilities } from '../../lib/index';
import { kernelKeepalive, kernelWrite, writable } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';
import { needs } from '../helpers/platform';

afterEach(closeAll);

const SETTERS: Array<[string, string, string]> = [
  ['setKeepAliveInterval', 'msec', 'getKeepAliveInterval'],
  ['setKeepAliveProbes', 'cnt', 'getKeepAliveProbes'],
  ['setUserTimeout', 'msec', 'getUserTimeout'],
];
const lib = NetKeepAlive as unknown as Record<string, (...args: unknown[]) => unknown>;

function throwsAssertion(fn: () => unknown, message: RegExp | string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AssertionError);
  if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
  else expect((thrown as Error).message).toMatch(message);
}

describe('argument checks, with net-keepalive 4.x messages', () => {
  for (const [setter, valueName, getter] of SETTERS) {
    it(`${setter} / ${getter}`, () => {
      throwsAssertion(() => lib[setter](), new RegExp(`^${setter} requires two arguments`));
      throwsAssertion(() => lib[setter](''), new RegExp(`^${setter} requires two arguments`));
      throwsAssertion(() => lib[setter]('', '', ''), new RegExp(`^${setter} requires two arguments`));
      for (const notSocket of [null, {}, new (class {})(), new PassThrough()]) {
        throwsAssertion(() => lib[setter](notSocket, 1), new RegExp(`^${setter} expects an instance of socket as its first argument`));
      }
      const socket = new net.Socket();
      for (const notNumber of [null, '', true, {}]) {
        throwsAssertion(() => lib[setter](socket, notNumber), new RegExp(`^${setter} requires ${valueName} to be a Number`));
      }
      throwsAssertion(() => lib[getter](), new RegExp(`^${getter} requires one arguments`));
      throwsAssertion(() => lib[getter](null), new RegExp(`^${getter} expects an instance of socket as its first argument`));
      // A socket without a descriptor.
      throwsAssertion(() => lib[setter](socket, 1), 'Unable to get socket fd');
      socket.destroy();
    });
  }
});

describe('on a real connection (as net-keepalive)', () => {
  needs('interval', 'python').it('interval: ms in, truncated to whole seconds, ms out; returns true', async () => {
    const { client } = await connectedPair();
    expect(NetKeepAlive.setKeepAliveInterval(client, 4_000)).toBe(true);
    expect(kernelKeepalive(client).interval).toBe(4);
    expect(NetKeepAlive.getKeepAliveInterval(client)).toBe(4_000);
    NetKeepAlive.setKeepAliveInterval(client, 2_999); // ~~2.999 = 2, as net-keepalive truncates
    expect(kernelKeepalive(client).interval).toBe(2);
  });

  needs('count', 'python').it('probes', async () => {
    const { client } = await connectedPair();
    expect(NetKeepAlive.setKeepAliveProbes(client, 5.9)).toBe(true);
    expect(kernelKeepalive(client).count).toBe(5);
    expect(NetKeepAlive.getKeepAliveProbes(client)).toBe(5);
  });

  needs('userTimeout', 'python:TCP_USER_TIMEOUT').it('user timeout', async () => {
    const { client } = await connectedPair();
    expect(NetKeepAlive.setUserTimeout(client, 30_000.7)).toBe(true);
    expect(kernelKeepalive(client).userTimeout).toBe(30_000);
    expect(NetKeepAlive.getUserTimeout(client)).toBe(30_000);
  });

  needs('interval', 'python').it('does not turn keepalive on or touch other options, as net-keepalive does not', async () => {
    const { client } = await connectedPair();
    const before = kernelWrite(client, writable({ keepalive: 0, idle: 100, interval: 20, count: 7, userTimeout: 0 }));
    NetKeepAlive.setKeepAliveInterval(client, 3_000);
    expect(kernelKeepalive(client)).toEqual({ ...before, interval: 3 });
  });

  needs('interval', 'count').it('values the kernel refuses come back as the kernel error, in Node errnoException form', async () => {
    const { client } = await connectedPair();
    expect(() => NetKeepAlive.setKeepAliveInterval(client, -1)).toThrow(/^setsockopt /);
    const errno = -os.constants.errno.EINVAL;
    expect(() => NetKeepAlive.setKeepAliveProbes(client, 1_000)).toThrow(expect.objectContaining({ message: 'setsockopt EINVAL', code: 'EINVAL', errno, syscall: 'setsockopt' }));
  });

  needs('inheritableDescriptors').it("a handle with a bogus fd gives 'getsockopt EBADF'", async () => {
    const { client } = await connectedPair();
    const handle = (client as unknown as { _handle: unknown })._handle;
    (client as unknown as { _handle: unknown })._handle = { fd: -99_999 };
    try {
      expect(() => NetKeepAlive.getKeepAliveInterval(client)).toThrow(/^getsockopt EBADF$/);
    } finally {
      (client as unknown as { _handle: unknown })._handle = handle;
    }
  });

  it('the package entry point resolves to the same module', () => {
    const viaExports = require('tcp-keepalive/net-keepalive') as Record<string, unknown>;
    expect(Object.keys(viaExports).sort()).toEqual(
      ['getKeepAliveInterval', 'getKeepAliveProbes', 'getUserTimeout', 'setKeepAliveInterval', 'setKeepAliveProbes', 'setUserTimeout'],
    );
  });
});

// Registered only where it applies, so that it never counts as skipped.
if (!capabilities().userTimeout.settable) {
  describe('where user timeouts do not exist', () => {
    it('says so as net-keepalive does', async () => {
      const { client } = await connectedPair();
      throwsAssertion(() => NetKeepAlive.setUserTimeout(client, 1_000), 'setUserTimeout called on unsupported platform');
    });
  });
}
