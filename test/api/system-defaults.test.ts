// systemDefaults() reads the caller's network namespace at call time, and a
// socket whose timers were never set follows those sysctls live. The sysctls
// are changed only inside a namespace this test creates.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemDefaults } from '../../lib/index';
import { createTestHosts, type TestHosts } from '../helpers/netns';
import { needs } from '../helpers/platform';

const FIXTURE = path.join(__dirname, '../fixtures/defaults-child.mjs');
let hosts: TestHosts | undefined;

afterEach(async () => {
  await hosts?.destroy();
  hosts = undefined;
});

describe('systemDefaults', () => {
  needs('systemDefaults', 'procSys').it("matches this namespace's /proc/sys/net/ipv4, in ms", () => {
    const read = (name: string) => Number(fs.readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8'));
    expect(systemDefaults()).toEqual({
      idle: read('tcp_keepalive_time') * 1000,
      interval: read('tcp_keepalive_intvl') * 1000,
      count: read('tcp_keepalive_probes'),
      source: '/proc/sys/net/ipv4/tcp_keepalive_{time,intvl,probes}',
    });
  });
});

needs('netns', 'spawnsNode', 'systemDefaults', 'procSys').describe('defaults in a network namespace', () => {
  it('are read at call time, and unset sockets follow them live', async () => {
    hosts = await createTestHosts({ sysctls: { 'net.ipv4.tcp_keepalive_time': 33, 'net.ipv4.tcp_keepalive_intvl': 7, 'net.ipv4.tcp_keepalive_probes': 4 } });
    const child = hosts.spawnNode('a', FIXTURE);
    const ready = await child.nextMessage('ready', 10_000);
    expect(ready.enabled).toEqual({ enable: true, idle: 33_000, interval: 7_000, count: 4, userTimeout: 0 });

    await hosts.sysctl('a', 'net.ipv4.tcp_keepalive_time', 45);
    await hosts.sysctl('a', 'net.ipv4.tcp_keepalive_probes', 2);
    child.send({ do: 'read' });
    const state = await child.nextMessage('state');
    expect(state.defaults).toMatchObject({ idle: 45_000, interval: 7_000, count: 2 });
    expect(state.keepalive).toEqual({ enable: true, idle: 45_000, interval: 7_000, count: 2, userTimeout: 0 });
    // This process's own namespace is untouched.
    expect(systemDefaults().idle).not.toBe(45_000);
  });
});
