// The network scenarios, each run on its own pair of test hosts and returning what it measured.
// The tests in test/network/ assert on the results; test/network/measure.ts runs them many
// times for the numbers in docs/network-proof.md. Host a runs the code under test, host b the
// peer, unless a scenario says otherwise.
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import type { KeepaliveOptions, KeepaliveState, SystemDefaults, TcpStateName } from '../../lib/types';
import type { Message, SilenceMode, TestHosts } from './netns';
import { isKeepaliveProbe, parseTcpSegments, type TcpSegment } from './pcap';
import {
  detectionWindow,
  ECHO_SERVER,
  FAST,
  KEEPALIVE_SERVER,
  KeepaliveClient,
  randomPause,
  sleepUntil,
  startPeer,
  TCP_CLIENT,
  tcpExtCounter,
  withHosts,
  withMargin,
  type Detection,
  type ErrorMessage,
  type InfoMessage,
  type OpenInfo,
  type Timers,
} from './detection';

const options = (t: Timers, extra: KeepaliveOptions = {}): KeepaliveOptions => ({
  idle: t.idle,
  interval: t.interval,
  count: t.count,
  ...extra,
});

/** How long to wait for an error that should come by `latest` ms: long enough to fail clearly. */
const errorWait = (latest: number): number => latest + 5000;

function detection(error: ErrorMessage, lastPacketAt: number, faultAt: number): Detection {
  return { code: error.code, afterLastPacket: error.at - lastPacketAt, afterFault: error.at - faultAt };
}

/** A connection that must have stayed open: what it looked like when checked. */
export interface StillOpen {
  readonly open: boolean;
  readonly state: TcpStateName | null;
  readonly errors: readonly string[];
}

async function stillOpen(client: KeepaliveClient, reply?: InfoMessage): Promise<StillOpen> {
  reply ??= await client.info();
  return {
    open: !reply.closed,
    state: reply.closed ? null : reply.info.state,
    errors: client.errors().map((e) => String(e.code)),
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Silent peer

/** How the peer's host vanishes. */
export type Vanish = SilenceMode | 'link-down';

export interface SilentPeerResult {
  readonly detection: Detection;
  /** A connection to the same peer without keepalive, checked once the bound has passed. */
  readonly twin: StillOpen;
  /** ICMP errors host a's kernel discarded as out of window (TcpExt OutOfWindowIcmps). */
  readonly discardedIcmps: number;
}

/**
 * A keepalive connection (FAST timers) and a twin without keepalive, both idle, to a peer whose
 * host then vanishes at a random point of the idle cycle.
 */
export function silentPeer(vanish: Vanish): Promise<SilentPeerResult> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const [guarded, twin] = await Promise.all([
      KeepaliveClient.connect(hosts, port, options(FAST)),
      KeepaliveClient.connect(hosts, port, null),
    ]);
    // Let a probe or two be answered first: the fault lands in a live keepalive cycle.
    await randomPause(1000, 2000);
    const faultAt = Date.now();
    if (vanish === 'link-down') await hosts.linkDown('b');
    else await hosts.silence('b', vanish);
    // Nothing arrives from the peer from here on, so this is its last packet for good.
    const { lastPacketAt } = await guarded.openInfo();
    const window = detectionWindow(FAST);
    const error = await guarded.nextError(errorWait(window.latest));
    await sleepUntil(lastPacketAt + window.latest);
    return {
      detection: detection(error, lastPacketAt, faultAt),
      twin: await stillOpen(twin),
      discardedIcmps: await tcpExtCounter(hosts, 'a', 'OutOfWindowIcmps'),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 2. Rebooted peer

export interface RebootedPeerResult {
  /** afterFault: from the moment the rebooted host answers again. */
  readonly detection: Detection;
  /** The peer's side went away without a word reaching us (its RST was dropped). */
  readonly twin: StillOpen;
}

/**
 * The peer's host loses all its connections without telling anyone (silence, `ss -K`, and
 * back): a keepalive connection learns it from the reset that answers its next probe; a twin
 * without keepalive does not learn it at all while it stays idle.
 */
export function rebootedPeer(): Promise<RebootedPeerResult> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const [guarded, twin] = await Promise.all([
      KeepaliveClient.connect(hosts, port, options(FAST)),
      KeepaliveClient.connect(hosts, port, null),
    ]);
    await randomPause(1000, 2000);
    await hosts.silence('b');
    const { lastPacketAt } = await guarded.openInfo();
    await hosts.killSockets('b');
    await hosts.unsilence('b');
    const answersAt = Date.now();
    const error = await guarded.nextError(errorWait(FAST.idle + FAST.interval));
    await sleepUntil(answersAt + FAST.idle + FAST.interval);
    return { detection: detection(error, lastPacketAt, answersAt), twin: await stillOpen(twin) };
  });
}

export interface HungPeerResult {
  /** The keepalive connection, once a keepalive bound has passed since the peer stopped. */
  readonly client: StillOpen & {
    /** ms since the last packet from the peer at that point: the probes' answers. */
    readonly sinceLastPacket: number | null;
    /** Segments not yet acknowledged: data written to the stopped peer was ACKed by its kernel. */
    readonly unacked: number | null;
  };
}

/**
 * What keepalive cannot see: the peer's application hangs (SIGSTOP) while its host is fine.
 * Its kernel still answers every probe and even ACKs data into the receive buffer.
 */
export function hungPeer(): Promise<HungPeerResult> {
  return withHosts(async (hosts) => {
    const peer = hosts.spawnNode('b', ECHO_SERVER, [hosts.b.addr]);
    const { port } = await peer.nextMessage<Message & { port: number }>('listening');
    const client = await KeepaliveClient.connect(hosts, port, options(FAST));
    await randomPause(500, 1000);
    peer.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await client.write('are you there?');
    await sleepUntil(stoppedAt + detectionWindow(FAST).latest);
    const reply = await client.info();
    return {
      client: {
        ...(await stillOpen(client, reply)),
        sinceLastPacket: reply.closed ? null : reply.at - reply.lastPacketAt,
        unacked: reply.closed ? null : reply.info.unacked,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 3. The server's side

interface ConnectionMessage extends Message {
  id: number;
  keepalive: KeepaliveState;
}
interface ServerInfo extends Message {
  closed: boolean;
  lastPacketAt?: number;
  info?: { state: TcpStateName };
}

export interface ServerSideResult {
  /** setKeepalive(server, ...) on the listening server. */
  readonly listening: KeepaliveState;
  /** getKeepalive() of the accepted connection, never configured itself. */
  readonly accepted: KeepaliveState;
  /** Of the accepted connection whose client vanished. */
  readonly detection: Detection;
  /** A client that stayed (in the server's host) still gets its echo, and its connection no error. */
  readonly stayingEcho: string | null;
  readonly stayingErrors: readonly string[];
  /** A new client from the vanished host, once it is back, is served. */
  readonly newClientEcho: string | null;
}

/**
 * The classic use: a server in host b configured once with setKeepalive(server, FAST); a
 * client in host a that vanishes; another client that stays.
 */
export function serverSide(): Promise<ServerSideResult> {
  return withHosts(async (hosts) => {
    const server = hosts.spawnNode('b', KEEPALIVE_SERVER, ['0.0.0.0', JSON.stringify(options(FAST))]);
    const { port, state: listening } = await server.nextMessage<Message & { port: number; state: KeepaliveState }>(
      'listening',
    );
    const nextConnection = (): Promise<ConnectionMessage> => server.nextMessage<ConnectionMessage>('connection');

    const vanishing = hosts.spawnNode('a', TCP_CLIENT, [hosts.b.addr, String(port)]);
    await vanishing.nextMessage('connected');
    const { id: vanishingId, keepalive: accepted } = await nextConnection();
    // The client that stays runs beside the server and reaches it over loopback.
    const staying = hosts.spawnNode('b', TCP_CLIENT, [hosts.b.addr, String(port)]);
    await staying.nextMessage('connected');
    await nextConnection();

    await randomPause(1000, 2000);
    const faultAt = Date.now();
    await hosts.silence('a');
    server.send({ cmd: 'info', id: vanishingId });
    const info = await server.nextMessage<ServerInfo>((m) => m.type === 'info' && m.id === vanishingId);
    if (info.closed || info.lastPacketAt === undefined) throw new Error('accepted connection closed too early');
    const window = detectionWindow(FAST);
    const error = await server.nextMessage<ErrorMessage>(
      (m) => m.type === 'socket-error' && m.id === vanishingId,
      errorWait(window.latest),
    );
    await sleepUntil(info.lastPacketAt + window.latest);

    staying.send({ cmd: 'write', data: 'still here' });
    const stayingEcho = (await staying.nextMessage<Message & { data: string }>('data')).data;
    await hosts.unsilence('a');
    const newcomer = hosts.spawnNode('a', TCP_CLIENT, [hosts.b.addr, String(port)]);
    await newcomer.nextMessage('connected');
    newcomer.send({ cmd: 'write', data: 'hello again' });
    const newClientEcho = (await newcomer.nextMessage<Message & { data: string }>('data')).data;

    return {
      listening,
      accepted,
      detection: detection(error, info.lastPacketAt, faultAt),
      stayingEcho,
      stayingErrors: staying.messages.filter((m) => m.type === 'error').map((m) => String(m.code)),
      newClientEcho,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 4. Unacknowledged data

export const USER_TIMEOUT = 3000;

export interface DataInFlightResult {
  /** The connection with userTimeout: its error, afterFault counted from the write. */
  readonly userTimeout: Detection;
  /** The connection with keepalive only, checked once its keepalive bound has passed. */
  readonly keepaliveOnly: StillOpen & {
    /** Keepalive probes sent since the write (tcp_info's probe count then and at the check). */
    readonly probesSinceWrite: number | null;
    readonly unacked: number | null;
    readonly totalRetrans: number | null;
  };
}

/**
 * Two connections with FAST keepalive, one also with userTimeout 3 s, write to a peer that has
 * vanished (dropping everything, or answering with ICMP host-unreachable).
 */
export function dataInFlight(vanish: SilenceMode): Promise<DataInFlightResult> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const [keepaliveOnly, bounded] = await Promise.all([
      KeepaliveClient.connect(hosts, port, options(FAST)),
      KeepaliveClient.connect(hosts, port, options(FAST, { userTimeout: USER_TIMEOUT })),
    ]);
    await randomPause(1000, 2000);
    await hosts.silence('b', vanish);
    const [last, lastBounded] = await Promise.all([keepaliveOnly.openInfo(), bounded.openInfo()]);
    const [, writtenAt] = await Promise.all([keepaliveOnly.write('unanswered'), bounded.write('unanswered')]);
    // Between the silence and the write the connection is idle: a probe may
    // leave there if this process runs late (idle is 1 s). From the write on,
    // data is in flight and keepalive must not probe: counted from here.
    const atWrite = await keepaliveOnly.openInfo();
    const error = await bounded.nextError(errorWait(withMargin(USER_TIMEOUT)));
    // Keepalive alone would have ended an idle connection by now.
    await sleepUntil(last.lastPacketAt + detectionWindow(FAST).latest);
    const after = await keepaliveOnly.info();
    return {
      userTimeout: detection(error, lastBounded.lastPacketAt, writtenAt),
      keepaliveOnly: {
        ...(await stillOpen(keepaliveOnly, after)),
        probesSinceWrite: after.closed ? null : (after.info.probes ?? 0) - (atWrite.info.probes ?? 0),
        unacked: after.closed ? null : after.info.unacked,
        totalRetrans: after.closed ? null : after.info.totalRetrans,
      },
    };
  });
}

export interface IdleUserTimeoutResult {
  /** idle 1 s, interval 1 s, count 1: gives up after one unanswered probe. */
  readonly countOnly: Detection;
  /** The same with userTimeout 3 s: count no longer decides. */
  readonly withUserTimeout: Detection;
}

/** On an idle connection, TCP_USER_TIMEOUT replaces count as the keepalive's limit. */
export function idleUserTimeout(): Promise<IdleUserTimeoutResult> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const single: Timers = { idle: 1000, interval: 1000, count: 1 };
    const [countOnly, withUserTimeout] = await Promise.all([
      KeepaliveClient.connect(hosts, port, options(single)),
      KeepaliveClient.connect(hosts, port, options(single, { userTimeout: USER_TIMEOUT })),
    ]);
    await randomPause(1000, 2000);
    const faultAt = Date.now();
    await hosts.silence('b');
    const [lastA, lastB] = await Promise.all([countOnly.openInfo(), withUserTimeout.openInfo()]);
    const [errorA, errorB] = await Promise.all([
      countOnly.nextError(errorWait(detectionWindow(single).latest)),
      withUserTimeout.nextError(errorWait(withMargin(USER_TIMEOUT))),
    ]);
    return {
      countOnly: detection(errorA, lastA.lastPacketAt, faultAt),
      withUserTimeout: detection(errorB, lastB.lastPacketAt, faultAt),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 5. Probes

export interface ProbesRisingResult {
  /** Each change of tcp_info's probe count, ms after the last packet from the peer. */
  readonly seen: readonly { readonly probes: number; readonly afterLastPacket: number }[];
  readonly detection: Detection;
}

/** tcp_info's unanswered-probe count while the peer is silent, polled every 10 ms. */
export function probesRising(): Promise<ProbesRisingResult> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const client = await KeepaliveClient.connect(hosts, port, options(FAST));
    await randomPause(1000, 2000);
    const faultAt = Date.now();
    await hosts.silence('b');
    const { lastPacketAt } = await client.openInfo();
    client.watchProbes();
    const error = await client.nextError(errorWait(detectionWindow(FAST).latest));
    return {
      seen: client.probeChanges().map((m) => ({ probes: m.probes, afterLastPacket: m.at - lastPacketAt })),
      detection: detection(error, lastPacketAt, faultAt),
    };
  });
}

export interface WireProbe {
  readonly seq: number;
  /** The next sequence number the peer expects (its last acknowledgement). */
  readonly nextExpected: number;
  readonly payloadLength: number;
  /**
   * ms after the last segment from the peer (the previous probe's answer, or the SYN-ACK):
   * the idle time the kernel counted before sending this probe.
   */
  readonly afterLastFromPeer: number;
  /** The peer's answer: its acknowledgement number and delay (null: unanswered). */
  readonly answer: { readonly ack: number; readonly payloadLength: number; readonly delay: number } | null;
}

export interface ProbesOnTheWireResult {
  readonly probes: readonly WireProbe[];
  /** Segments after the handshake that are neither a probe nor the answer to one. */
  readonly otherSegments: readonly TcpSegment[];
  /** ms captured after the connection was established. */
  readonly capturedFor: number;
}

const CAPTURE_MS = 3500;

/**
 * A capture on host a's end of the link (tcpdump, pcap parsed here) while a connection with
 * FAST keepalive sits idle and its peer is alive.
 */
export function probesOnTheWire(): Promise<ProbesOnTheWireResult> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const tcpdump = hosts.spawnProcess('a', 'tcpdump', [
      '-i', hosts.a.iface, '-n', '--immediate-mode', '-U', '-s', '128', '-w', '-', 'tcp', 'port', String(port),
    ]);
    const chunks: Buffer[] = [];
    tcpdump.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((resolve) => tcpdump.once('close', () => resolve()));
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      tcpdump.stderr!.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (stderr.includes('listening on')) resolve();
      });
      void closed.then(() => reject(new Error(`tcpdump exited: ${stderr}`)));
    });

    const client = await KeepaliveClient.connect(hosts, port, options(FAST));
    await sleep(CAPTURE_MS);
    tcpdump.kill('SIGINT'); // flushes and exits
    await closed;
    return analyseCapture(parseTcpSegments(Buffer.concat(chunks)), hosts, client.connected.localPort);
  });
}

function analyseCapture(segments: TcpSegment[], hosts: TestHosts, localPort: number): ProbesOnTheWireResult {
  const ours = segments.filter(
    (s) => (s.src === hosts.a.addr && s.srcPort === localPort) || (s.dst === hosts.a.addr && s.dstPort === localPort),
  );
  // The handshake: SYN, SYN-ACK, then our first segment without SYN.
  const handshakeEnd = ours.findIndex((s) => s.src === hosts.a.addr && !s.flags.syn);
  if (handshakeEnd < 0) throw new Error(`no handshake in the capture: ${JSON.stringify(ours)}`);

  const probes: WireProbe[] = [];
  const otherSegments: TcpSegment[] = [];
  let nextExpected: number | undefined;
  let lastFromPeer = ours[0]!.time;
  let unanswered: { index: number; time: number } | undefined;
  for (const [i, segment] of ours.entries()) {
    if (segment.src === hosts.b.addr) {
      nextExpected = segment.ack;
      lastFromPeer = segment.time;
      if (i < handshakeEnd) continue;
      if (unanswered === undefined) {
        otherSegments.push(segment);
        continue;
      }
      const answer = { ack: segment.ack, payloadLength: segment.payloadLength, delay: segment.time - unanswered.time };
      probes[unanswered.index] = { ...probes[unanswered.index]!, answer };
      unanswered = undefined;
      continue;
    }
    if (i <= handshakeEnd) continue;
    if (!isKeepaliveProbe(segment, nextExpected)) {
      otherSegments.push(segment);
      continue;
    }
    unanswered = { index: probes.length, time: segment.time };
    probes.push({
      seq: segment.seq,
      nextExpected: nextExpected!,
      payloadLength: segment.payloadLength,
      afterLastFromPeer: segment.time - lastFromPeer,
      answer: null,
    });
  }
  const established = ours[handshakeEnd]!.time;
  return { probes, otherSegments, capturedFor: (ours.at(-1)?.time ?? established) - established };
}

// ---------------------------------------------------------------------------------------------
// 6. System defaults

export const SYSCTL_TIMERS: Timers = { idle: 2000, interval: 1000, count: 2 };

export interface SystemDefaultsResult {
  /** setKeepalive(socket, { enable: true }) and getKeepalive() right after. */
  readonly state: KeepaliveState | null;
  readonly keepalive: KeepaliveState;
  readonly defaults: SystemDefaults;
  readonly detection: Detection;
  /** The machine's own tcp_keepalive_time before and after: untouched. */
  readonly hostIdle: readonly [string, string];
}

const HOST_KEEPALIVE_TIME = '/proc/sys/net/ipv4/tcp_keepalive_time';

/**
 * Host a's namespace has tcp_keepalive_time/intvl/probes = 2/1/2; a socket with only
 * `enable: true` follows them when its peer vanishes.
 */
export function systemDefaultTimers(): Promise<SystemDefaultsResult> {
  const hostBefore = readFileSync(HOST_KEEPALIVE_TIME, 'utf8').trim();
  return withHosts(
    async (hosts) => {
      const port = await startPeer(hosts);
      const client = await KeepaliveClient.connect(hosts, port, { enable: true });
      await randomPause(1000, 2000);
      const faultAt = Date.now();
      await hosts.silence('b');
      const { lastPacketAt } = await client.openInfo();
      const error = await client.nextError(errorWait(detectionWindow(SYSCTL_TIMERS).latest));
      return {
        state: client.connected.state,
        keepalive: client.connected.keepalive,
        defaults: client.connected.defaults,
        detection: detection(error, lastPacketAt, faultAt),
        hostIdle: [hostBefore, readFileSync(HOST_KEEPALIVE_TIME, 'utf8').trim()] as const,
      };
    },
    {
      sysctls: {
        'net.ipv4.tcp_keepalive_time': SYSCTL_TIMERS.idle / 1000,
        'net.ipv4.tcp_keepalive_intvl': SYSCTL_TIMERS.interval / 1000,
        'net.ipv4.tcp_keepalive_probes': SYSCTL_TIMERS.count,
      },
    },
  );
}

export interface LiveSysctlResult {
  readonly countBefore: number | null;
  readonly countAfter: number | null;
  readonly detection: Detection;
}

/**
 * A live connection that never set its own count follows the namespace's
 * tcp_keepalive_probes when it changes (9 -> 2 here), for the very next probe cycle.
 */
export function liveSysctlCount(): Promise<LiveSysctlResult> {
  return withHosts(
    async (hosts) => {
      const port = await startPeer(hosts);
      const client = await KeepaliveClient.connect(hosts, port, { enable: true });
      await hosts.sysctl('a', 'net.ipv4.tcp_keepalive_probes', 2);
      client.child.send({ cmd: 'get' });
      const after = await client.child.nextMessage<Message & { keepalive: KeepaliveState }>('get');
      await randomPause(1000, 2000);
      const faultAt = Date.now();
      await hosts.silence('b');
      const { lastPacketAt } = await client.openInfo();
      const error = await client.nextError(errorWait(detectionWindow({ ...FAST, count: 2 }).latest));
      return {
        countBefore: client.connected.keepalive.count,
        countAfter: after.keepalive.count,
        detection: detection(error, lastPacketAt, faultAt),
      };
    },
    { sysctls: { 'net.ipv4.tcp_keepalive_time': 1, 'net.ipv4.tcp_keepalive_intvl': 1, 'net.ipv4.tcp_keepalive_probes': 9 } },
  );
}

export interface LiveSysctlIdleResult {
  /** getKeepalive().idle right after the sysctl changed 3 s -> 1 s. */
  readonly idleReported: number | null;
  /** When probe 1 went out, ms after the last packet from the peer. */
  readonly firstProbe: number | undefined;
  readonly detection: Detection;
}

/**
 * tcp_keepalive_time lowered (3 s -> 1 s) on a live connection that follows it: getKeepalive()
 * reports the new value at once, but the timer armed with the old one still runs.
 */
export function liveSysctlIdle(): Promise<LiveSysctlIdleResult> {
  return withHosts(
    async (hosts) => {
      const port = await startPeer(hosts);
      const client = await KeepaliveClient.connect(hosts, port, { enable: true });
      await sleep(500);
      await hosts.sysctl('a', 'net.ipv4.tcp_keepalive_time', 1);
      client.child.send({ cmd: 'get' });
      const after = await client.child.nextMessage<Message & { keepalive: KeepaliveState }>('get');
      const faultAt = Date.now();
      await hosts.silence('b');
      const { lastPacketAt } = await client.openInfo();
      client.watchProbes();
      const error = await client.nextError(errorWait(detectionWindow({ idle: 3000, interval: 1000, count: 2 }).latest));
      const firstProbe = client.probeSeenAt(1);
      return {
        idleReported: after.keepalive.idle,
        firstProbe: firstProbe === undefined ? undefined : firstProbe - lastPacketAt,
        detection: detection(error, lastPacketAt, faultAt),
      };
    },
    { sysctls: { 'net.ipv4.tcp_keepalive_time': 3, 'net.ipv4.tcp_keepalive_intvl': 1, 'net.ipv4.tcp_keepalive_probes': 2 } },
  );
}

// ---------------------------------------------------------------------------------------------
// 7. Options changed on a live connection

export interface LiveChangeResult {
  /** ms from the last packet from the peer to the change. */
  readonly changedAfterLastPacket: number;
  /**
   * That last packet was the peer's answer to a keepalive probe: the silence came only after
   * a probe had gone out (a slow start-up of the drop rule). The kernel then sends the next
   * probe one interval after that answer, not idle after it.
   */
  readonly probeAnsweredBeforeFault: boolean;
  /** Probe count changes, ms after the change (negative: before it). */
  readonly probesAfterChange: readonly { readonly probes: number; readonly at: number }[];
  /** afterFault: from the change. */
  readonly detection: Detection | null;
  /** Set when no error came: the connection as it was at the end. */
  readonly survivor: StillOpen | null;
}

export interface LiveChangePlan {
  /** Options as the connection starts (null: no keepalive at all). */
  readonly initial: KeepaliveOptions | null;
  /** The change, made right after the peer vanishes... */
  readonly change: KeepaliveOptions;
  /** ...or when the probe count reaches this (then made inside the child, no round trip). */
  readonly atProbes?: number;
  /** Expect no error: wait this long after the change, then report the connection. */
  readonly survivesFor?: number;
}

/** Generous: every plan here ends within 10 s of its change. */
const LIVE_CHANGE_WAIT = errorWait(withMargin(10_000));

/**
 * The peers of these connections send nothing after the handshake, so an ACK received well
 * after the last data (the handshake) can only be the answer to a keepalive probe.
 */
const answeredProbe = (info: OpenInfo['info']): boolean =>
  (info.lastDataRecv ?? 0) - (info.lastAckRecv ?? 0) >= 500;

async function applyChange(client: KeepaliveClient, plan: LiveChangePlan): Promise<LiveChangeResult> {
  const { lastPacketAt, info } = await client.openInfo();
  const probeAnsweredBeforeFault = answeredProbe(info);
  let changedAt: number;
  if (plan.atProbes === undefined) {
    client.watchProbes();
    changedAt = (await client.set(plan.change)).at;
  } else {
    client.watchProbes({ onProbes: { probes: plan.atProbes, options: plan.change } });
    changedAt = (await client.changeMade(LIVE_CHANGE_WAIT)).at;
  }
  const relative = (): LiveChangeResult['probesAfterChange'] =>
    client.probeChanges().map((m) => ({ probes: m.probes, at: m.at - changedAt }));
  if (plan.survivesFor !== undefined) {
    await sleep(plan.survivesFor);
    return {
      changedAfterLastPacket: changedAt - lastPacketAt,
      probeAnsweredBeforeFault,
      probesAfterChange: relative(),
      detection: null,
      survivor: await stillOpen(client),
    };
  }
  const error = await client.nextError(LIVE_CHANGE_WAIT);
  return {
    changedAfterLastPacket: changedAt - lastPacketAt,
    probeAnsweredBeforeFault,
    probesAfterChange: relative(),
    detection: detection(error, lastPacketAt, changedAt),
    survivor: null,
  };
}

/**
 * One connection per plan to the same peer; after `pauseMs` of idle the peer vanishes and each
 * connection gets its change.
 */
export function liveChanges(pauseMs: number, ...plans: LiveChangePlan[]): Promise<LiveChangeResult[]> {
  return withHosts(async (hosts) => {
    const port = await startPeer(hosts);
    const clients = await Promise.all(plans.map((plan) => KeepaliveClient.connect(hosts, port, plan.initial)));
    await sleep(pauseMs);
    await hosts.silence('b');
    return Promise.all(clients.map((client, i) => applyChange(client, plans[i]!)));
  });
}

/** idle 60 s, set to 3 s about 1 s after the last packet (pause 1000): counted from that packet. */
export const IDLE_LONGER_THAN_ELAPSED: LiveChangePlan = {
  initial: { idle: 60_000, interval: 1000, count: 2 },
  change: { idle: 3000 },
};

/** idle 60 s, set to 1 s about 2 s after the last packet (pause 2000): already over, probe at once. */
export const IDLE_ALREADY_ELAPSED: LiveChangePlan = {
  initial: { idle: 60_000, interval: 1000, count: 2 },
  change: { idle: 1000 },
};

/** interval 2 s -> 1 s after the first probe: the pending wait keeps the old interval. */
export const INTERVAL_ONLY: LiveChangePlan = {
  initial: { idle: 1000, interval: 2000, count: 3 },
  change: { interval: 1000 },
  atProbes: 1,
};

/** The same change with idle (unchanged) passed too: setting idle re-arms the timer now. */
export const INTERVAL_WITH_IDLE: LiveChangePlan = {
  ...INTERVAL_ONLY,
  change: { idle: 1000, interval: 1000 },
};

/** count 10 -> 1 after the second probe: the connection ends at the next timer, not at once. */
export const COUNT_BELOW_SENT: LiveChangePlan = {
  initial: { idle: 1000, interval: 1000, count: 10 },
  change: { count: 1 },
  atProbes: 2,
};

/** Keepalive turned on 2 s after the last packet (pause 2000): the first probe comes idle after the call. */
export const ENABLE_LATE: LiveChangePlan = {
  initial: null,
  change: { enable: true, idle: 1000, interval: 1000, count: 2 },
};

/** Keepalive turned off after the first unanswered probe: no more probes, no error. */
export const DISABLE_MID_CYCLE: LiveChangePlan = {
  initial: { idle: 1000, interval: 1000, count: 3 },
  change: { enable: false },
  atProbes: 1,
  survivesFor: detectionWindow(FAST).latest,
};
