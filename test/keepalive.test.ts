// setKeepalive / getKeepalive on real loopback connections, every value
// checked through an independent read of the same descriptor.
import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, getKeepalive, setKeepalive, systemDefaults } from '../lib/index';
import { kernelKeepalive, kernelWrite, fdOf } from './helpers/kernel';
import { closeAll, connectedPair } from './helpers/loopback';

const caps = capabilities();

afterEach(closeAll);

describe('setKeepalive on a connected socket', () => {
  it('sets every option and returns what the kernel holds', async () => {
    const { client } = await connectedPair();
    const state = setKeepalive(client, { idle: 30_000, interval: 5_000, count: 4, userTimeout: 12_000 });
    const kernel = kernelKeepalive(client);
    expect(kernel).toEqual({ keepalive: 1, idle: 30, interval: 5, count: 4, userTimeout: 12_000 });
    expect(state).toEqual({ enable: true, idle: 30_000, interval: 5_000, count: 4, userTimeout: 12_000 });
  });

  it('works on the accepted end and on a descriptor number', async () => {
    const { accepted, client } = await connectedPair();
    expect(setKeepalive(accepted, { idle: 7_000 })).toMatchObject({ enable: true, idle: 7_000 });
    expect(kernelKeepalive(accepted)).toMatchObject({ keepalive: 1, idle: 7 });
    const fd = fdOf(client);
    expect(setKeepalive(fd, { interval: 3_000, count: 2 })).toMatchObject({ interval: 3_000, count: 2 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, interval: 3, count: 2 });
  });

  it('works over IPv6', async () => {
    const { client } = await connectedPair('::1');
    setKeepalive(client, { idle: 9_000, interval: 2_000, count: 6 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 9, interval: 2, count: 6 });
  });

  it('with no options turns keepalive on and changes nothing else', async () => {
    const { client } = await connectedPair();
    const before = kernelWrite(client, { idle: 111, interval: 22, count: 7, userTimeout: 1_234 });
    expect(before.keepalive).toBe(0);
    const state = setKeepalive(client);
    expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1 });
    expect(state).toEqual({ enable: true, idle: 111_000, interval: 22_000, count: 7, userTimeout: 1_234 });
  });

  it('leaves options that were left out exactly as they were', async () => {
    const { client } = await connectedPair();
    kernelWrite(client, { idle: 111, interval: 22, count: 7, userTimeout: 1_234, keepalive: 1 });
    setKeepalive(client, { count: 3 });
    expect(kernelKeepalive(client)).toEqual({ keepalive: 1, idle: 111, interval: 22, count: 3, userTimeout: 1_234 });
    setKeepalive(client, { enable: false, interval: 9_000 });
    expect(kernelKeepalive(client)).toEqual({ keepalive: 0, idle: 111, interval: 9, count: 3, userTimeout: 1_234 });
  });

  it('rounds times up to the kernel unit and reports the rounded value', async () => {
    const { client } = await connectedPair();
    const cases: Array<[number, number]> = [
      [1_500, 2],
      [1, 1],
      [999, 1],
      [1_000, 1],
      [1_001, 2],
      [32_766_001, 32_767],
    ];
    for (const [ms, seconds] of cases) {
      const state = setKeepalive(client, { idle: ms, interval: ms });
      expect(kernelKeepalive(client)).toMatchObject({ idle: seconds, interval: seconds });
      expect(state).toMatchObject({ idle: seconds * 1000, interval: seconds * 1000 });
    }
    expect(setKeepalive(client, { userTimeout: 2_500.25 })?.userTimeout).toBe(2_501);
    expect(kernelKeepalive(client).userTimeout).toBe(2_501);
  });

  it('accepts the limits the kernel documents, inclusive', async () => {
    const { client } = await connectedPair();
    const { idle, interval, count } = caps;
    setKeepalive(client, { idle: idle.max, interval: interval.max, count: count.max, userTimeout: 0 });
    expect(kernelKeepalive(client)).toMatchObject({ idle: idle.max / 1000, interval: interval.max / 1000, count: count.max, userTimeout: 0 });
    setKeepalive(client, { idle: idle.min, interval: interval.min, count: count.min });
    expect(kernelKeepalive(client)).toMatchObject({ idle: idle.min / 1000, interval: interval.min / 1000, count: count.min });
  });

  it('can turn keepalive off again', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 5_000 });
    expect(setKeepalive(client, { enable: false })?.enable).toBe(false);
    expect(kernelKeepalive(client).keepalive).toBe(0);
  });

  it('sees through to the kernel when Node core changed the socket', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { idle: 60_000, interval: 7_000, count: 5 });
    client.setKeepAlive(true, 45_000); // libuv: idle 45 s, interval 1 s, count 10
    expect(getKeepalive(client)).toMatchObject({ enable: true, idle: 45_000, interval: 1_000, count: 10 });
    expect(kernelKeepalive(client)).toMatchObject({ idle: 45, interval: 1, count: 10 });
  });
});

describe('getKeepalive', () => {
  it('reads values set behind its back', async () => {
    const { client } = await connectedPair();
    kernelWrite(client, { keepalive: 1, idle: 42, interval: 6, count: 5, userTimeout: 777 });
    expect(getKeepalive(client)).toEqual({ enable: true, idle: 42_000, interval: 6_000, count: 5, userTimeout: 777 });
  });

  it('reports the system defaults for options never set', async () => {
    const { client } = await connectedPair();
    const defaults = systemDefaults();
    expect(getKeepalive(client)).toEqual({
      enable: false,
      idle: defaults.idle,
      interval: defaults.interval,
      count: defaults.count,
      userTimeout: 0,
    });
  });

  it('reads a listening server', async () => {
    const { server } = await connectedPair();
    kernelWrite(server, { idle: 50, keepalive: 1 });
    expect(getKeepalive(server)).toMatchObject({ enable: true, idle: 50_000 });
  });
});
