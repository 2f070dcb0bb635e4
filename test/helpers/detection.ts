// Shared pieces of the network proofs (test/network/, test/clients/): fixtures, the timing
// bounds, and a typed view of the keepalive client child (test/fixtures/net-keepalive-client.mjs)
// running in a test host.
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { KeepaliveOptions, KeepaliveState, SystemDefaults, TcpInfo } from '../../lib/types';
import {
  createTestHosts,
  type CreateTestHostsOptions,
  type Message,
  type NodeChild,
  type Side,
  type TestHosts,
} from './netns';

const fixture = (name: string): string => join(__dirname, '..', 'fixtures', name);
export const ECHO_SERVER = fixture('echo-server.mjs');
export const TCP_CLIENT = fixture('tcp-client.mjs');
export const KEEPALIVE_CLIENT = fixture('net-keepalive-client.mjs');
export const KEEPALIVE_SERVER = fixture('net-keepalive-server.mjs');


/** Sleep until Date.now() reaches `at` (at once if it already has). */
export const sleepUntil = (at: number): Promise<void> => sleep(Math.max(0, at - Date.now()));

/** A pause of random length in [min, max) ms, so a fault lands anywhere in the idle cycle. */
export const randomPause = (min: number, max: number): Promise<void> => sleep(min + Math.random() * (max - min));

/**
 * Allowance on lower bounds for clock granularity: tcp_info reports times since the last
 * packet in jiffies converted to ms (4 ms at HZ=250), and Date.now() is whole ms.
 */
export const CLOCK_SLACK_MS = 10;

/**
 * Allowance on the moment a probe is seen: the child polls tcp_info every 10 ms, and the
 * kernel's timer wheel lets a timer expire late by up to its level's granularity: at HZ=250,
 * 32 ms for timers up to ~2 s (measured: ~25 ms per 1 s timer), 256 ms for 2-16 s.
 */
export const PROBE_SEEN_SLACK_MS = 350;

/** Keepalive timers: ms, ms, probes. */
export interface Timers {
  readonly idle: number;
  readonly interval: number;
  readonly count: number;
}

/** Short timers, so that a proof takes seconds: a silent peer is detected 3-4 s after its last packet. */
export const FAST: Timers = { idle: 1000, interval: 1000, count: 3 };

export interface Window {
  /** ms after the last packet from the peer. */
  readonly earliest: number;
  readonly latest: number;
}

/**
 * When a connection to a silent peer may end, counted from the last packet received from it.
 * The kernel sends probe 1 at idle and probe k at idle + interval x (k - 1), and gives up one
 * interval after probe `count`: idle + interval x count. The bounds: no sooner than the
 * last probe, no later than that x 1.15 + 0.5 s (timer slack, a loaded machine).
 */
export function detectionWindow(t: Timers): Window {
  return {
    earliest: t.idle + t.interval * (t.count - 1),
    latest: (t.idle + t.interval * t.count) * 1.15 + 500,
  };
}

/** The same margin on any other expected duration (a user timeout, one interval). */
export const withMargin = (ms: number): number => ms * 1.15 + 500;

/** What a detection looked like: the error and when it came. */
export interface Detection {
  /** The socket's 'error' code (ETIMEDOUT, ECONNRESET, ...), null if it closed without one. */
  readonly code: string | null;
  /** ms from the last packet the kernel received from the peer to the 'error' event. */
  readonly afterLastPacket: number;
  /** ms from the fault (or the change under test) to the 'error' event. */
  readonly afterFault: number;
}

// ---------------------------------------------------------------------------------------------
// Test hosts

/** Create test hosts, run `body`, and always destroy them (children killed, namespaces gone). */
export async function withHosts<T>(
  body: (hosts: TestHosts) => Promise<T>,
  options?: CreateTestHostsOptions,
): Promise<T> {
  const hosts = await createTestHosts(options);
  try {
    return await body(hosts);
  } finally {
    await hosts.destroy();
  }
}

/** An echo server (no keepalive of its own) in host b; resolves to its port. */
export async function startPeer(hosts: TestHosts): Promise<number> {
  const server = hosts.spawnNode('b', ECHO_SERVER, [hosts.b.addr]);
  const { port } = await server.nextMessage<Message & { port: number }>('listening');
  return port;
}

/**
 * A TcpExt counter of /proc/net/netstat as seen inside one test host (per namespace), e.g.
 * OutOfWindowIcmps: ICMP errors the kernel discarded because they quote a sequence number
 * outside the send window.
 */
export async function tcpExtCounter(hosts: TestHosts, side: Side, name: string): Promise<number> {
  const { stdout } = await hosts.exec(side, 'cat', ['/proc/net/netstat']);
  const lines = stdout.split('\n').filter((line) => line.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const index = names.indexOf(name);
  if (index < 1) throw new Error(`no TcpExt counter ${name} in /proc/net/netstat`);
  return Number(values[index]);
}

// ---------------------------------------------------------------------------------------------
// The keepalive client child

export interface ConnectedMessage extends Message {
  localPort: number;
  /** setKeepalive()'s return value, or null when the client was started without options. */
  state: KeepaliveState | null;
  keepalive: KeepaliveState;
  defaults: SystemDefaults;
  at: number;
}

export interface OpenInfo {
  closed: false;
  at: number;
  info: TcpInfo;
  /** When the kernel last received anything from the peer (what keepalive counts from). */
  lastPacketAt: number;
}
export type InfoMessage = OpenInfo | { closed: true };

export interface ErrorMessage extends Message {
  code: string | null;
  at: number;
}
export interface ProbesMessage extends Message {
  probes: number;
  at: number;
}
export interface SetMessage extends Message {
  at: number;
  state: KeepaliveState;
}

export interface ProbeWatch {
  /** Poll tcp_info this often, ms. */
  readonly everyMs?: number;
  /** Apply `options` inside the child the moment the probe count reaches `probes`. */
  readonly onProbes?: { readonly probes: number; readonly options: KeepaliveOptions };
}

export class KeepaliveClient {
  private constructor(
    readonly child: NodeChild,
    readonly connected: ConnectedMessage,
  ) {}

  /**
   * Start a client in host a connected to the peer in host b; `options` go to setKeepalive()
   * as it connects (null: the library is not called).
   */
  static async connect(hosts: TestHosts, port: number, options: KeepaliveOptions | null): Promise<KeepaliveClient> {
    const child = hosts.spawnNode('a', KEEPALIVE_CLIENT, [hosts.b.addr, String(port), JSON.stringify(options)]);
    return new KeepaliveClient(child, await child.nextMessage<ConnectedMessage>('connected'));
  }

  async info(): Promise<InfoMessage> {
    this.child.send({ cmd: 'info' });
    return this.child.nextMessage<Message & InfoMessage>('info');
  }

  /** tcp_info of a connection that must still be open. */
  async openInfo(): Promise<OpenInfo> {
    const reply = await this.info();
    if (reply.closed) throw new Error(`connection already closed; messages: ${JSON.stringify(this.child.messages)}`);
    return reply;
  }

  async set(options: KeepaliveOptions): Promise<SetMessage> {
    this.child.send({ cmd: 'set', options });
    return this.child.nextMessage<SetMessage>('set');
  }

  /** Write to the peer; resolves to the time just before the write. */
  async write(data: string): Promise<number> {
    this.child.send({ cmd: 'write', data });
    return (await this.child.nextMessage<Message & { at: number }>('writing')).at;
  }

  watchProbes(watch: ProbeWatch = {}): void {
    this.child.send({ cmd: 'watch', everyMs: watch.everyMs ?? 10, onProbes: watch.onProbes });
  }

  /** The next 'error' event, or a rejection after `timeoutMs`. */
  nextError(timeoutMs: number): Promise<ErrorMessage> {
    return this.child.nextMessage<ErrorMessage>('error', timeoutMs);
  }

  /** Every 'error' so far, consumed or not. */
  errors(): ErrorMessage[] {
    return this.child.messages.filter((m): m is ErrorMessage => m.type === 'error');
  }

  /** Every change of the probe count seen so far (after watchProbes). */
  probeChanges(): ProbesMessage[] {
    return this.child.messages.filter((m): m is ProbesMessage => m.type === 'probes');
  }

  /** When the probe count first reached `probes`, or undefined. */
  probeSeenAt(probes: number): number | undefined {
    return this.probeChanges().find((m) => m.probes === probes)?.at;
  }

  /** The options change made by watchProbes' onProbes, or a rejection. */
  changeMade(timeoutMs: number): Promise<SetMessage> {
    return this.child.nextMessage<SetMessage>('set', timeoutMs);
  }
}
