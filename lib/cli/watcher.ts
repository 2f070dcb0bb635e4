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
import { EndTracker, type Outcome } from './ending';
import { formatEndpoint, plural, unmapIPv4 } from './format';
import { captured, newLedger, observe, probeDue, type Ledger, type Sample, type Step } from './ledger';
import { OnDemandProber, type ProbeTrigger } from './on-demand';
import type { Reporter } from './output';
import { endpointKey, flowKey, type SegmentLabel } from './segments';
import { ledgerOutput, nextProbeAt, packetFields, statusFields, unansweredNow, type ConnectionView, type TimerReading } from './watch-view';

export type { EndReason, Outcome } from './ending';
export type { ProbeTrigger } from './on-demand';
export type { TimerReading } from './watch-view';

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
  private readonly end = new EndTracker();
  private lastStatusAt = 0;
  private readonly prober: OnDemandProber;
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
    this.prober = new OnDemandProber(options.probeEveryMs ?? null, this.startedAt);
    this.takeSample();
    if (this.sample?.info.lastAckRecv != null) this.ledger = { ...this.ledger, lastAckAt: this.sample.at - this.sample.info.lastAckRecv };

    socket.on('data', (chunk: Buffer) => {
      this.emit('data', { bytes: chunk.length }, `<- ${plural(chunk.length, 'byte')} of data (keepalive timer restarts)`);
      this.hooks?.lookSoon();
    });
    socket.on('end', () => {
      this.end.peerClosed = true;
      this.emit('fin', {}, '<- FIN: the peer closed the connection');
      this.hooks?.lookSoon();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.end.error ??= error;
    });
    socket.on('close', () => this.finish());
  }

  /** Starts what the options ask for beyond watching (--probe), once the connection has been reported. */
  begin(): void {
    if (this.options.probeOnce) void this.requestProbe('flag');
  }

  get ended(): boolean {
    return this.end.outcome !== null;
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
    this.end.onEnd(listener);
  }

  /** Ends the watch from this side (Ctrl-C, --duration): the connection is closed. */
  stop(reason: 'interrupted' | 'stopped'): void {
    if (this.ended) return;
    this.end.stopReason = reason;
    this.socket.destroy();
    this.finish();
  }

  /** One captured segment of this connection, already labelled. */
  onSegment(segment: Segment, label: SegmentLabel): void {
    if (this.ended) return;
    const outgoing = endpointKey(segment.srcAddress, segment.srcPort) === this.localKey;
    if (REPORTED_LABELS.has(label)) this.emit('packet', packetFields(segment, label, outgoing), null, segment.timeMs);
    const wire = { at: segment.timeMs, outgoing, label, seq: segment.seq, ack: segment.ack, acks: (segment.flags & TCP_ACK) !== 0 };
    this.apply(captured(this.ledger, wire));
  }

  /**
   * A look at the connection: TCP_INFO from the kernel's table (`sample`;
   * 'unchanged' when the table shows nothing new since the last one) or,
   * when null, read from the socket now; the socket's timer if the table
   * was read.
   */
  look(now: number, sample: Sample | 'unchanged' | null = null, timer: TimerReading | null = null): void {
    if (this.ended) return;
    // Segments captured before this look happened before anything it prints.
    this.hooks?.flushPackets();
    const previous = this.sample;
    // A probe counted but not yet seen on the wire is looked at again even
    // when the table shows no change: its grace period runs out.
    const fresh = sample === null || (sample === 'unchanged' && this.ledger.mismatchSince !== null);
    if (fresh && !this.takeSample()) return;
    if (!fresh && sample !== 'unchanged') this.sample = sample;
    this.timer = timer ?? (this.timer && this.timer.readAt + this.timer.timerLeftMs > now ? this.timer : null);
    const current = this.sample;
    if (current && current.info.state !== this.state) {
      // The segment that changed the state (a RST, a FIN) was captured
      // before TCP handled it: report it first, so that lines stay in time order.
      this.hooks?.flushPackets();
      this.emit('state', { from: this.state, to: current.info.state }, `state ${this.state} -> ${current.info.state}`, current.at);
      this.state = current.info.state;
    }
    if (current && previous && previous !== current) this.apply(observe(this.ledger, current, previous, this.settings, this.options.captured, this.timer));
    if (this.options.reporter.json && now - this.lastStatusAt >= STATUS_EVERY_MS) {
      this.lastStatusAt = now;
      // As of this moment, not of the wake (`now`): TCP_INFO and the timer were
      // read after the wake, and a countdown from it would be longer than the
      // timer the kernel armed by however late this process ran.
      const at = Date.now();
      this.emit('status', statusFields(this.view(), at), null, at);
    }
    if (now >= this.prober.dueAt) void this.requestProbe('timer');
    this.refreshDue(now);
  }

  /** When this watcher next needs a look, ms since the epoch (Infinity: only when something happens). */
  dueAt(): number {
    return this.ended ? Infinity : this.due;
  }

  private refreshDue(now: number): void {
    const probeAt = nextProbeAt(this.view());
    const next = Math.min(this.prober.dueAt, probeAt === null ? Infinity : probeAt + LOOK_AFTER_DUE_MS);
    // A probe late to show is looked for again, but not at once.
    this.due = next <= now ? now + LATE_LOOK_MS : next;
  }

  /** Sends one keepalive probe now (see on-demand.ts). */
  async requestProbe(trigger: ProbeTrigger): Promise<void> {
    if (this.ended) return;
    this.settings = await this.prober.run(this.socket, this.settings, trigger, {
      ended: () => this.ended,
      report: (fields, text) => this.emit('probe-request', fields, text),
      pending: (on) => (this.ledger = { ...this.ledger, onDemandPending: on }),
    });
    this.refreshDue(Date.now());
    this.hooks?.lookSoon();
  }

  /** What the watcher knows, for the status (watch-view.ts). */
  view(): ConnectionView {
    return { state: this.state, settings: this.settings, sample: this.sample, timer: this.timer, ledger: this.ledger };
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
    for (const event of step.events) {
      const output = ledgerOutput(event, this.settings);
      if (output.name === null) this.options.reporter.note(`${this.options.prefix}${output.text}`, output.at);
      else this.emit(output.name, output.fields, output.text, output.at);
    }
    if (step.events.length > 0) this.refreshDue(Date.now());
  }

  private finish(): void {
    if (this.ended) return;
    this.hooks?.flushPackets();
    const now = Date.now();
    const unanswered = unansweredNow(this.view());
    const { lastAckAt, rstAnsweredProbe } = this.ledger;
    const probeDueAtEnd = !this.options.captured && probeDue(this.settings, this.sample, now);
    const facts = { now, startedAt: this.startedAt, lastAckAt, unanswered, state: this.state, settings: this.settings, rstAnsweredProbe, probeDueAtEnd };
    this.end.settle(facts, ({ reason, code, message }) => {
      const fields = { reason, code, message, unanswered, sinceLastAckMs: Math.round(now - lastAckAt), durationMs: now - this.startedAt };
      this.emit('end', fields, `connection ended: ${message}`, now);
    });
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
