// What the live view knows of one connection, kept up to date from its two
// sources: TCP_INFO with the socket's timer at each look, and the captured
// segments. It prints what changed (the TCP state, probes and answers); the
// rules for probes are in ledger.ts.
import type net from 'node:net';
import { getKeepalive, getTcpInfo, type KeepaliveState, type TcpStateName } from '../../index';
import type { ConnectionView } from './connection-view';
import { captured, newLedger, observe, type Ledger, type LedgerEvent, type Sample, type Step, type TimerReading } from './ledger';
import { TCP_ACK, type Segment, type SegmentLabel } from './wire/segments';

/** Where an observation reports what changed (the connection's output, connection-output.ts). */
export interface ObservationOutput {
  state(from: TcpStateName, to: TcpStateName, at: number): void;
  ledger(events: readonly LedgerEvent[], settings: KeepaliveState): void;
}

export class Observation {
  /** The keepalive settings in force (a probe on demand changes them for a moment). */
  settings: KeepaliveState;
  private sample: Sample | null = null;
  private timer: TimerReading | null = null;
  private state: TcpStateName = 'ESTABLISHED';
  private ledger: Ledger;

  constructor(
    private readonly socket: net.Socket,
    private readonly output: ObservationOutput,
    /** Packets are captured for this connection (otherwise inferred). */
    private readonly packetsCaptured: boolean,
    startedAt: number,
  ) {
    this.settings = getKeepalive(socket);
    this.ledger = newLedger(startedAt);
    this.takeSample();
    if (this.sample?.info.lastAckRecv != null) this.ledger = { ...this.ledger, lastAckAt: this.sample.at - this.sample.info.lastAckRecv };
  }

  /** Probes this side sent, and how many are unanswered now. */
  get probes(): { sent: number; unanswered: number } {
    return { sent: this.ledger.sent, unanswered: this.ledger.unanswered };
  }

  view(): ConnectionView {
    return { state: this.state, settings: this.settings, sample: this.sample, timer: this.timer, ledger: this.ledger };
  }

  /** A probe on demand is about to be triggered (or was not sent after all): the next probe seen is that one. */
  probePending(on: boolean): void {
    this.ledger = { ...this.ledger, onDemandPending: on };
  }

  /**
   * Takes in a look (see ConnectionWatcher.look); false when TCP_INFO could
   * not be read (the socket is going away) and nothing changed.
   * `packets` hands over the segments captured so far.
   */
  look(now: number, sample: Sample | 'unchanged' | null, timer: TimerReading | null, packets: { flushPackets(): void } | null): boolean {
    const previous = this.sample;
    // A probe counted but not yet seen on the wire is looked at again even
    // when the table shows no change: its grace period runs out.
    const fresh = sample === null || (sample === 'unchanged' && this.ledger.mismatchSince !== null);
    if (fresh && !this.takeSample()) return false;
    if (!fresh && sample !== 'unchanged') this.sample = sample;
    this.timer = timer ?? (this.timer && this.timer.readAt + this.timer.timerLeftMs > now ? this.timer : null);
    const current = this.sample;
    if (current && current.info.state !== this.state) {
      // The segment that changed the state (a RST, a FIN) was captured
      // before TCP handled it: report it first, so that lines stay in time order.
      packets?.flushPackets();
      this.output.state(this.state, current.info.state, current.at);
      this.state = current.info.state;
    }
    if (current && previous && previous !== current) this.apply(observe(this.ledger, current, previous, this.settings, this.packetsCaptured, this.timer));
    return true;
  }

  /** One captured segment of the connection; true when the ledger reported something. */
  segment(segment: Segment, label: SegmentLabel, outgoing: boolean): boolean {
    const wire = { at: segment.timeMs, outgoing, label, seq: segment.seq, ack: segment.ack, acks: (segment.flags & TCP_ACK) !== 0 };
    return this.apply(captured(this.ledger, wire));
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

  /** Takes the ledger's new state and prints its events; true if there were any. */
  private apply(step: Step): boolean {
    this.ledger = step.ledger;
    this.output.ledger(step.events, this.settings);
    return step.events.length > 0;
  }
}
