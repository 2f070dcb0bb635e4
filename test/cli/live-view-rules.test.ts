// The live view's rules as plain functions: the probe ledger fed with
// made-up TCP_INFO samples and captured segments, the end's description,
// when a connection is due for a look, and the terminal's status line.
// These are logic, not stand-ins for the kernel: the loopback and netns tests
// run the same rules against real probes.
import { describe, expect, it } from 'vitest';
import { describeEnd, endFields, watchedFacts, type EndFacts } from '../../lib/cli/live/ending';
import {
  ACK_JITTER_MS,
  CAPTURE_GRACE_MS,
  captured,
  estimateProbeTime,
  infer,
  newLedger,
  observe,
  probeDue,
  PROBE_DUE_SLACK_MS,
  probeSent,
  reconcile,
  type Ledger,
  type Sample,
} from '../../lib/cli/live/ledger';
import { LATE_LOOK_MS, LOOK_AFTER_DUE_MS, nextLookAt } from '../../lib/cli/live/schedule';
import type { ConnectionView } from '../../lib/cli/live/connection-view';
import { statusLine, statusText } from '../../lib/cli/live/watch-view';
import type { KeepaliveState, TcpInfo } from '../../lib/index';

const T0 = 1_000_000;
const SETTINGS: KeepaliveState = { enable: true, idle: 2000, interval: 1000, count: 3, userTimeout: 0 };

const IDLE_INFO: TcpInfo = {
  state: 'ESTABLISHED', caState: 0, probes: 0, backoff: 0, retransmits: 0, totalRetrans: 0, rto: 204000, ato: 40000,
  sndMss: 65483, rcvMss: 536, unacked: 0, lost: 0, retrans: 0, lastDataSent: 100, lastAckSent: null, lastDataRecv: 100,
  lastAckRecv: 100, pmtu: 65535, rtt: 50, rttvar: 25, minRtt: 20, sndCwnd: 10, sndSsthresh: 2147483647, sndWnd: 65483,
  rcvWnd: 65483, bytesSent: 1, bytesAcked: 1, bytesReceived: 1, bytesRetrans: 0, segsOut: 3, segsIn: 3, notsentBytes: 0,
};

/** A sample `at` ms after T0 with some fields changed. */
const sample = (at: number, changes: Partial<TcpInfo> = {}): Sample => ({ at: T0 + at, info: { ...IDLE_INFO, ...changes } });

describe('probeDue: the one check, with one slack', () => {
  it('is due once idle - slack has passed since the peer last sent anything', () => {
    const s = sample(0, { lastAckRecv: 500, lastDataRecv: 800 });
    // 500 ms since the last ACK: idle (2000) falls due 1500 ms later, minus the slack.
    expect(probeDue(SETTINGS, s, T0 + 1500 - PROBE_DUE_SLACK_MS - 1)).toBe(false);
    expect(probeDue(SETTINGS, s, T0 + 1500 - PROBE_DUE_SLACK_MS)).toBe(true);
  });

  it('is never due with keepalive off or without a sample', () => {
    expect(probeDue({ ...SETTINGS, enable: false }, sample(0, { lastAckRecv: 10_000 }), T0)).toBe(false);
    expect(probeDue(SETTINGS, null, T0)).toBe(false);
  });
});

describe('infer: probes and answers from two TCP_INFO samples', () => {
  const ledger = newLedger(T0);

  it('counts the probes TCP_INFO counts, once each', () => {
    const first = infer(ledger, sample(2100, { probes: 1, lastAckRecv: 2200, segsOut: 4 }), sample(2000, { lastAckRecv: 2100 }), SETTINGS, T0 + 2050);
    expect(first.ledger).toMatchObject({ unanswered: 1, sent: 1, lastProbeAt: T0 + 2050 });
    expect(first.events).toEqual([expect.objectContaining({ kind: 'probe', probe: 1, unanswered: 1, source: 'inferred', note: 'inferred from TCP_INFO' })]);
    // The same count seen again adds nothing.
    const again = infer(first.ledger, sample(2200, { probes: 1, lastAckRecv: 2300, segsOut: 4 }), sample(2100, { probes: 1, lastAckRecv: 2200, segsOut: 4 }), SETTINGS, T0 + 2200);
    expect(again.events).toEqual([]);
    expect(again.ledger.unanswered).toBe(1);
  });

  it('an ACK after an outstanding probe answers it, at the time TCP_INFO implies', () => {
    const outstanding: Ledger = { ...ledger, unanswered: 2, sent: 2, lastProbeAt: T0 + 3000 };
    const previous = sample(3000, { probes: 2, lastAckRecv: 3000, segsOut: 5, segsIn: 3 });
    const current = sample(3100, { probes: 0, lastAckRecv: 40, segsOut: 5, segsIn: 4 });
    const step = infer(outstanding, current, previous, SETTINGS, T0 + 3100);
    expect(step.ledger).toMatchObject({ unanswered: 0, lastAckAt: T0 + 3100 - 40 });
    expect(step.events).toEqual([expect.objectContaining({ kind: 'answer', answer: 'ACK', source: 'inferred', answeredProbes: 2, at: T0 + 3060, rttMs: null })]);
  });

  it('a probe sent and answered between two looks is reported only when one was due', () => {
    const previous = sample(0, { lastAckRecv: 1900, lastDataRecv: 1900 });
    const current = sample(200, { lastAckRecv: 50, lastDataRecv: 2100, segsOut: 4, segsIn: 4 });
    const due = infer(ledger, current, previous, SETTINGS, T0 + 200);
    expect(due.events.map((e) => e.kind)).toEqual(['probe', 'answer']);
    expect(due.ledger).toMatchObject({ sent: 1, unanswered: 0, lastAckAt: T0 + 150 });
    // The same change long before the idle time: an ordinary ACK, no probe.
    const early = infer(ledger, sample(200, { lastAckRecv: 50, lastDataRecv: 300, segsOut: 4, segsIn: 4 }), sample(0, { lastAckRecv: 100, lastDataRecv: 100 }), SETTINGS, T0 + 200);
    expect(early.events).toEqual([]);
    expect(early.ledger.lastAckAt).toBe(T0 + 150);
  });

  it("a segment in and out without a new ACK is the peer's probe, answered", () => {
    const step = infer(ledger, sample(1000, { lastAckRecv: 1100, segsIn: 4, segsOut: 4 }), sample(0, { lastAckRecv: 100 }), SETTINGS, T0 + 1000);
    expect(step.events).toEqual([expect.objectContaining({ kind: 'peer-probe', source: 'inferred', at: T0 + 500 })]);
    expect(step.ledger.sent).toBe(0);
  });

  it('an ACK jitter within the clock resolution is not a new ACK', () => {
    const step = infer(ledger, sample(100, { lastAckRecv: 200 - ACK_JITTER_MS, segsIn: 4, segsOut: 4 }), sample(0, { lastAckRecv: 100 }), SETTINGS, T0 + 100);
    expect(step.events.map((e) => e.kind)).toEqual(['peer-probe']);
  });

  it('data flowing moves the last ACK and infers nothing else', () => {
    const step = infer(ledger, sample(100, { bytesReceived: 500, lastAckRecv: 10, segsIn: 5, segsOut: 5 }), sample(0), SETTINGS, T0 + 100);
    expect(step.events).toEqual([]);
    expect(step.ledger.lastAckAt).toBe(T0 + 90);
  });
});

describe('reconcile: probes the kernel counted that the capture never saw', () => {
  it('waits CAPTURE_GRACE_MS for the capture, then reports each missing probe', () => {
    const ledger = newLedger(T0);
    const first = reconcile(ledger, sample(0, { probes: 2 }), T0 - 10);
    expect(first.events).toEqual([]);
    expect(first.ledger.mismatchSince).toBe(T0);
    const later = reconcile(first.ledger, sample(CAPTURE_GRACE_MS, { probes: 2 }), T0 - 10);
    expect(later.events).toHaveLength(2);
    expect(later.events[1]).toMatchObject({ kind: 'probe', probe: 2, unanswered: 2, source: 'inferred', at: T0 - 10 });
    expect(later.ledger).toMatchObject({ unanswered: 2, mismatchSince: null });
  });

  it('nothing to do when the capture saw them all', () => {
    const seen = probeSent(newLedger(T0), T0, 'capture', '->').ledger;
    expect(reconcile({ ...seen, mismatchSince: T0 - 5000 }, sample(0, { probes: 1 }), T0)).toEqual({ ledger: { ...seen, mismatchSince: null }, events: [] });
  });
});

describe('captured: what one segment means', () => {
  const wire = (outgoing: boolean, label: Parameters<typeof captured>[1]['label'], at: number, acks = true) => ({ outgoing, label, at: T0 + at, seq: 1, ack: 2, acks });

  it('a probe out, then its ACK: answered, with the round trip', () => {
    const sent = captured(newLedger(T0), wire(true, 'TCP Keep-Alive', 100));
    expect(sent.ledger).toMatchObject({ unanswered: 1, sent: 1, lastProbeAt: T0 + 100, lastProbeCaptured: true });
    const answer = captured(sent.ledger, wire(false, 'TCP Keep-Alive ACK', 100.25));
    expect(answer.events).toEqual([expect.objectContaining({ kind: 'answer', answer: 'ACK', source: 'capture', answeredProbes: 1, rttMs: 0.25 })]);
    expect(answer.ledger).toMatchObject({ unanswered: 0, lastAckAt: T0 + 100.25 });
  });

  it('a RST after a probe answers it with a reset; without one it is only a note', () => {
    const sent = captured(newLedger(T0), wire(true, 'TCP Keep-Alive', 100)).ledger;
    const reset = captured(sent, wire(false, 'RST', 150, false));
    expect(reset.ledger).toMatchObject({ unanswered: 0, rstAnsweredProbe: true });
    expect(reset.events[0]).toMatchObject({ kind: 'answer', answer: 'RST' });
    expect(captured(newLedger(T0), wire(false, 'RST', 150, false)).events[0]).toMatchObject({ kind: 'note' });
  });

  it("the peer's probe is reported and does not count as an ACK", () => {
    const step = captured(newLedger(T0), wire(false, 'TCP Keep-Alive', 500));
    expect(step.events[0]).toMatchObject({ kind: 'peer-probe', source: 'capture' });
    expect(step.ledger.lastAckAt).toBe(T0);
  });

  it('a probe on demand is marked as such, once', () => {
    const pending = { ...newLedger(T0), onDemandPending: true };
    const step = captured(pending, wire(true, 'TCP Keep-Alive', 100));
    expect(step.events[0]).toMatchObject({ kind: 'probe', onDemand: true });
    expect(step.ledger.onDemandPending).toBe(false);
  });
});

describe('estimateProbeTime and observe', () => {
  it('a keepalive timer about to expire at the read: the probe left at the expiry', () => {
    const timer = { timer: 'keepalive', timerLeftMs: 30, readAt: T0 };
    expect(estimateProbeTime(sample(100), timer, 1000)).toBe(T0 + 30);
    // Already re-armed with the interval when read: the probe left 1000 - 700 ms before the read.
    expect(estimateProbeTime(sample(100), { ...timer, timerLeftMs: 700 }, 1000)).toBe(T0 - 300);
    expect(estimateProbeTime(sample(100), null, 1000)).toBe(T0 + 100);
  });

  it('observe picks reconcile with packets and infer without', () => {
    const previous = sample(0);
    const current = sample(100, { probes: 1 });
    expect(observe(newLedger(T0), current, previous, SETTINGS, true, null).events).toEqual([]); // within the grace period
    expect(observe(newLedger(T0), current, previous, SETTINGS, false, null).events[0]).toMatchObject({ kind: 'probe', source: 'inferred' });
  });
});

describe('describeEnd', () => {
  const facts: EndFacts = {
    now: T0 + 10_000, startedAt: T0, lastAckAt: T0 + 5900, unanswered: 3, state: 'ESTABLISHED', settings: SETTINGS,
    stopReason: null, error: null, peerClosed: false, rstAnsweredProbe: false, probeDueAtEnd: false,
  };

  it('ETIMEDOUT: after unanswered probes, at the user timeout, or by retransmission', () => {
    const error = { code: 'ETIMEDOUT', message: 'read ETIMEDOUT' };
    expect(describeEnd({ ...facts, error })).toMatchObject({ reason: 'ETIMEDOUT', exitCode: 6, message: 'ETIMEDOUT after 3 unanswered probes, 4.1 s after the last ACK' });
    expect(describeEnd({ ...facts, error, settings: { ...SETTINGS, userTimeout: 3000 } }).message).toBe('ETIMEDOUT: user timeout 3.0 s reached with 3 unanswered probes, 4.1 s after the last ACK');
    expect(describeEnd({ ...facts, error, unanswered: 0 }).message).toMatch(/^ETIMEDOUT: data went unacknowledged until retransmission gave up/);
  });

  it('ECONNRESET: a probe answered with RST, seen, inferred, or not a probe at all', () => {
    const error = { code: 'ECONNRESET', message: 'read ECONNRESET' };
    expect(describeEnd({ ...facts, error, rstAnsweredProbe: true }).message).toBe('ECONNRESET: peer answered a probe with RST');
    expect(describeEnd({ ...facts, error, unanswered: 0, probeDueAtEnd: true }).message).toBe('ECONNRESET: peer answered a probe with RST (inferred: a probe was due or outstanding)');
    expect(describeEnd({ ...facts, error, unanswered: 0 })).toMatchObject({ message: 'ECONNRESET: connection reset by peer', exitCode: 7 });
  });

  it('stopped, interrupted, closed by the peer, other errors', () => {
    expect(describeEnd({ ...facts, stopReason: 'stopped' })).toMatchObject({ reason: 'stopped', exitCode: 0, message: 'closed by this side after 10.0 s; it was ESTABLISHED' });
    expect(describeEnd({ ...facts, stopReason: 'interrupted', error: { code: 'ECONNRESET', message: '' } })).toMatchObject({ reason: 'interrupted', exitCode: 130 });
    expect(describeEnd({ ...facts, peerClosed: true })).toMatchObject({ reason: 'closed-by-peer', message: 'closed by peer after 10.0 s' });
    expect(describeEnd({ ...facts, error: { code: 'EPIPE', message: 'write EPIPE' } })).toMatchObject({ reason: 'error', code: 'EPIPE', message: 'EPIPE: write EPIPE' });
  });
});

describe('the end: what the watcher knew, and the fields of the end event', () => {
  const view: ConnectionView = { state: 'ESTABLISHED', settings: SETTINGS, sample: sample(0, { probes: 2 }), timer: null, ledger: { ...newLedger(T0), unanswered: 1, lastAckAt: T0 - 100 } };

  it('counts the larger of the ledger and TCP_INFO, and asks whether a probe was due only without packets', () => {
    const at = T0 + 2000; // the sample showed 100 ms since the last ACK: idle (2000) had run out
    expect(watchedFacts(view, T0 - 500, false, at)).toEqual({ now: at, startedAt: T0 - 500, lastAckAt: T0 - 100, unanswered: 2, state: 'ESTABLISHED', settings: SETTINGS, rstAnsweredProbe: false, probeDueAtEnd: true });
    expect(watchedFacts(view, T0 - 500, true, at).probeDueAtEnd).toBe(false);
  });

  it('the end event carries the outcome, the unanswered count and the times', () => {
    const facts = watchedFacts(view, T0 - 500, true, T0 + 1000);
    const outcome = describeEnd({ ...facts, stopReason: 'stopped', error: null, peerClosed: false });
    expect(endFields(outcome, facts)).toEqual({ reason: 'stopped', code: null, message: outcome.message, unanswered: 2, sinceLastAckMs: 1100, durationMs: 1500 });
  });
});

describe('nextLookAt: when a connection is due for a look', () => {
  const view: ConnectionView = { state: 'ESTABLISHED', settings: SETTINGS, sample: sample(0), timer: null, ledger: newLedger(T0) };

  it('a little after the next probe falls due, or at the next probe on demand if sooner', () => {
    // 100 ms since the peer last sent: the probe leaves at idle (2000) after that.
    expect(nextLookAt(view, Infinity, T0)).toBe(T0 + 1900 + LOOK_AFTER_DUE_MS);
    expect(nextLookAt(view, T0 + 500, T0)).toBe(T0 + 500);
  });

  it('a probe late to show is looked for again, not at once; with keepalive off only on demand', () => {
    expect(nextLookAt(view, Infinity, T0 + 5000)).toBe(T0 + 5000 + LATE_LOOK_MS);
    expect(nextLookAt({ ...view, settings: { ...SETTINGS, enable: false } }, Infinity, T0)).toBe(Infinity);
  });
});

describe('statusLine: the terminal status of all connections', () => {
  const view: ConnectionView = { state: 'ESTABLISHED', settings: SETTINGS, sample: sample(0), timer: null, ledger: newLedger(T0) };
  const entry = (id: number) => ({ id, view: () => view });
  const text = statusText(view, T0);

  it('one connection alone, without its number; with a header or more connections, numbered', () => {
    expect(statusLine(null, [entry(1)], T0)).toBe(`${text}  ||  [p] probe  [q] quit`);
    expect(statusLine('listening on 127.0.0.1:9', [entry(1)], T0)).toBe(`listening on 127.0.0.1:9  ||  #1 ${text}  ||  [p] probe  [q] quit`);
  });

  it('shows the first three connections and counts the rest', () => {
    const line = statusLine(null, [1, 2, 3, 4, 5].map(entry), T0);
    expect(line).toBe(`#1 ${text}  ||  #2 ${text}  ||  #3 ${text}  ||  +2 more  ||  [p] probe  [q] quit`);
  });
});
