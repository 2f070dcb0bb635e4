// Rollback with a fault injected into the real kernel: tools/windows/test.ts
// runs this file in node.exe under test/fixtures/fail-setsockopt (seccomp),
// which makes setsockopt(IPPROTO_TCP, TCP_KEEPIDLE) with a 4-byte value fail
// with ENOBUFS. Under Wine, SIO_KEEPALIVE_VALS turns SO_KEEPALIVE on first
// and then meets the fault, so the switch has changed when the call fails.
// The kernel is read and preset from the Linux side, outside the filter.
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { getKeepalive, setKeepalive } from '../../lib/index';
import { closeAll, connectedPair, kernelKeepalive, kernelWrite, listen, portOf, track } from '../helpers/windows';

afterEach(closeAll);

describe('rollback with a fault injected by seccomp (Windows back end under Wine)', () => {
  it('the filter is in place: the failure comes from the kernel', () => {
    assert.equal(process.env.TKA_FAULT, 'TCP_KEEPIDLE');
  });

  it('a failing TCP_KEEPIDLE after SO_KEEPALIVE was turned on: the switch is turned off again', async () => {
    const { client } = await connectedPair();
    const before = await kernelWrite(client, { keepalive: 0, idle: 111, interval: 22, count: 7 });
    let error: (Error & { code?: string; syscall?: string }) | undefined;
    try {
      setKeepalive(client, { idle: 5_000, interval: 6_000 });
    } catch (caught) {
      error = caught as Error;
    }
    assert.ok(error);
    // Wine reports any failure inside SIO_KEEPALIVE_VALS as an invalid parameter.
    assert.equal(error.code, 'EINVAL');
    assert.equal(error.syscall, 'WSAIoctl');
    assert.deepEqual(await kernelKeepalive(client), before);
    assert.equal(getKeepalive(client).enable, false);
  });

  it('turning keepalive on alone still works (no timer involved)', async () => {
    const { client } = await connectedPair();
    assert.equal(setKeepalive(client)!.enable, true);
    assert.equal((await kernelKeepalive(client)).keepalive, 1);
  });

  it('a queued request that fails on connect destroys the socket with the error', async () => {
    const server = await listen();
    const socket = track(new net.Socket());
    assert.equal(setKeepalive(socket, { idle: 4_000 }), null);
    socket.connect(portOf(server), '127.0.0.1');
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'EINVAL');
    assert.equal(error.syscall, 'WSAIoctl');
    assert.equal(socket.destroyed, true);
  });
});
