// The per-call cases: what each row of the table runs. Floor rows run in
// build/bench/floor (floor.c); the others run here, each in its own loop so
// that V8 optimizes every call site for one callee.
import type net from 'node:net';
import {
  binding,
  COUNT,
  FIELDS_ENABLE_IDLE_INTERVAL_COUNT,
  IDLE_MS,
  INTERVAL_MS,
  ka,
  type Loopback,
  type Peers,
  tcpOption,
} from './common';

export type Group = 'floor' | 'lib' | 'lib internals' | 'node core' | 'sockopt' | 'net-keepalive';

export interface CaseInfo {
  id: string;
  group: Group;
  /** What one operation does. */
  work: string;
  /** The floor case making exactly the same system calls, for the ratio. */
  floor?: string;
  /** The library case doing the equivalent job, for the peers' ratio. */
  lib?: string;
}

/** What a setter must leave in the kernel after an even number of calls. */
export interface Expectation {
  target: 'client' | 'server';
  idle: number;
  interval: number;
  count: number;
}

export interface JsCase extends CaseInfo {
  /** Runs `n` operations; the result only keeps the work observable. */
  run(n: number): number;
  expect?: Expectation;
}

/** Mirrors CASES in floor.c (checked against `floor list`). */
export const FLOOR_CASES: readonly CaseInfo[] = [
  { id: 'floor.set4', group: 'floor', work: 'setsockopt x4: idle, interval, count, enable' },
  { id: 'floor.set4-readback', group: 'floor', work: 'the same + getsockopt x4 read-back' },
  { id: 'floor.setKeepalive', group: 'floor', work: "setKeepalive's calls: getsockopt x5, setsockopt x4, getsockopt x4" },
  { id: 'floor.getKeepalive', group: 'floor', work: 'getsockopt x5' },
  { id: 'floor.getTcpInfo', group: 'floor', work: 'getsockopt TCP_INFO (240 bytes)' },
  { id: 'floor.server-setKeepalive', group: 'floor', work: 'the 13 calls of setKeepalive on a listening socket' },
  { id: 'floor.set9', group: 'floor', work: 'getsockopt TCP_USER_TIMEOUT (the untouched field), setsockopt x4, getsockopt x4' },
  { id: 'floor.set5', group: 'floor', work: 'getsockopt TCP_USER_TIMEOUT, setsockopt x4 (no read-back)' },
];

const LIB_SET: Expectation = { target: 'client', idle: IDLE_MS[1], interval: INTERVAL_MS, count: COUNT };

export function jsCases(loopback: Loopback, peers: Peers | null): JsCase[] {
  const { client, server, fd } = loopback;
  const { SOL_SOCKET, SO_KEEPALIVE, IPPROTO_TCP } = ka.constants;
  const [TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT] = [
    tcpOption('TCP_KEEPIDLE'), tcpOption('TCP_KEEPINTVL'), tcpOption('TCP_KEEPCNT'), tcpOption('TCP_USER_TIMEOUT'),
  ];
  const idleS = IDLE_MS.map((ms) => ms / 1000);
  const intervalS = INTERVAL_MS / 1000;

  const cases: JsCase[] = [
    {
      id: 'lib.setKeepalive',
      group: 'lib',
      work: 'setKeepalive(socket, { idle, interval, count })',
      floor: 'floor.setKeepalive',
      expect: LIB_SET,
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          const state = ka.setKeepalive(client, { idle: IDLE_MS[i & 1], interval: INTERVAL_MS, count: COUNT });
          sink += state!.idle!;
        }
        return sink;
      },
    },
    {
      id: 'lib.getKeepalive',
      group: 'lib',
      work: 'getKeepalive(socket)',
      floor: 'floor.getKeepalive',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += ka.getKeepalive(client).idle!;
        return sink;
      },
    },
    {
      id: 'lib.getTcpInfo',
      group: 'lib',
      work: 'getTcpInfo(socket)',
      floor: 'floor.getTcpInfo',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += ka.getTcpInfo(client).rtt!;
        return sink;
      },
    },
    {
      id: 'lib.setKeepalive(server)',
      group: 'lib',
      work: 'setKeepalive(listening server, { idle, interval, count })',
      floor: 'floor.server-setKeepalive',
      expect: { ...LIB_SET, target: 'server' },
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          const state = ka.setKeepalive(server, { idle: IDLE_MS[i & 1], interval: INTERVAL_MS, count: COUNT });
          sink += state!.idle!;
        }
        return sink;
      },
    },
    {
      id: 'lib.setKeepalive(fd)',
      group: 'lib internals',
      work: 'setKeepalive(fd number, { idle, interval, count })',
      floor: 'floor.setKeepalive',
      expect: LIB_SET,
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          sink += ka.setKeepalive(fd, { idle: IDLE_MS[i & 1], interval: INTERVAL_MS, count: COUNT }).idle!;
        }
        return sink;
      },
    },
    {
      id: 'addon.setKeepalive',
      group: 'lib internals',
      work: 'the N-API call alone: the request in binding.slots, then binding.setKeepalive(fd, fields)',
      floor: 'floor.setKeepalive',
      expect: LIB_SET,
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          // The request goes in through the result slots, as lib/keepalive.ts loads it.
          const slots = binding.slots;
          slots[0] = 1; // enable, idle, interval, count, userTimeout: binding.keepaliveFields
          slots[1] = IDLE_MS[i & 1]!;
          slots[2] = INTERVAL_MS;
          slots[3] = COUNT;
          slots[4] = 0;
          sink += binding.setKeepalive(fd, FIELDS_ENABLE_IDLE_INTERVAL_COUNT);
        }
        return sink;
      },
    },
    {
      id: 'addon.getKeepalive',
      group: 'lib internals',
      work: 'the N-API call alone: binding.getKeepalive(fd)',
      floor: 'floor.getKeepalive',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += binding.getKeepalive(fd);
        return sink;
      },
    },
    {
      id: 'addon.getTcpInfo',
      group: 'lib internals',
      work: 'the N-API call alone: binding.getTcpInfo(fd)',
      floor: 'floor.getTcpInfo',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += binding.getTcpInfo(fd);
        return sink;
      },
    },
    {
      id: 'core.setKeepAlive',
      group: 'node core',
      work: 'socket.setKeepAlive(true, idle): setsockopt x4 (interval 1 s, count 10 fixed)',
      floor: 'floor.set4',
      lib: 'lib.setKeepalive',
      expect: { target: 'client', idle: IDLE_MS[1], interval: 1000, count: 10 },
      run(n) {
        for (let i = 0; i < n; i++) client.setKeepAlive(true, IDLE_MS[i & 1]);
        return 0;
      },
    },
  ];

  if (!peers) return cases;
  const { sockopt, netKeepalive } = peers;
  const sockoptSet4 = (socket: net.Socket | net.Server, i: number): void => {
    sockopt.setsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE, idleS[i & 1]);
    sockopt.setsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL, intervalS);
    sockopt.setsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT, COUNT);
    sockopt.setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, 1);
  };
  const sockoptGet5 = (socket: net.Socket | net.Server): number =>
    sockopt.getsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE) +
    sockopt.getsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL) +
    sockopt.getsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT) +
    sockopt.getsockopt(socket, IPPROTO_TCP, TCP_USER_TIMEOUT) +
    sockopt.getsockopt(socket, SOL_SOCKET, SO_KEEPALIVE);
  const netKeepaliveConfig = (i: number): void => {
    // net-keepalive has no setter for enable and idle: its README pairs it
    // with Node's own setKeepAlive for those.
    client.setKeepAlive(true, IDLE_MS[i & 1]);
    netKeepalive.setKeepAliveInterval(client, INTERVAL_MS);
    netKeepalive.setKeepAliveProbes(client, COUNT);
  };

  cases.push(
    {
      id: 'sockopt.set4',
      group: 'sockopt',
      work: 'setsockopt(socket, ...) x4: idle, interval, count, enable',
      floor: 'floor.set4',
      lib: 'lib.setKeepalive',
      expect: LIB_SET,
      run(n) {
        for (let i = 0; i < n; i++) sockoptSet4(client, i);
        return 0;
      },
    },
    {
      id: 'sockopt.setKeepalive',
      group: 'sockopt',
      work: "setKeepalive's 13 calls: getsockopt x5, setsockopt x4, getsockopt x4",
      floor: 'floor.setKeepalive',
      lib: 'lib.setKeepalive',
      expect: LIB_SET,
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          sink += sockoptGet5(client);
          sockoptSet4(client, i);
          sink +=
            sockopt.getsockopt(client, IPPROTO_TCP, TCP_KEEPIDLE) +
            sockopt.getsockopt(client, IPPROTO_TCP, TCP_KEEPINTVL) +
            sockopt.getsockopt(client, IPPROTO_TCP, TCP_KEEPCNT) +
            sockopt.getsockopt(client, SOL_SOCKET, SO_KEEPALIVE);
        }
        return sink;
      },
    },
    {
      id: 'sockopt.getKeepalive',
      group: 'sockopt',
      work: 'getsockopt(socket, ...) x5',
      floor: 'floor.getKeepalive',
      lib: 'lib.getKeepalive',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += sockoptGet5(client);
        return sink;
      },
    },
    {
      id: 'net-keepalive.config',
      group: 'net-keepalive',
      work: 'socket.setKeepAlive(true, idle) + setKeepAliveInterval + setKeepAliveProbes',
      lib: 'lib.setKeepalive',
      expect: LIB_SET,
      run(n) {
        for (let i = 0; i < n; i++) netKeepaliveConfig(i);
        return 0;
      },
    },
    {
      id: 'net-keepalive.config+readback',
      group: 'net-keepalive',
      work: 'the same + getKeepAliveInterval + getKeepAliveProbes (idle and enable cannot be read)',
      lib: 'lib.setKeepalive',
      expect: LIB_SET,
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          netKeepaliveConfig(i);
          sink += netKeepalive.getKeepAliveInterval(client) + netKeepalive.getKeepAliveProbes(client);
        }
        return sink;
      },
    },
    {
      id: 'net-keepalive.get',
      group: 'net-keepalive',
      work: 'getKeepAliveInterval + getKeepAliveProbes + getUserTimeout (all it can read)',
      lib: 'lib.getKeepalive',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          sink +=
            netKeepalive.getKeepAliveInterval(client) +
            netKeepalive.getKeepAliveProbes(client) +
            netKeepalive.getUserTimeout(client);
        }
        return sink;
      },
    },
  );
  return cases;
}

/** Throws unless the setter left exactly the expected configuration. */
export function verifyCase(c: JsCase, loopback: Loopback): void {
  if (!c.expect) return;
  const target = c.expect.target === 'server' ? loopback.server : loopback.client;
  const state = ka.getKeepalive(target);
  const { idle, interval, count } = c.expect;
  if (!state.enable || state.idle !== idle || state.interval !== interval || state.count !== count) {
    throw new Error(`${c.id} left ${JSON.stringify(state)}, expected enable, idle ${idle}, interval ${interval}, count ${count}`);
  }
}
