// The probe ledger of one connection: which keepalive probes this side sent,
// which were answered, and how it ended. Plain functions of plain values, so
// that the rules can be tested with made-up TCP_INFO samples; the watcher
// feeds them what the kernel and the capture say and prints what they return.
import type { KeepaliveState, TcpInfo } from '../../diagnostics';
import type { SegmentLabel } from './wire/segments';

export interface Sample {
  readonly info: TcpInfo;
  /** When it was read, ms since the epoch. */
  readonly at: number;
}

export interface Ledger {
  /** Probes this side sent since its last answer. */
  readonly unanswered: number;
  /** Probes this side sent over the connection's life. */
  readonly sent: number;
  readonly lastProbeAt: number | null;
  readonly lastProbeCaptured: boolean;
  /** The last ACK from the peer, ms since the epoch. */
  readonly lastAckAt: number;
  /** Since when TCP_INFO counts more probes than the capture saw. */
  readonly mismatchSince: number | null;
  readonly rstAnsweredProbe: boolean;
  /** A probe on demand was asked for and has not been seen yet. */
  readonly onDemandPending: boolean;
}

export type Source = 'capture' | 'inferred';

export type LedgerEvent =
  | { readonly kind: 'probe'; readonly at: number; readonly source: Source; readonly probe: number; readonly unanswered: number; readonly onDemand: boolean; readonly seq?: number; readonly note?: string; readonly text: string | null }
  | { readonly kind: 'answer'; readonly at: number; readonly source: Source; readonly answer: 'ACK' | 'RST'; readonly rttMs: number | null; readonly answeredProbes: number; readonly text: string }
  | { readonly kind: 'peer-probe'; readonly at: number; readonly source: Source; readonly text: string }
  | { readonly kind: 'note'; readonly at: number; readonly text: string };

export interface Step {
  readonly ledger: Ledger;
  readonly events: readonly LedgerEvent[];
}

// How long the capture may lag behind TCP_INFO before a probe the kernel
// counted is reported as not seen on the wire.
export const CAPTURE_GRACE_MS = 300;
// The one slack of "is a probe due": the kernel's keepalive timer fires on a
// clock tick and may have been read a little before or after it.
export const PROBE_DUE_SLACK_MS = 150;
// TCP_INFO's "ms since the last ACK" has jiffy resolution (up to 10 ms at
// HZ=100) and is read a little after the sample's time: a smaller drop than
// this is not a new ACK.
export const ACK_JITTER_MS = 15;
// A probe time estimated from the kernel's timer is trusted this far back
// (the timer read is at most one look old) and this far ahead (its rounding).
export const ESTIMATE_LOOKBACK_MS = 1500;
export const TIMER_ROUNDING_MS = 10;

export const INFERRED_NOTE = 'inferred from TCP_INFO';
export const UNSEEN_NOTE = 'counted by the kernel (TCP_INFO) but no packet left on any interface';
const INFERRED_ACK = '<- ACK (inferred from TCP_INFO)';

export function newLedger(startedAt: number): Ledger {
  return { unanswered: 0, sent: 0, lastProbeAt: null, lastProbeCaptured: false, lastAckAt: startedAt, mismatchSince: null, rstAnsweredProbe: false, onDemandPending: false };
}

/** Time since the peer last sent anything, ms, as of the sample; null if unknown. */
export function sinceReceived(info: TcpInfo): number | null {
  const since = Math.min(info.lastAckRecv ?? Infinity, info.lastDataRecv ?? Infinity);
  return Number.isFinite(since) ? since : null;
}

/**
 * Whether this side's keepalive timer had expired by `at`, judging by a
 * sample taken before: the one check of "is a probe due".
 */
export function probeDue(settings: KeepaliveState, sample: Sample | null, at: number): boolean {
  if (!sample || !settings.enable || settings.idle === null) return false;
  const since = sinceReceived(sample.info) ?? Infinity;
  return since + (at - sample.at) >= settings.idle - PROBE_DUE_SLACK_MS;
}

export function probeSent(ledger: Ledger, at: number, source: Source, text: string | null, extra: { seq?: number; note?: string } = {}): Step {
  const next: Ledger = {
    ...ledger,
    unanswered: ledger.unanswered + 1,
    sent: ledger.sent + 1,
    lastProbeAt: at,
    lastProbeCaptured: source === 'capture',
    onDemandPending: false,
  };
  const event: LedgerEvent = { kind: 'probe', at, source, probe: next.sent, unanswered: next.unanswered, onDemand: ledger.onDemandPending, text, ...extra };
  return { ledger: next, events: [event] };
}

export function answered(ledger: Ledger, at: number, answer: 'ACK' | 'RST', source: Source, text: string): Step {
  const rttMs = ledger.lastProbeAt !== null && source === 'capture' && ledger.lastProbeCaptured ? at - ledger.lastProbeAt : null;
  const next: Ledger = {
    ...ledger,
    unanswered: 0,
    lastAckAt: answer === 'ACK' ? Math.max(ledger.lastAckAt, at) : ledger.lastAckAt,
    rstAnsweredProbe: ledger.rstAnsweredProbe || answer === 'RST',
  };
  return { ledger: next, events: [{ kind: 'answer', at, source, answer, rttMs, answeredProbes: ledger.unanswered, text }] };
}

/** Runs steps after `first`, collecting the events of all. */
function chain(first: Step, ...steps: ((ledger: Ledger) => Step)[]): Step {
  let ledger = first.ledger;
  const events = [...first.events];
  for (const step of steps) {
    const result = step(ledger);
    ledger = result.ledger;
    events.push(...result.events);
  }
  return { ledger, events };
}

const unchanged = (ledger: Ledger): Step => ({ ledger, events: [] });

/** With packets: probes the kernel counted that never showed on the wire, once the capture had time to catch up. */
export function reconcile(ledger: Ledger, current: Sample, probeTime: number): Step {
  const counted = current.info.probes ?? 0;
  if (counted <= ledger.unanswered) return unchanged({ ...ledger, mismatchSince: null });
  const since = ledger.mismatchSince ?? current.at;
  if (current.at - since < CAPTURE_GRACE_MS) return unchanged({ ...ledger, mismatchSince: since });
  const missing = counted - ledger.unanswered;
  const unseen = (l: Ledger): Step => probeSent(l, probeTime, 'inferred', '-> keepalive probe', { note: UNSEEN_NOTE });
  return chain(unchanged({ ...ledger, mismatchSince: null }), ...Array<typeof unseen>(missing).fill(unseen));
}

/** Without packets: probes, answers and the peer's probes from the change between two TCP_INFO samples. */
export function infer(ledger: Ledger, current: Sample, previous: Sample, settings: KeepaliveState, probeTime: number): Step {
  const now = current.info;
  const before = previous.info;
  const dt = current.at - previous.at;
  const probesNow = now.probes ?? 0;
  const noData = now.bytesReceived === before.bytesReceived && now.bytesSent === before.bytesSent;
  const ackArrived = now.lastAckRecv !== null && before.lastAckRecv !== null && now.lastAckRecv + ACK_JITTER_MS < before.lastAckRecv + dt;
  const ackAt = current.at - (now.lastAckRecv ?? 0);
  const segmentsOut = (now.segsOut ?? 0) - (before.segsOut ?? 0);
  const segmentsIn = (now.segsIn ?? 0) - (before.segsIn ?? 0);
  const seeAck = (l: Ledger): Step => unchanged({ ...l, lastAckAt: Math.max(l.lastAckAt, ackAt) });
  const answer = (l: Ledger): Step => answered(l, ackAt, 'ACK', 'inferred', INFERRED_ACK);
  const inferred = (at: number) => (l: Ledger): Step => probeSent(l, at, 'inferred', null, { note: INFERRED_NOTE });

  // Probes TCP_INFO counts that the ledger has not.
  const newProbes = Math.max(0, Math.min(probesNow - (before.probes ?? 0), probesNow - ledger.unanswered));
  const counted = chain(unchanged(ledger), ...Array<(l: Ledger) => Step>(newProbes).fill(inferred(probeTime)));
  const l = counted.ledger;
  if (!noData) return ackArrived ? chain(counted, seeAck) : counted;
  if (!ackArrived) {
    // The peer's probe repeats an old sequence number: the kernel answers
    // with an ACK without taking it as one (last_ack_recv stays put).
    if (!(segmentsIn >= 1 && segmentsOut >= 1 && probesNow === 0 && l.unanswered === 0)) return counted;
    const text = "<- the peer's keepalive probe, answered (inferred from TCP_INFO)";
    return { ledger: l, events: [...counted.events, { kind: 'peer-probe', at: current.at - dt / 2, source: 'inferred', text }] };
  }
  if (l.unanswered > 0 && probesNow === 0) return chain(counted, answer, seeAck);
  // Sent and answered between two looks: TCP_INFO's probe count was back at
  // 0 before it could be seen.
  const dueMeanwhile = l.onDemandPending || probeDue(settings, previous, current.at);
  if (segmentsOut >= 1 && segmentsIn >= 1 && dueMeanwhile) return chain(counted, inferred(ackAt), answer, seeAck);
  return chain(counted, seeAck);
}

/** The socket's keepalive (or other) timer as read from the kernel's table, and when. */
export interface TimerReading {
  readonly timer: string;
  readonly timerLeftMs: number;
  readonly readAt: number;
}

/**
 * When a probe counted just now left, from the kernel's keepalive timer as
 * read at `timer.readAt`: if it was about to expire then, the probe left at
 * that expiry; otherwise it had already left and the timer was re-armed
 * with `interval` at that moment. Without a timer, the sample's time.
 */
export function estimateProbeTime(current: Sample, timer: TimerReading | null, interval: number | null): number {
  if (timer?.timer === 'keepalive' && interval !== null) {
    const expiry = timer.readAt + timer.timerLeftMs;
    const estimate = expiry <= current.at + TIMER_ROUNDING_MS ? expiry : timer.readAt - (interval - timer.timerLeftMs);
    if (estimate <= current.at + TIMER_ROUNDING_MS && estimate >= current.at - ESTIMATE_LOOKBACK_MS) return Math.min(estimate, current.at);
  }
  return current.at;
}

/** A new TCP_INFO sample: with packets, reconcile the counts; without, infer from the change. */
export function observe(ledger: Ledger, current: Sample, previous: Sample, settings: KeepaliveState, withPackets: boolean, timer: TimerReading | null): Step {
  const probeTime = estimateProbeTime(current, timer, settings.interval);
  return withPackets ? reconcile(ledger, current, probeTime) : infer(ledger, current, previous, settings, probeTime);
}

/** One captured segment of the connection, already labelled. */
export interface WireSegment {
  readonly at: number;
  readonly outgoing: boolean;
  readonly label: SegmentLabel;
  readonly seq: number;
  readonly ack: number;
  /** The ACK flag is set. */
  readonly acks: boolean;
}

/** With packets: what one segment means for the ledger. */
export function captured(ledger: Ledger, segment: WireSegment): Step {
  const { at, outgoing, label } = segment;
  const arrow = outgoing ? '->' : '<-';
  const numbers = `seq=${segment.seq} ack=${segment.ack}`;
  const note = (text: string): Step => ({ ledger, events: [{ kind: 'note', at, text }] });
  if (label === 'TCP Keep-Alive') {
    if (outgoing) return probeSent(ledger, at, 'capture', `${arrow} TCP Keep-Alive      ${numbers}`, { seq: segment.seq });
    const text = `${arrow} TCP Keep-Alive      ${numbers}  (the peer's probe)`;
    return { ledger, events: [{ kind: 'peer-probe', at, source: 'capture', text }] };
  }
  if (outgoing && label === 'TCP Keep-Alive ACK') return note(`${arrow} TCP Keep-Alive ACK  ${numbers}  (our answer to the peer)`);
  if (outgoing && label === 'RST') return note(`${arrow} RST                 ${numbers}  (sent by this side's kernel)`);
  if (outgoing) return unchanged(ledger);
  if (label === 'RST') {
    const text = `${arrow} RST                 ${numbers}`;
    return ledger.unanswered > 0 ? answered(ledger, at, 'RST', 'capture', text) : note(text);
  }
  if (!segment.acks) return unchanged(ledger);
  const seen = { ...ledger, lastAckAt: Math.max(ledger.lastAckAt, at) };
  if (ledger.unanswered === 0) return unchanged(seen);
  const text = label === 'TCP Keep-Alive ACK' ? `${arrow} TCP Keep-Alive ACK  ${numbers}` : `${arrow} ${label} ${numbers}`;
  return answered(seen, at, 'ACK', 'capture', text);
}
