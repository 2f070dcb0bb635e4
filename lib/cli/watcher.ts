// Watches one connection until it ends: its TCP state, the countdown to the
// next keepalive probe, each probe and its answer, and how it ended.
//
// Two sources, handed over by the Monitor when something is due: TCP_INFO
// with the socket's timer (state, probes the kernel counts, time since the
// last ACK, segment counters) and, where the process may capture, the
// connection's packets. Without packets, probes and answers are inferred
// from TCP_INFO and every such event says so. The rules are in ledger.ts
// and ending.ts; this class keeps the state and prints.
import type net from 'node:net';
import { socketInode } from '../diagnostics';
import { getKeepalive, getTcpInfo, type KeepaliveState, type TcpStateName } from '../index';
import { TCP_ACK, type Segment } from './capture';
import { describeEnd, type Outcome } from './ending';
import { formatCountdown, formatElapsed, formatEndpoint, plural, unmapIPv4 } from './format';
import { captured, estimateProbeTime, infer, newLedger, probeDue, reconcile, type Ledger, type LedgerEvent, type Sample, type Step } from './ledger';
import { probeOnDemand, type ProbeTrigger } from './on-demand';
import type { Reporter } from './output';
import { describeFlags, endpointKey, flowKey, type SegmentLabel } from './segments';
import { nextProbe, type SocketTimer } from './timers';

export type { EndReason, Outcome } from './ending';
export type { ProbeTrigger } from './on-demand';

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

/** What the Monitor gives the watcher: how to hand over packets and to ask for a look. */
export interface WatcherHooks {
  flushPackets(): void;
  lookSoon(): void;
}

/** The socket's timer as read from the kernel's table, and when. */
export interface TimerReading extends SocketTimer {
  readonly readAt: number;
}

// Emitted at most this often per connection in --json mode.
export const STATUS_EVERY_MS = 1000;
// Looked at this long after a probe falls due: the kernel's timer fires on
// its clock tick, and on a LAN the answer is back by then.
export const LOOK_AFTER_DUE_MS = 30;
// Looked at again this often while a probe that fell due has not shown.
const LATE_LOOK_MS = 100;

// Segments reported as 'packet' events; data and its ACKs would flood the
// output of a busy connection, and show up as 'data' events instead.
const REPORTED_LABELS = new Set<SegmentLabel>(['TCP Keep-Alive', 'TCP Keep-Alive ACK', 'RST', 'FIN', 'SYN', 'SYN-ACK']);

export class ConnectionWatcher {
  readonly id: number | string;
  readonly localKey: string;
  /** The same for both directions: how the Monitor hands over packets. */
  readonly flowKey: string;
  readonly inode: number | null;
  readonly startedAt = Date.now();

  private settings: KeepaliveState;
  private sample: Sample | null = null;
  private timer: TimerReading | null = null;
  private state: TcpStateName = 'ESTABLISHED';
  private ledger: Ledger;
  private peerClosed = false;
  private socketError: NodeJS.ErrnoException | null = null;
  private stopReason: 'interrupted' | 'stopped' | null = null;
  private lastStatusAt = 0;
  private probing = false;
  private lastOnDemandAt: number;
  private outcome: Outcome | null = null;
  private readonly endListeners: ((outcome: Outcome) => void)[] = [];
  private hooks: WatcherHooks | null = null;
  private due = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly options: WatcherOptions,
  ) {
    this.id = options.id;
    this.localKey = endpointKey(socket.localAddress ?? '', socket.localPort ?? 0);
    this.flowKey = flowKey(this.localKey, endpointKey(socket.remoteAddress ?? '', socket.remotePort ?? 0));
    this.inode = socketInode(socket);
    this.settings = getKeepalive(socket);
    this.ledger = newLedger(this.startedAt);
    this.lastOnDemandAt = this.startedAt;
    this.takeSample();
    if (this.sample?.info.lastAckRecv != null) this.ledger = { ...this.ledger, lastAckAt: this.sample.at - this.sample.info.lastAckRecv };

    socket.on('data', (chunk: Buffer) => {
      this.emit('data', { bytes: chunk.length }, `<- ${plural(chunk.length, 'byte')} of data (keepalive timer restarts)`);
      this.hooks?.lookSoon();
    });
    socket.on('end', () => {
      this.peerClosed = true;
      this.emit('fin', {}, '<- FIN: the peer closed the connection');
      this.hooks?.lookSoon();
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
    return { sent: this.ledger.sent, unanswered: this.ledger.unanswered };
  }

  attach(hooks: WatcherHooks): void {
    this.hooks = hooks;
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

  /** One captured segment of this connection, already labelled. */
  onSegment(segment: Segment, label: SegmentLabel): void {
    if (this.ended) return;
    const outgoing = endpointKey(segment.srcAddress, segment.srcPort) === this.localKey;
    if (REPORTED_LABELS.has(label)) {
      const fields = { direction: outgoing ? 'out' : 'in', label, seq: segment.seq, ack: segment.ack, length: segment.payloadLength, window: segment.window, flags: describeFlags(segment.flags) };
      this.emit('packet', fields, null, segment.timeMs);
    }
    const wire = { at: segment.timeMs, outgoing, label, seq: segment.seq, ack: segment.ack, acks: (segment.flags & TCP_ACK) !== 0 };
    this.apply(captured(this.ledger, wire));
  }

  /**
   * A look at the connection: TCP_INFO from the kernel's table (`sample`)
   * or, when null, read from the socket now; the socket's timer if the
   * table was read.
   */
  look(now: number, sample: Sample | null = null, timer: TimerReading | null = null): void {
    if (this.ended) return;
    const previous = this.sample;
    if (sample) this.sample = sample;
    else if (!this.takeSample()) return;
    this.timer = timer ?? (this.timer && this.timer.readAt + this.timer.timerLeftMs > now ? this.timer : null);
    const current = this.sample!;
    if (current.info.state !== this.state) {
      this.emit('state', { from: this.state, to: current.info.state }, `state ${this.state} -> ${current.info.state}`, current.at);
      this.state = current.info.state;
    }
    if (previous && previous !== current) {
      const timerNow = this.timer ? { kind: this.timer.timer, leftMs: this.timer.timerLeftMs, readAt: this.timer.readAt } : null;
      const probeTime = estimateProbeTime(current, timerNow, this.settings.interval);
      this.apply(this.options.captured ? reconcile(this.ledger, current, probeTime) : infer(this.ledger, current, previous, this.settings, probeTime));
    }
    if (this.options.reporter.json && now - this.lastStatusAt >= STATUS_EVERY_MS) {
      this.lastStatusAt = now;
      this.emit('status', this.statusFields(now), null, now);
    }
    const every = this.options.probeEveryMs;
    if (every && !this.probing && now - this.lastOnDemandAt >= every) void this.requestProbe('timer');
    this.refreshDue(now);
  }

  /** When this watcher next needs a look, ms since the epoch (Infinity: only when something happens). */
  dueAt(): number {
    return this.ended ? Infinity : this.due;
  }

  private refreshDue(now: number): void {
    const every = this.options.probeEveryMs;
    const onDemand = every && !this.probing ? this.lastOnDemandAt + every : Infinity;
    const probeAt = this.nextProbeAt();
    const next = Math.min(onDemand, probeAt === null ? Infinity : probeAt + LOOK_AFTER_DUE_MS);
    // A probe late to show is looked for again, but not at once.
    this.due = next <= now ? now + LATE_LOOK_MS : next;
  }

  /** When this side's next probe leaves, ms since the epoch; null if none is scheduled. */
  nextProbeAt(): number | null {
    const sample = this.sample;
    if (!sample) return null;
    const outstanding = Math.max(this.ledger.unanswered, sample.info.probes ?? 0);
    const lastProbeAgo = this.ledger.lastProbeAt === null ? null : sample.at - this.ledger.lastProbeAt;
    const timer = this.timer ? { timer: this.timer.timer, timerLeftMs: Math.max(0, this.timer.readAt + this.timer.timerLeftMs - sample.at) } : null;
    const next = nextProbe(this.settings, sample.info, timer, outstanding, lastProbeAgo);
    return next.kind === 'in' ? sample.at + next.ms : null;
  }

  statusFields(now: number): Record<string, unknown> {
    const next = this.nextProbeAt();
    const unacked = this.sample?.info.unacked ?? 0;
    return {
      state: this.state,
      keepalive: this.settings.enable,
      nextProbeInMs: next === null ? null : Math.max(0, Math.round(next - now)),
      unanswered: this.unansweredNow(),
      count: this.settings.count,
      lastAckAgoMs: Math.round(now - this.ledger.lastAckAt),
      ...(unacked > 0 ? { suspended: 'unacknowledged data: retransmission governs, not keepalive' } : {}),
    };
  }

  statusText(now: number): string {
    const fields = this.statusFields(now);
    const parts = [String(fields.state)];
    if (!this.settings.enable) parts.push('keepalive off');
    else if (fields.suspended) parts.push('keepalive suspended: data unacknowledged');
    else if (fields.nextProbeInMs !== null) parts.push(`next probe in ${formatCountdown(fields.nextProbeInMs as number)}`);
    if (this.settings.enable) parts.push(`unanswered ${fields.unanswered}${this.settings.count !== null ? `/${this.settings.count}` : ''}`);
    parts.push(`last ACK ${formatElapsed(fields.lastAckAgoMs as number)} ago`);
    return parts.join(' | ');
  }

  /** Sends one keepalive probe now (see on-demand.ts). */
  async requestProbe(trigger: ProbeTrigger): Promise<void> {
    if (this.ended || this.probing) return;
    this.probing = true;
    this.lastOnDemandAt = Date.now();
    const report = (fields: Record<string, unknown>, text: string | null): void => this.emit('probe-request', fields, text);
    try {
      this.settings = await probeOnDemand(this.socket, this.settings, trigger, {
        ended: () => this.ended,
        report,
        pending: (on) => (this.ledger = { ...this.ledger, onDemandPending: on }),
      });
    } catch (error) {
      // The connection ended meanwhile: its end is reported on its own.
      if (!this.ended && !this.socket.destroyed) report({ trigger, result: 'refused', reason: (error as Error).message }, `probe on demand not sent: ${(error as Error).message}`);
    } finally {
      this.probing = false;
      this.lastOnDemandAt = Date.now();
      this.refreshDue(this.lastOnDemandAt);
      this.hooks?.lookSoon();
    }
  }

  private unansweredNow(): number {
    return Math.max(this.ledger.unanswered, this.sample?.info.probes ?? 0);
  }

  private takeSample(): boolean {
    if (this.socket.destroyed) return false;
    try {
      this.sample = { info: getTcpInfo(this.socket), at: Date.now() };
      return true;
    } catch {
      return false;
    }
  }

  /** Takes the ledger's new state and prints its events. */
  private apply(step: Step): void {
    this.ledger = step.ledger;
    for (const event of step.events) this.print(event);
    if (step.events.length > 0) this.refreshDue(Date.now());
  }

  private print(event: LedgerEvent): void {
    if (event.kind === 'note') return this.options.reporter.note(`${this.options.prefix}${event.text}`, event.at);
    if (event.kind === 'peer-probe') return this.emit('peer-probe', { source: event.source }, event.text, event.at);
    if (event.kind === 'answer') {
      const detail = event.answer === 'RST' ? 'the peer answered the probe with a reset' : event.rttMs !== null ? `answered in ${formatElapsed(event.rttMs)}` : 'probe answered';
      const fields = { kind: event.answer, rttMs: event.rttMs, answeredProbes: event.answeredProbes, source: event.source };
      return this.emit('answer', fields, `${event.text}  ${detail}`, event.at);
    }
    const parts = [`probe ${event.probe}`, `unanswered ${event.unanswered}${this.limitText()}`];
    if (event.onDemand) parts.push('sent on demand');
    if (event.note) parts.push(event.note);
    const { probe, unanswered, source, onDemand, seq, note } = event;
    const fields = { probe, unanswered, source, onDemand, ...(seq !== undefined ? { seq } : {}), ...(note ? { note } : {}) };
    this.emit('probe', fields, `${event.text ?? '-> keepalive probe'}  ${parts.join(', ')}`, event.at);
  }

  private limitText(): string {
    const userTimeout = this.settings.userTimeout ?? 0;
    if (userTimeout > 0) return ` (dropped at the user timeout, ${formatElapsed(userTimeout)} after the last ACK)`;
    return this.settings.count !== null ? `/${this.settings.count}` : '';
  }

  private finish(): void {
    if (this.outcome) return;
    this.hooks?.flushPackets();
    const now = Date.now();
    const unanswered = this.unansweredNow();
    const { lastAckAt, rstAnsweredProbe } = this.ledger;
    const error = this.socketError ? { code: this.socketError.code, message: this.socketError.message } : null;
    const probeDueAtEnd = !this.options.captured && probeDue(this.settings, this.sample, now);
    const facts = { now, startedAt: this.startedAt, lastAckAt, unanswered, state: this.state, settings: this.settings, stopReason: this.stopReason, error, peerClosed: this.peerClosed, rstAnsweredProbe, probeDueAtEnd };
    const outcome = (this.outcome = describeEnd(facts));
    const fields = { reason: outcome.reason, code: outcome.code, message: outcome.message, unanswered, sinceLastAckMs: Math.round(now - lastAckAt), durationMs: now - this.startedAt };
    this.emit('end', fields, `connection ended: ${outcome.message}`, now);
    for (const listener of this.endListeners.splice(0)) listener(outcome);
  }

  private emit(event: string, fields: Record<string, unknown>, text: string | null, at: number = Date.now()): void {
    this.options.reporter.event(event, { id: this.id, ...fields }, text === null ? null : `${this.options.prefix}${text}`, at);
  }
}

/** "127.0.0.1:5000 -> 127.0.0.1:8080" as Node reports the socket. */
export function describeConnection(socket: net.Socket): string {
  const local = formatEndpoint(unmapIPv4(socket.localAddress ?? '?'), socket.localPort ?? 0);
  return `${local} -> ${formatEndpoint(unmapIPv4(socket.remoteAddress ?? '?'), socket.remotePort ?? 0)}`;
}
