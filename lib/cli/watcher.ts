// Watches one connection until it ends: its TCP state, the countdown to the
// next keepalive probe, each probe and its answer, and how it ended.
//
// Two sources, both read by the Monitor's tick: TCP_INFO (state, probes the
// kernel counts, time since the last ACK, segment counters) and, where the
// process may capture, the connection's packets. Without packets, probes and
// answers are inferred from TCP_INFO and every such event says so.
import { setTimeout as sleep } from 'node:timers/promises';
import type net from 'node:net';
import { fstatSync } from 'node:fs';
import {
  capabilities,
  getKeepalive,
  getTcpInfo,
  setKeepalive,
  type KeepaliveState,
  type TcpInfo,
  type TcpStateName,
} from '../index';
import { descriptorOf } from '../target';
import { TCP_ACK, type Segment } from './capture';
import { ExitCode, type ExitCodeValue } from './exit';
import { formatCountdown, formatElapsed, formatEndpoint, plural, unmapIPv4 } from './format';
import type { Reporter } from './output';
import type { ProcTcpEntry } from './procnet';
import { describeFlags, endpointKey, flowKey, type SegmentLabel } from './segments';
import { KEEPALIVE_STATES, nextProbe } from './timers';

export type EndReason = 'ETIMEDOUT' | 'ECONNRESET' | 'closed-by-peer' | 'error' | 'interrupted' | 'stopped';

export interface Outcome {
  readonly reason: EndReason;
  /** The error code, for errors ('ETIMEDOUT', 'EPIPE', ...). */
  readonly code: string | null;
  /** One line: "ETIMEDOUT after 3 unanswered probes, 4.1 s after the last ACK". */
  readonly message: string;
  readonly exitCode: ExitCodeValue;
}

export type ProbeTrigger = 'key' | 'flag' | 'signal' | 'timer';

export interface WatcherOptions {
  /** Connection id in events (1, 2, ... for listen; 'A' in the demo). */
  readonly id: number | string;
  /** Put before each text line ('' for a single connection). */
  readonly prefix: string;
  readonly reporter: Reporter;
  /** Packets are captured for this connection (otherwise inferred). */
  readonly captured: boolean;
  /** Send one probe on demand once the connection is idle long enough. */
  readonly probeOnce?: boolean;
  /** Send a probe on demand this often, ms. */
  readonly probeEveryMs?: number | null;
}

interface Sample {
  readonly info: TcpInfo;
  readonly at: number;
}

// Emitted at most this often per connection in --json mode.
const STATUS_EVERY_MS = 1000;
// How long the capture may lag behind TCP_INFO before a probe the kernel
// counted is reported as not seen on the wire.
const CAPTURE_GRACE_MS = 300;

// Segments reported as 'packet' events; data and its ACKs would flood the
// output of a busy connection, and show up as 'data' events instead.
const REPORTED_LABELS = new Set<SegmentLabel>(['TCP Keep-Alive', 'TCP Keep-Alive ACK', 'RST', 'FIN', 'SYN', 'SYN-ACK']);

export class ConnectionWatcher {
  readonly socket: net.Socket;
  readonly id: number | string;
  readonly localKey: string;
  readonly remoteKey: string;
  /** The same for both directions: how the Monitor hands over packets. */
  readonly flowKey: string;
  readonly inode: number | null;
  readonly startedAt = Date.now();

  private settings: KeepaliveState;
  private sample: Sample | null = null;
  private procEntry: ProcTcpEntry | null = null;
  private procReadAt: number | null = null;
  private state: TcpStateName = 'ESTABLISHED';
  private unanswered = 0;
  private probesSent = 0;
  private lastProbeAt: number | null = null;
  private lastProbeCaptured = false;
  private lastAckAt: number;
  private probeCountMismatchSince: number | null = null;
  private rstAnsweredProbe = false;
  private peerClosed = false;
  private socketError: NodeJS.ErrnoException | null = null;
  private stopReason: 'interrupted' | 'stopped' | null = null;
  private lastStatusAt = 0;
  private probing = false;
  private onDemandPending = false;
  private lastOnDemandAt: number;
  private outcome: Outcome | null = null;
  private readonly endListeners: ((outcome: Outcome) => void)[] = [];
  /** Hands over packets captured but not yet read (set by the Monitor). */
  private flushPackets: (() => void) | null = null;

  constructor(
    socket: net.Socket,
    private readonly options: WatcherOptions,
  ) {
    this.socket = socket;
    this.id = options.id;
    this.localKey = endpointKey(socket.localAddress ?? '', socket.localPort ?? 0);
    this.remoteKey = endpointKey(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    this.flowKey = flowKey(this.localKey, this.remoteKey);
    this.inode = inodeOf(socket);
    this.settings = getKeepalive(socket);
    this.lastAckAt = this.startedAt;
    this.lastOnDemandAt = this.startedAt;
    this.takeSample(Date.now());
    if (this.sample?.info.lastAckRecv != null) this.lastAckAt = this.sample.at - this.sample.info.lastAckRecv;

    socket.on('data', (chunk: Buffer) => {
      this.emit('data', { bytes: chunk.length }, `<- ${plural(chunk.length, 'byte')} of data (keepalive timer restarts)`);
    });
    socket.on('end', () => {
      this.peerClosed = true;
      this.emit('fin', {}, '<- FIN: the peer closed the connection');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.socketError ??= error;
    });
    socket.on('close', () => this.finish());
  }

  /** Starts what the options ask for beyond watching (--probe), once the connection has been reported. */
  begin(): void {
    if (this.options.probeOnce) void this.requestProbe('flag');
  }

  get ended(): boolean {
    return this.outcome !== null;
  }

  get keepalive(): KeepaliveState {
    return this.settings;
  }

  /** Probes this side sent, and how many are unanswered now. */
  get probes(): { sent: number; unanswered: number } {
    return { sent: this.probesSent, unanswered: this.unanswered };
  }

  /** Called before the end is described, so that the last packets (a RST) count. */
  setPacketFlush(flush: () => void): void {
    this.flushPackets = flush;
  }

  onEnd(listener: (outcome: Outcome) => void): void {
    if (this.outcome) listener(this.outcome);
    else this.endListeners.push(listener);
  }

  /** Ends the watch from this side (Ctrl-C, --duration): the connection is closed. */
  stop(reason: 'interrupted' | 'stopped'): void {
    if (this.ended) return;
    this.stopReason = reason;
    this.socket.destroy();
    this.finish();
  }

  // --- Sources -----------------------------------------------------------

  /** One captured segment of this connection, already labelled. */
  onSegment(segment: Segment, label: SegmentLabel): void {
    if (this.ended) return;
    const outgoing = endpointKey(segment.srcAddress, segment.srcPort) === this.localKey;
    const at = segment.timeMs;
    if (REPORTED_LABELS.has(label)) this.reportPacket(segment, label, outgoing);
    const arrow = outgoing ? '->' : '<-';
    const numbers = `seq=${segment.seq} ack=${segment.ack}`;
    if (outgoing && label === 'TCP Keep-Alive') {
      this.probeSent(at, 'capture', `${arrow} TCP Keep-Alive      ${numbers}`, segment.seq);
    } else if (!outgoing && label === 'TCP Keep-Alive') {
      this.emit('peer-probe', { source: 'capture' }, `${arrow} TCP Keep-Alive      ${numbers}  (the peer's probe)`, at);
    } else if (outgoing && label === 'TCP Keep-Alive ACK') {
      this.note(`${arrow} TCP Keep-Alive ACK  ${numbers}  (our answer to the peer)`, at);
    } else if (!outgoing && label === 'RST') {
      if (this.unanswered > 0) {
        this.rstAnsweredProbe = true;
        this.answered(at, 'RST', 'capture', `${arrow} RST                 ${numbers}`);
      } else {
        this.note(`${arrow} RST                 ${numbers}`, at);
      }
    } else if (!outgoing && segment.flags & TCP_ACK) {
      if (this.unanswered > 0) {
        const text = label === 'TCP Keep-Alive ACK' ? `${arrow} TCP Keep-Alive ACK  ${numbers}` : `${arrow} ${label} ${numbers}`;
        this.answered(at, 'ACK', 'capture', text);
      }
      this.lastAckAt = Math.max(this.lastAckAt, at);
    } else if (outgoing && label === 'RST') {
      this.note(`${arrow} RST                 ${numbers}  (sent by this side's kernel)`, at);
    }
  }

  /** The 'packet' event (JSON only: the text view shows what the packet meant). */
  private reportPacket(segment: Segment, label: SegmentLabel, outgoing: boolean): void {
    const fields = {
      direction: outgoing ? 'out' : 'in',
      label,
      seq: segment.seq,
      ack: segment.ack,
      length: segment.payloadLength,
      window: segment.window,
      flags: describeFlags(segment.flags),
    };
    this.emit('packet', fields, null, segment.timeMs);
  }

  /** Called by the Monitor every tick with the namespace's /proc/net/tcp (if any). */
  tick(now: number, procTable: Map<number, ProcTcpEntry> | null): void {
    if (this.ended) return;
    const previous = this.sample;
    // The moment TCP_INFO is read, which may be a little after `now`, when
    // /proc/net/tcp was.
    if (!this.takeSample(Date.now())) return;
    const current = this.sample!;
    this.procEntry = this.inode !== null ? (procTable?.get(this.inode) ?? null) : null;
    this.procReadAt = procTable ? now : null;

    if (current.info.state !== this.state) {
      // The segment that changed the state (a RST, a FIN) was captured
      // before TCP handled it: report it first, so that lines stay in time order.
      this.flushPackets?.();
      this.emit('state', { from: this.state, to: current.info.state }, `state ${this.state} -> ${current.info.state}`);
      this.state = current.info.state;
    }
    if (previous) {
      if (this.options.captured) this.reconcile(current);
      else this.infer(current, previous);
    }
    if (this.options.reporter.json && now - this.lastStatusAt >= STATUS_EVERY_MS) {
      this.lastStatusAt = now;
      this.emit('status', this.statusFields(now), null, now);
    }
    const every = this.options.probeEveryMs;
    if (every && !this.probing && now - this.lastOnDemandAt >= every) void this.requestProbe('timer');
  }

  // --- Probes and answers ------------------------------------------------

  private probeSent(at: number, source: 'capture' | 'inferred', text: string | null, seq?: number, note?: string): void {
    this.unanswered += 1;
    this.probesSent += 1;
    this.lastProbeAt = at;
    this.lastProbeCaptured = source === 'capture';
    const onDemand = this.onDemandPending;
    this.onDemandPending = false;
    const limit = this.limitText();
    // Two counts: unanswered since the last answer (what drops the connection), and all probes so far.
    const parts = [`unanswered in a row: ${this.unanswered}${limit}`, `probes sent so far: ${this.probesSent}`];
    if (onDemand) parts.push('sent on demand');
    if (note) parts.push(note);
    const line = text ?? '-> keepalive probe';
    this.emit(
      'probe',
      { probe: this.probesSent, unanswered: this.unanswered, source, onDemand, ...(seq !== undefined ? { seq } : {}), ...(note ? { note } : {}) },
      `${line}  ${parts.join(', ')}`,
      at,
    );
  }

  private answered(at: number, kind: 'ACK' | 'RST', source: 'capture' | 'inferred', text: string): void {
    const rttMs = this.lastProbeAt !== null && source === 'capture' && this.lastProbeCaptured ? at - this.lastProbeAt : null;
    const wasUnanswered = this.unanswered;
    this.unanswered = 0;
    if (kind === 'ACK') this.lastAckAt = Math.max(this.lastAckAt, at);
    const detail =
      kind === 'RST'
        ? 'the peer answered the probe with a reset'
        : rttMs !== null
          ? `answered in ${formatElapsed(rttMs)}`
          : 'probe answered';
    this.emit('answer', { kind, rttMs, answeredProbes: wasUnanswered, source }, `${text}  ${detail}`, at);
  }

  private limitText(): string {
    const userTimeout = this.settings.userTimeout ?? 0;
    if (userTimeout > 0) return ` (dropped at the user timeout, ${formatElapsed(userTimeout)} after the last ACK)`;
    return this.settings.count !== null ? `/${this.settings.count}` : '';
  }

  /** With packets: report probes the kernel counted that never showed on the wire. */
  private reconcile(current: Sample): void {
    const counted = current.info.probes ?? 0;
    if (counted <= this.unanswered) {
      this.probeCountMismatchSince = null;
      return;
    }
    this.probeCountMismatchSince ??= current.at;
    if (current.at - this.probeCountMismatchSince < CAPTURE_GRACE_MS) return;
    this.probeCountMismatchSince = null;
    while (this.unanswered < counted) {
      this.probeSent(
        this.estimateProbeTime(current),
        'inferred',
        '-> keepalive probe',
        undefined,
        'counted by the kernel (TCP_INFO) but no packet left on any interface',
      );
    }
  }

  /** Without packets: probes and answers from TCP_INFO's counters. */
  private infer(current: Sample, previous: Sample): void {
    const now = current.info;
    const before = previous.info;
    const dt = current.at - previous.at;
    const probesNow = now.probes ?? 0;
    const probesBefore = before.probes ?? 0;
    const noData = now.bytesReceived === before.bytesReceived && now.bytesSent === before.bytesSent;
    const ackArrived =
      now.lastAckRecv !== null && before.lastAckRecv !== null && now.lastAckRecv + 15 < before.lastAckRecv + dt;
    const ackAt = current.at - (now.lastAckRecv ?? 0);
    const segmentsOut = (now.segsOut ?? 0) - (before.segsOut ?? 0);
    const segmentsIn = (now.segsIn ?? 0) - (before.segsIn ?? 0);

    for (let n = probesBefore + 1; n <= probesNow && this.unanswered < probesNow; n++) {
      this.probeSent(this.estimateProbeTime(current), 'inferred', null, undefined, 'inferred from TCP_INFO');
    }
    if (!noData) {
      if (ackArrived) this.lastAckAt = Math.max(this.lastAckAt, ackAt);
      return;
    }
    if (!ackArrived) {
      // The peer's probe repeats an old sequence number: the kernel answers
      // with an ACK without taking it as one (last_ack_recv stays put).
      if (segmentsIn >= 1 && segmentsOut >= 1 && probesNow === 0 && this.unanswered === 0) {
        this.emit('peer-probe', { source: 'inferred' }, "<- the peer's keepalive probe, answered (inferred from TCP_INFO)", current.at - dt / 2);
      }
      return;
    }
    if (this.unanswered > 0 && probesNow === 0) {
      this.answered(ackAt, 'ACK', 'inferred', '<- ACK (inferred from TCP_INFO)');
    } else if (segmentsOut >= 1 && segmentsIn >= 1 && this.keepaliveWasDue(previous, dt)) {
      // Sent and answered between two looks: TCP_INFO's probe count was
      // back at 0 before it could be seen.
      this.probeSent(ackAt, 'inferred', null, undefined, 'inferred from TCP_INFO');
      this.answered(ackAt, 'ACK', 'inferred', '<- ACK (inferred from TCP_INFO)');
    }
    this.lastAckAt = Math.max(this.lastAckAt, ackAt);
  }

  /** Whether this side's keepalive timer could have fired since the last look. */
  private keepaliveWasDue(previous: Sample, dt: number): boolean {
    if (this.onDemandPending) return true;
    const { idle } = this.settings;
    if (!this.settings.enable || idle === null) return false;
    const sinceReceived = Math.min(previous.info.lastAckRecv ?? Infinity, previous.info.lastDataRecv ?? Infinity);
    return sinceReceived + dt >= idle - 150;
  }

  /** This side's keepalive timer had expired by `at`, judging by the last look. */
  private keepaliveDueAt(at: number): boolean {
    const sample = this.sample;
    const { idle } = this.settings;
    if (!sample || !this.settings.enable || idle === null) return false;
    const sinceReceived = Math.min(sample.info.lastAckRecv ?? Infinity, sample.info.lastDataRecv ?? Infinity);
    return sinceReceived + (at - sample.at) >= idle - 50;
  }

  /**
   * When a probe counted just now left. /proc/net/tcp was read at the start
   * of the tick: if the timer was about to expire then, the probe left at
   * that expiry; otherwise it had already left and the timer was re-armed
   * with `interval` at that moment.
   */
  private estimateProbeTime(current: Sample): number {
    const entry = this.procEntry;
    const readAt = this.procReadAt;
    if (entry?.timer === 'keepalive' && readAt !== null && this.settings.interval !== null) {
      const expiry = readAt + entry.timerLeftMs;
      const estimate = expiry <= current.at + 10 ? expiry : readAt - (this.settings.interval - entry.timerLeftMs);
      if (estimate <= current.at + 10 && estimate >= current.at - 1500) return Math.min(estimate, current.at);
    }
    return current.at;
  }

  // --- Status --------------------------------------------------------------

  /** When this side's next probe leaves, ms since the epoch; null if none is scheduled. */
  nextProbeAt(): number | null {
    const sample = this.sample;
    if (!sample) return null;
    const outstanding = Math.max(this.unanswered, sample.info.probes ?? 0);
    const lastProbeAgo = this.lastProbeAt === null ? null : sample.at - this.lastProbeAt;
    const next = nextProbe(this.settings, sample.info, this.procEntry, outstanding, lastProbeAgo);
    return next.kind === 'in' ? sample.at + next.ms : null;
  }

  statusFields(now: number): Record<string, unknown> {
    const next = this.nextProbeAt();
    const unacked = this.sample?.info.unacked ?? 0;
    return {
      state: this.state,
      keepalive: this.settings.enable,
      nextProbeInMs: next === null ? null : Math.max(0, Math.round(next - now)),
      unanswered: Math.max(this.unanswered, this.sample?.info.probes ?? 0),
      count: this.settings.count,
      lastAckAgoMs: Math.round(now - this.lastAckAt),
      ...(unacked > 0 ? { suspended: 'unacknowledged data: retransmission governs, not keepalive' } : {}),
    };
  }

  statusText(now: number): string {
    const fields = this.statusFields(now);
    const parts = [String(fields.state)];
    if (!this.settings.enable) {
      parts.push('keepalive off');
    } else if (fields.suspended) {
      parts.push('keepalive suspended: data unacknowledged');
    } else if (fields.nextProbeInMs !== null) {
      parts.push(`next probe in ${formatCountdown(fields.nextProbeInMs as number)}`);
    }
    if (this.settings.enable) parts.push(`unanswered ${fields.unanswered}${this.settings.count !== null ? `/${this.settings.count}` : ''}`);
    parts.push(`last ACK ${formatElapsed(fields.lastAckAgoMs as number)} ago`);
    return parts.join(' | ');
  }

  // --- Probes on demand ----------------------------------------------------

  /**
   * Sends one keepalive probe now: once the connection has been idle for the
   * kernel's minimum idle time, the idle time is lowered to that minimum (so
   * the timer fires at once), and put back as soon as the probe has left.
   * The answer shows up like any other.
   */
  async requestProbe(trigger: ProbeTrigger): Promise<void> {
    if (this.ended || this.probing) return;
    this.probing = true;
    this.lastOnDemandAt = Date.now();
    const refuse = (reason: string): void => {
      this.emit('probe-request', { trigger, result: 'refused', reason }, `probe on demand not sent: ${reason}`);
    };
    try {
      if (!this.settings.enable) return refuse('keepalive is off on this connection');
      const minimumIdle = capabilities().idle.min;
      let announced = false;
      let info = getTcpInfo(this.socket);
      for (;;) {
        if (!KEEPALIVE_STATES.has(info.state)) return refuse(`the connection is ${info.state}`);
        if ((info.unacked ?? 0) > 0) return refuse('data is unacknowledged, so keepalive is suspended');
        const idleFor = Math.min(info.lastAckRecv ?? 0, info.lastDataRecv ?? 0);
        if (idleFor >= minimumIdle + 20) break;
        if (!announced) {
          announced = true;
          this.emit(
            'probe-request',
            { trigger, result: 'waiting', waitMs: minimumIdle - idleFor },
            `probe on demand: waiting ${formatElapsed(minimumIdle - idleFor)} until the connection has been idle ${formatElapsed(minimumIdle)}`,
          );
        }
        await sleep(minimumIdle + 30 - idleFor);
        if (this.ended) return;
        info = getTcpInfo(this.socket);
      }
      const savedIdle = getKeepalive(this.socket).idle;
      const segmentsBefore = info.segsOut ?? 0;
      this.onDemandPending = true;
      setKeepalive(this.socket, { idle: minimumIdle });
      // The timer fires within a tick of the kernel's clock; put the idle
      // time back only once the probe has gone, or it would be re-armed.
      let sent = false;
      for (const deadline = Date.now() + 250; !sent && Date.now() < deadline; ) {
        await sleep(2);
        const now = getTcpInfo(this.socket);
        sent = (now.segsOut ?? 0) > segmentsBefore || (now.probes ?? 0) > 0;
      }
      if (savedIdle !== null) this.settings = setKeepalive(this.socket, { idle: savedIdle }) ?? getKeepalive(this.socket);
      if (sent) {
        this.emit('probe-request', { trigger, result: 'sent' }, null);
      } else {
        this.onDemandPending = false;
        refuse('the kernel did not send it within 250 ms');
      }
    } catch (error) {
      // The connection ended meanwhile: its end is reported on its own.
      if (!this.ended && !this.socket.destroyed) refuse((error as Error).message);
    } finally {
      this.probing = false;
      this.lastOnDemandAt = Date.now();
    }
  }

  // --- End -----------------------------------------------------------------

  private takeSample(now: number): boolean {
    if (this.socket.destroyed) return false;
    try {
      this.sample = { info: getTcpInfo(this.socket), at: now };
      return true;
    } catch {
      return false;
    }
  }

  private finish(): void {
    if (this.outcome) return;
    this.flushPackets?.();
    const now = Date.now();
    const outcome = this.describeEnd(now);
    this.outcome = outcome;
    this.emit(
      'end',
      {
        reason: outcome.reason,
        code: outcome.code,
        message: outcome.message,
        unanswered: Math.max(this.unanswered, this.sample?.info.probes ?? 0),
        sinceLastAckMs: Math.round(now - this.lastAckAt),
        durationMs: now - this.startedAt,
      },
      `connection ended: ${outcome.message}`,
      now,
    );
    for (const listener of this.endListeners.splice(0)) listener(outcome);
  }

  private describeEnd(now: number): Outcome {
    const sinceAck = `${formatElapsed(now - this.lastAckAt)} after the last ACK`;
    const unanswered = Math.max(this.unanswered, this.sample?.info.probes ?? 0);
    const error = this.socketError;
    if (this.stopReason === 'interrupted') {
      return { reason: 'interrupted', code: null, message: `interrupted; it was ${this.state}`, exitCode: ExitCode.INTERRUPTED };
    }
    if (this.stopReason === 'stopped') {
      return { reason: 'stopped', code: null, message: `closed by this side after ${formatElapsed(now - this.startedAt)}; it was ${this.state}`, exitCode: ExitCode.OK };
    }
    if (error?.code === 'ETIMEDOUT') {
      const userTimeout = this.settings.userTimeout ?? 0;
      let message: string;
      if (this.settings.enable && unanswered > 0 && userTimeout > 0) {
        message = `ETIMEDOUT: user timeout ${formatElapsed(userTimeout)} reached with ${plural(unanswered, 'unanswered probe')}, ${sinceAck}`;
      } else if (this.settings.enable && unanswered > 0) {
        message = `ETIMEDOUT after ${plural(unanswered, 'unanswered probe')}, ${sinceAck}`;
      } else {
        message = `ETIMEDOUT: data went unacknowledged until retransmission gave up, ${sinceAck}`;
      }
      return { reason: 'ETIMEDOUT', code: 'ETIMEDOUT', message, exitCode: ExitCode.TIMED_OUT };
    }
    if (error?.code === 'ECONNRESET') {
      // Without packets: a probe outstanding, or the keepalive timer due
      // just now (the probe and the RST both came between two looks).
      const probeDue = !this.options.captured && this.keepaliveDueAt(now);
      const answeredProbe = this.rstAnsweredProbe || unanswered > 0 || probeDue;
      const how = this.rstAnsweredProbe ? '' : answeredProbe ? ' (inferred: a probe was due or outstanding)' : '';
      const message = answeredProbe ? `ECONNRESET: peer answered a probe with RST${how}` : 'ECONNRESET: connection reset by peer';
      return { reason: 'ECONNRESET', code: 'ECONNRESET', message, exitCode: ExitCode.RESET };
    }
    if (error) {
      return { reason: 'error', code: error.code ?? null, message: `${error.code ?? 'error'}: ${error.message}`, exitCode: ExitCode.RESET };
    }
    if (this.peerClosed) {
      return { reason: 'closed-by-peer', code: null, message: `closed by peer after ${formatElapsed(now - this.startedAt)}`, exitCode: ExitCode.OK };
    }
    return { reason: 'closed-by-peer', code: null, message: 'closed', exitCode: ExitCode.OK };
  }

  private note(text: string, at: number): void {
    this.options.reporter.note(`${this.options.prefix}${text}`, at);
  }

  private emit(event: string, fields: Record<string, unknown>, text: string | null, at: number = Date.now()): void {
    this.options.reporter.event(event, { id: this.id, ...fields }, text === null ? null : `${this.options.prefix}${text}`, at);
  }
}

/** The socket's inode, which names it in /proc/net/tcp. */
function inodeOf(socket: net.Socket): number | null {
  try {
    return fstatSync(descriptorOf(socket, inodeOf)).ino;
  } catch {
    return null;
  }
}

/** "127.0.0.1:5000 -> 127.0.0.1:8080" as Node reports the socket. */
export function describeConnection(socket: net.Socket): string {
  return `${formatEndpoint(unmapIPv4(socket.localAddress ?? '?'), socket.localPort ?? 0)} -> ${formatEndpoint(
    unmapIPv4(socket.remoteAddress ?? '?'),
    socket.remotePort ?? 0,
  )}`;
}
