// setKeepalive / getKeepalive on real loopback connections, every value
// checked through an independent read of the same descriptor.
import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, getKeepalive, setKeepalive, systemDefaults } from '../../lib/index';
import { kernelKeepalive, kernelWrite, fdOf, onThisPlatform, stateOf, writable } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';
import { has, needs } from '../helpers/platform';

const caps = capabilities();

afterEach(closeAll);

describe('setKeepalive on a connected socket', () => {
  needs('idle', 'interval', 'count', 'userTimeout', 'python:TCP_USER_TIMEOUT').it('sets every option and returns what the kernel holds', async () => {
    const { client } = await connectedPair();
    const state = setKeepalive(client, { idle: 30_000, interval: 5_000, count: 4, userTimeout: 12_000 });
    const kernel = kernelKeepalive(client);
    expect(kernel).toEqual({ keepalive: 1, idle: 30, interval: 5, count: 4, userTimeout: 12_000 });
    expect(state).toEqual({ enable: true, idle: 30_000, interval: 5_000, count: 4, userTimeout: 12_000 });
  });

  needs('python').it('sets every option this platform can set, and returns what the kernel holds', async () => {
    const { client } = await connectedPair();
    const wanted = { idle: 30_000, interval: 5_000, count: 4, userTimeout: 12_000 };
    const asked = Object.fromEntries(Object.entries(wanted).filter(([field]) => has(field as keyof typeof wanted)));
    const state = setKeepalive(client, asked);
    expect(state).toEqual(stateOf(kernelKeepalive(client)));
    expect(state).toMatchObject(asked);
  });

  needs('idle', 'interval', 'count', 'inheritableDescriptors').it('works on the accepted end and on a descriptor number', async () => {
    const { accepted, client } = await connectedPair();
    expect(setKeepalive(accepted, { idle: 7_000 })).toMatchObject({ enable: true, idle: 7_000 });
    expect(kernelKeepalive(accepted)).toMatchObject({ keepalive: 1, idle: 7 });
    const fd = fdOf(client);
    expect(setKeepalive(fd, { interval: 3_000, count: 2 })).toMatchObject({ interval: 3_000, count: 2 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, interval: 3, count: 2 });
  });

  needs('idle', 'interval', 'count').it('works over IPv6', async () => {
    const { client } = await connectedPair('::1');
    setKeepalive(client, { idle: 9_000, interval: 2_000, count: 6 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 9, interval: 2, count: 6 });
  });

  it('with no options turns keepalive on and changes nothing else', async () => {
    const { client } = await connectedPair();
    const before = kernelWrite(client, writable({ idle: 111, interval: 22, count: 7, userTimeout: 1_234 }));
    expect(before.keepalive).toBe(0);
    const state = setKeepalive(client);
    expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1 });
    expect(state).toEqual(stateOf({ ...before, keepalive: 1 }));
    expect(state).toMatchObject({ idle: 111_000, interval: 22_000, count: 7 });
  });

  needs('count', 'interval').it('leaves options that were left out exactly as they were', async () => {
    const { client } = await connectedPair();
    kernelWrite(client, writable({ idle: 111, interval: 22, count: 7, userTimeout: 1_234, keepalive: 1 }));
    setKeepalive(client, { count: 3 });
    expect(kernelKeepalive(client)).toEqual(onThisPlatform({ keepalive: 1, idle: 111, interval: 22, count: 3, userTimeout: 1_234 }));
    setKeepalive(client, { enable: false, interval: 9_000 });
    expect(kernelKeepalive(client)).toEqual(onThisPlatform({ keepalive: 0, idle: 111, interval: 9, count: 3, userTimeout: 1_234 }));
  });

  needs('idle', 'interval').it('rounds times up to the kernel unit and reports the rounded value', async () => {
    const { client } = await connectedPair();
    // Whole seconds on every platform so far (capabilities().idle.unitMs).
    expect([caps.idle.unitMs, caps.interval.unitMs]).toEqual([1_000, 1_000]);
    const maxSeconds = Math.min(caps.idle.max, caps.interval.max) / 1_000;
    const cases: Array<[number, number]> = [
      [1_500, 2],
      [1, 1],
      [999, 1],
      [1_000, 1],
      [1_001, 2],
      [(maxSeconds - 1) * 1_000 + 1, maxSeconds],
    ];
    for (const [ms, seconds] of cases) {
      const state = setKeepalive(client, { idle: ms, interval: ms });
      expect(kernelKeepalive(client)).toMatchObject({ idle: seconds, interval: seconds });
      expect(state).toMatchObject({ idle: seconds * 1000, interval: seconds * 1000 });
    }
  });

  needs('userTimeout', 'python:TCP_USER_TIMEOUT').it('rounds the user timeout up to whole ms', async () => {
    const { client } = await connectedPair();
    expect(caps.userTimeout.unitMs).toBe(1);
    expect(setKeepalive(client, { userTimeout: 2_500.25 })?.userTimeout).toBe(2_501);
    expect(kernelKeepalive(client).userTimeout).toBe(2_501);
  });

  needs('idle', 'interval', 'count').it('accepts the limits capabilities() states, inclusive', async () => {
    const { client } = await connectedPair();
    const { idle, interval, count } = caps;
    const userTimeout = has('userTimeout') ? { userTimeout: caps.userTimeout.min } : {};
    setKeepalive(client, { idle: idle.max, interval: interval.max, count: count.max, ...userTimeout });
    expect(kernelKeepalive(client)).toMatchObject(onThisPlatform({ idle: idle.max / 1000, interval: interval.max / 1000, count: count.max, ...userTimeout }));
    setKeepalive(client, { idle: idle.min, interval: interval.min, count: count.min });
    expect(kernelKeepalive(client)).toMatchObject({ idle: idle.min / 1000, interval: interval.min / 1000, count: count.min });
  });

  it('can turn keepalive off again', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 5_000 });
    expect(setKeepalive(client, { enable: false })?.enable).toBe(false);
    expect(kernelKeepalive(client).keepalive).toBe(0);
  });

  // libuv sets interval 1 s and count 10 with the idle time, where it can set them.
  needs('interval', 'count').it('sees through to the kernel when Node core changed the socket', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 60_000, interval: 7_000, count: 5 });
    client.setKeepAlive(true, 45_000); // libuv: idle 45 s, interval 1 s, count 10
    expect(getKeepalive(client)).toMatchObject({ enable: true, idle: 45_000, interval: 1_000, count: 10 });
    expect(kernelKeepalive(client)).toMatchObject({ idle: 45, interval: 1, count: 10 });
  });
});

describe('getKeepalive', () => {
  needs('idle', 'interval', 'count', 'python').it('reads values set behind its back', async () => {
    const { client } = await connectedPair();
    const written = kernelWrite(client, writable({ keepalive: 1, idle: 42, interval: 6, count: 5, userTimeout: 777 }));
    expect(getKeepalive(client)).toEqual(stateOf(written));
    expect(getKeepalive(client)).toMatchObject({ enable: true, idle: 42_000, interval: 6_000, count: 5 });
  });

  needs('systemDefaults', 'idle', 'interval', 'count').it('reports the system defaults for options never set', async () => {
    const { client } = await connectedPair();
    const defaults = systemDefaults();
    expect(getKeepalive(client)).toEqual({
      enable: false,
      idle: defaults.idle,
      interval: defaults.interval,
      count: defaults.count,
      userTimeout: has('userTimeout') ? 0 : null,
    });
  });

  it('reads a listening server', async () => {
    const { server } = await connectedPair();
    kernelWrite(server, { idle: 50, keepalive: 1 });
    expect(getKeepalive(server)).toMatchObject({ enable: true, idle: 50_000 });
  });
});
