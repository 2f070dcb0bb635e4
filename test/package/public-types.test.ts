// The public types (lib/types.ts) are written out so that editors and
// compiler errors show only public names; the addon's own shapes
// (binding.d.ts) must say the same thing. Checked by the compiler (npm run
// typecheck compiles this file) and, for the option numbers, against the
// addon's table at run time.
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type {
  Binding,
  NativeCapabilities,
  NativeFieldLimits,
  NativeFieldName,
  NativeKeepaliveFields,
} from '../../binding';
import { capabilities, constants, getKeepalive } from '../../lib/index';
import type { Capabilities, FieldCapability, KeepaliveField, KeepaliveOptions, KeepaliveState, SocketConstants, TcpInfo, TcpStateName } from '../../lib/index';
import { binding } from '../../lib/native';
import { closeAll, connectedPair } from '../helpers/loopback';

afterEach(closeAll);

// Every name SocketConstants has, and only those (an extra or missing key does not compile).
const CONSTANT_NAMES: Record<keyof SocketConstants, true> = {
  SOL_SOCKET: true, IPPROTO_IP: true, IPPROTO_IPV6: true, IPPROTO_TCP: true, SO_KEEPALIVE: true, SO_REUSEADDR: true,
  SO_RCVBUF: true, SO_SNDBUF: true, SO_LINGER: true, SO_ERROR: true, SO_TYPE: true, TCP_NODELAY: true, TCP_MAXSEG: true,
  TCP_KEEPINTVL: true, TCP_KEEPCNT: true, SO_REUSEPORT: true, SO_EXCLUSIVEADDRUSE: true, SO_DOMAIN: true, SO_PROTOCOL: true,
  SO_MARK: true, SO_NOSIGPIPE: true, TCP_MAXRT: true, TCP_TIMESTAMPS: true, TCP_FASTOPEN: true, TCP_KEEPALIVE: true,
  TCP_KEEPIDLE: true, TCP_USER_TIMEOUT: true, TCP_INFO: true, TCP_CORK: true, TCP_QUICKACK: true, TCP_SYNCNT: true,
  TCP_LINGER2: true, TCP_DEFER_ACCEPT: true, TCP_NOTSENT_LOWAT: true, TCP_CONGESTION: true, TCP_CONNECTIONTIMEOUT: true,
  TCP_RXT_CONNDROPTIME: true, TCP_CONNECTION_INFO: true,
};
// TcpInfo's keys, every one (a missing or extra key does not compile).
const TCP_INFO_NAMES: Record<keyof TcpInfo, true> = {
  state: true, caState: true, probes: true, backoff: true, retransmits: true, totalRetrans: true, rto: true, ato: true, sndMss: true,
  rcvMss: true, unacked: true, lost: true, retrans: true, lastDataSent: true, lastAckSent: true, lastDataRecv: true, lastAckRecv: true,
  pmtu: true, rtt: true, rttvar: true, minRtt: true, sndCwnd: true, sndSsthresh: true, sndWnd: true, rcvWnd: true, bytesSent: true,
  bytesAcked: true, bytesReceived: true, bytesRetrans: true, segsOut: true, segsIn: true, notsentBytes: true,
};
// The portable states, in the addon's order (a missing or extra one does not compile).
const TCP_STATES: Record<TcpStateName, number> = {
  UNKNOWN: 0, ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6, CLOSE: 7, CLOSE_WAIT: 8,
  LAST_ACK: 9, LISTEN: 10, CLOSING: 11,
};
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

describe('public types', () => {
  it('say what the addon says, name for name', () => {
    expectTypeOf<KeepaliveField>().toEqualTypeOf<NativeFieldName>();
    expectTypeOf<Required<KeepaliveOptions>>().toEqualTypeOf<NativeKeepaliveFields>();
    expectTypeOf<keyof KeepaliveState>().toEqualTypeOf<NativeFieldName | 'remembered'>();
    expectTypeOf<FieldCapability>().toEqualTypeOf<NativeFieldLimits>();
    // The addon's is an intersection: the same members, each assignable both ways.
    expectTypeOf<MutuallyAssignable<Capabilities, NativeCapabilities>>().toEqualTypeOf<true>();
    expectTypeOf<MutuallyAssignable<Binding['capabilities'], Capabilities>>().toEqualTypeOf<true>();
    expectTypeOf<keyof Capabilities>().toEqualTypeOf<keyof NativeCapabilities>();
  });

  it("TcpInfo has exactly the addon's TCP_INFO slots", () => {
    expect([...binding.tcpInfoFields].sort()).toEqual(Object.keys(TCP_INFO_NAMES).sort());
  });

  it("TcpStateName has exactly the addon's states", () => {
    expect([...binding.tcpStates]).toEqual(Object.keys(TCP_STATES).sort((a, b) => TCP_STATES[a as TcpStateName] - TCP_STATES[b as TcpStateName]));
  });

  it('constants: literal names, a typo does not compile', () => {
    // @ts-expect-error a misspelt name is not a constant
    void constants.TCP_KEEPIDEL;
    expectTypeOf(constants.SOL_SOCKET).toEqualTypeOf<number>();
    expectTypeOf(constants.TCP_USER_TIMEOUT).toEqualTypeOf<number | undefined>();
  });

  it("constants: this platform's addon has every always-present name and no name the type lacks", () => {
    const names = Object.keys(binding.constants);
    expect(names.filter((name) => !(name in CONSTANT_NAMES))).toEqual([]);
    const always: RequiredKeys<SocketConstants>[] = ['SOL_SOCKET', 'IPPROTO_IP', 'IPPROTO_IPV6', 'IPPROTO_TCP', 'SO_KEEPALIVE', 'SO_REUSEADDR', 'SO_RCVBUF', 'SO_SNDBUF', 'SO_LINGER', 'SO_ERROR', 'SO_TYPE', 'TCP_NODELAY', 'TCP_MAXSEG', 'TCP_KEEPINTVL', 'TCP_KEEPCNT'];
    expect(always.filter((name) => typeof constants[name] !== 'number')).toEqual([]);
  });

  it('KeepaliveState: enable, idle and interval are always there; count and userTimeout null only where capabilities() says they cannot be read', async () => {
    expectTypeOf<KeepaliveState['idle']>().toEqualTypeOf<number>();
    expectTypeOf<KeepaliveState['interval']>().toEqualTypeOf<number>();
    expectTypeOf<KeepaliveState['count']>().toEqualTypeOf<number | null>();
    const { client } = await connectedPair();
    const state = getKeepalive(client);
    expect(typeof state.enable).toBe('boolean');
    expect(typeof state.idle).toBe('number');
    expect(typeof state.interval).toBe('number');
    for (const field of ['count', 'userTimeout'] as const) {
      const readable = capabilities()[field].readable || state.remembered?.includes(field) === true;
      expect(state[field] === null, field).toBe(!readable);
    }
  });
});
