// setKeepalive / getKeepalive through the Windows back end, every value set
// checked through an independent read of the Linux socket behind the SOCKET.
// What the system cannot read back is expected as `remembered`, and what it
// cannot set as a clear error: the expectations follow capabilities(), not
// the platform's name.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { capabilities, getKeepalive, setKeepalive, systemDefaults, type KeepaliveField, type KeepaliveState } from '../../lib/index';
import { binding } from '../../lib/native';
import { closeAll, connectedPair, kernelKeepalive, kernelWrite, thrown } from '../helpers/windows';

const caps = capabilities();
afterEach(closeAll);

// The fields a result must flag as remembered: the timers this system cannot read.
const REMEMBERED = (['idle', 'interval'] as KeepaliveField[]).filter((field) => !caps[field].readable);

function expectState(state: KeepaliveState | null, expected: { enable: boolean; idle: number; interval: number }): void {
  assert.ok(state);
  assert.equal(state.enable, expected.enable);
  assert.equal(state.idle, expected.idle);
  assert.equal(state.interval, expected.interval);
  assert.equal(state.count, caps.count.readable ? state.count : null);
  assert.equal(state.userTimeout, caps.userTimeout.readable ? state.userTimeout : null);
  assert.deepEqual(state.remembered, REMEMBERED.length ? REMEMBERED : undefined);
}

describe('the Windows back end', () => {
  it('reports what it can set and read', () => {
    assert.equal(caps.backend, 'win32');
    assert.deepEqual(caps.enable, { settable: true, readable: true, min: 0, max: 1, unitMs: 0 });
    for (const field of ['idle', 'interval'] as const) {
      assert.equal(caps[field].settable, true, `${field}: SIO_KEEPALIVE_VALS sets it everywhere`);
      assert.equal(caps[field].unitMs, 1000);
      assert.equal(caps[field].min, 1000);
    }
    assert.equal(caps.count.settable, caps.count.readable);
    assert.equal(caps.userTimeout.settable, false);
    assert.equal(caps.tcpInfo, false);
    assert.equal(caps.listenerInheritance, false);
  });
});

describe('setKeepalive on a connected socket (Windows)', () => {
  it('sets enable, idle and interval, and returns them (remembered where unreadable)', async () => {
    const { client } = await connectedPair();
    const state = setKeepalive(client, { idle: 30_000, interval: 5_000 });
    expectState(state, { enable: true, idle: 30_000, interval: 5_000 });
    const kernel = await kernelKeepalive(client);
    assert.deepEqual([kernel.keepalive, kernel.idle, kernel.interval], [1, 30, 5]);
    expectState(getKeepalive(client), { enable: true, idle: 30_000, interval: 5_000 });
  });

  it('works on the accepted end and on a SOCKET number', async () => {
    const { accepted, client } = await connectedPair();
    assert.equal(setKeepalive(accepted, { idle: 7_000 })?.idle, 7_000);
    assert.equal((await kernelKeepalive(accepted)).idle, 7);
    const sock = binding.findSocket!(4, client.localAddress!, client.localPort!, 4, client.remoteAddress!, client.remotePort!, 0);
    assert.ok(sock > 0, `findSocket: ${sock}`);
    const state = setKeepalive(sock, { idle: 9_000, interval: 3_000 });
    assert.deepEqual([state.idle, state.interval], [9_000, 3_000]);
    const kernel = await kernelKeepalive(client);
    assert.deepEqual([kernel.keepalive, kernel.idle, kernel.interval], [1, 9, 3]);
    // The socket and its number are the same thing: either shows the change.
    assert.equal(getKeepalive(client).idle, 9_000);
  });

  it('works over IPv6', async () => {
    const { client, accepted } = await connectedPair('::1');
    setKeepalive(client, { idle: 9_000, interval: 2_000 });
    setKeepalive(accepted, { idle: 8_000 });
    assert.deepEqual((await kernelKeepalive(client)).idle, 9);
    assert.deepEqual((await kernelKeepalive(client)).interval, 2);
    assert.deepEqual((await kernelKeepalive(accepted)).idle, 8);
  });

  it('with no options turns keepalive on and changes no timer', async () => {
    const { client } = await connectedPair();
    const before = await kernelWrite(client, { idle: 111, interval: 22, count: 7, keepalive: 0 });
    const state = setKeepalive(client);
    assert.equal(state!.enable, true);
    assert.deepEqual(await kernelKeepalive(client), { ...before, keepalive: 1 });
  });

  it('leaves a timer that was left out as it was last set', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 30_000, interval: 5_000 });
    const state = setKeepalive(client, { idle: 40_000 });
    assert.equal(state!.interval, 5_000);
    assert.deepEqual(await kernelKeepalive(client).then((k) => [k.idle, k.interval]), [40, 5]);
    setKeepalive(client, { interval: 6_000 });
    assert.deepEqual(await kernelKeepalive(client).then((k) => [k.idle, k.interval]), [40, 6]);
  });

  it('timers set with keepalive off are kept for when it is turned on', async () => {
    const { client } = await connectedPair();
    const state = setKeepalive(client, { enable: false, idle: 12_000, interval: 4_000 });
    expectState(state, { enable: false, idle: 12_000, interval: 4_000 });
    const kernel = await kernelKeepalive(client);
    assert.deepEqual([kernel.keepalive, kernel.idle, kernel.interval], [0, 12, 4]);
    setKeepalive(client, { enable: true });
    assert.deepEqual(await kernelKeepalive(client).then((k) => [k.keepalive, k.idle, k.interval]), [1, 12, 4]);
  });

  it('rounds times up to whole seconds and reports the rounded value', async () => {
    const { client } = await connectedPair();
    const cases: Array<[number, number]> = [[1_500, 2], [1, 1], [999, 1], [1_000, 1], [1_001, 2], [32_766_001, 32_767]];
    for (const [ms, seconds] of cases) {
      const state = setKeepalive(client, { idle: ms, interval: ms });
      assert.deepEqual([state!.idle, state!.interval], [seconds * 1000, seconds * 1000], `${ms} ms`);
      const kernel = await kernelKeepalive(client);
      assert.deepEqual([kernel.idle, kernel.interval], [seconds, seconds], `${ms} ms in the kernel`);
    }
  });

  it('can turn keepalive off again, keeping the timers', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 5_000, interval: 2_000 });
    const state = setKeepalive(client, { enable: false });
    expectState(state, { enable: false, idle: 5_000, interval: 2_000 });
    assert.deepEqual(await kernelKeepalive(client).then((k) => [k.keepalive, k.idle, k.interval]), [0, 5, 2]);
  });

  it('count: set and read back where the system has TCP_KEEPCNT, a clear error where not', async () => {
    const { client } = await connectedPair();
    if (caps.count.settable) {
      assert.equal(setKeepalive(client, { count: 4 })?.count, 4);
      assert.equal((await kernelKeepalive(client)).count, 4);
      return;
    }
    const before = await kernelKeepalive(client);
    const error = thrown(() => setKeepalive(client, { idle: 3_000, count: 4 }));
    assert.ok(error instanceof TypeError);
    assert.equal(error.code, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
    assert.match(error.message, /options\.count \(TCP_KEEPCNT\)/);
    assert.deepEqual(await kernelKeepalive(client), before, 'nothing changed, the idle beside it neither');
    assert.equal(getKeepalive(client).count, null);
  });

  it('userTimeout: not on Windows, a clear error and nothing changed', async () => {
    const { client } = await connectedPair();
    const before = await kernelKeepalive(client);
    const error = thrown(() => setKeepalive(client, { userTimeout: 5_000 }));
    assert.equal(error.code, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
    assert.deepEqual(await kernelKeepalive(client), before);
    assert.equal(getKeepalive(client).userTimeout, null);
  });
});

describe('getKeepalive (Windows)', () => {
  it('a socket never configured: keepalive off, the system defaults flagged as not read', async () => {
    const { client } = await connectedPair();
    const defaults = systemDefaults();
    const state = getKeepalive(client);
    assert.equal(state.enable, false);
    if (!caps.idle.readable) assert.equal(state.idle, defaults.idle);
    if (!caps.interval.readable) assert.equal(state.interval, defaults.interval);
    assert.deepEqual(state.remembered, REMEMBERED.length ? REMEMBERED : undefined);
  });

  it('reads the switch from the system even when changed behind its back', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 20_000 });
    await kernelWrite(client, { keepalive: 0 });
    assert.equal(getKeepalive(client).enable, false);
    await kernelWrite(client, { keepalive: 1 });
    assert.equal(getKeepalive(client).enable, true);
  });

  it('timers changed behind its back: read where readable, otherwise flagged as remembered', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 20_000, interval: 2_000 });
    await kernelWrite(client, { idle: 42, interval: 6 });
    const state = getKeepalive(client);
    assert.equal(state.idle, caps.idle.readable ? 42_000 : 20_000);
    assert.equal(state.interval, caps.interval.readable ? 6_000 : 2_000);
    assert.deepEqual(state.remembered, REMEMBERED.length ? REMEMBERED : undefined);
  });

  it('a new socket that gets a closed one\'s SOCKET value does not inherit what was remembered', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { client, server, accepted } = await connectedPair();
      const sock = binding.findSocket!(4, client.localAddress!, client.localPort!, 4, client.remoteAddress!, client.remotePort!, 0);
      if (seen.has(sock)) {
        const state = getKeepalive(client);
        assert.equal(state.enable, false);
        if (!caps.idle.readable) assert.equal(state.idle, systemDefaults().idle);
        return;
      }
      seen.add(sock);
      setKeepalive(client, { idle: 33_000 });
      client.destroy();
      accepted.destroy();
      server.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Wine and Windows hand freed handle values out again quickly; if they
    // did not here, the address check is still what guards the case.
  });

  it('reads a listening server', async () => {
    const { server } = await connectedPair();
    setKeepalive(server, { idle: 50_000 });
    assert.equal(getKeepalive(server).idle, 50_000);
    assert.equal((await kernelKeepalive(server)).idle, 50);
  });
});
