// How a watched connection ended, in one line and an exit code: a pure
// function of what the watcher knew at the end and of what the socket said
// (gathered by the EndTracker).
import type { KeepaliveState } from '../../diagnostics';
import { ExitCode, type ExitCodeValue } from '../terminal/exit';
import { formatElapsed, plural } from '../terminal/format';
import { probeDue } from './ledger';
import { unansweredNow, type ConnectionView } from './connection-view';

export type EndReason = 'ETIMEDOUT' | 'ECONNRESET' | 'closed-by-peer' | 'error' | 'interrupted' | 'stopped';

export interface Outcome {
  readonly reason: EndReason;
  /** The error code, for errors ('ETIMEDOUT', 'EPIPE', ...). */
  readonly code: string | null;
  /** One line: "ETIMEDOUT after 3 unanswered probes, 4.1 s after the last ACK". */
  readonly message: string;
  readonly exitCode: ExitCodeValue;
}

export interface EndFacts {
  readonly now: number;
  readonly startedAt: number;
  readonly lastAckAt: number;
  /** The larger of the ledger's and TCP_INFO's count. */
  readonly unanswered: number;
  /** The last TCP state seen. */
  readonly state: string;
  readonly settings: KeepaliveState;
  readonly stopReason: 'interrupted' | 'stopped' | null;
  readonly error: { readonly code?: string; readonly message: string } | null;
  readonly peerClosed: boolean;
  /** A captured RST answered a probe. */
  readonly rstAnsweredProbe: boolean;
  /** Without packets: this side's keepalive timer had expired by the end. */
  readonly probeDueAtEnd: boolean;
}

/** What the watcher knew of the connection at its end; the EndTracker adds who stopped it and what the socket said. */
export type WatchedFacts = Omit<EndFacts, 'stopReason' | 'error' | 'peerClosed'>;

export function watchedFacts(view: ConnectionView, startedAt: number, captured: boolean, now: number): WatchedFacts {
  const { lastAckAt, rstAnsweredProbe } = view.ledger;
  const probeDueAtEnd = !captured && probeDue(view.settings, view.sample, now);
  return { now, startedAt, lastAckAt, unanswered: unansweredNow(view), state: view.state, settings: view.settings, rstAnsweredProbe, probeDueAtEnd };
}

/** The fields of the 'end' event. */
export function endFields({ reason, code, message }: Outcome, facts: WatchedFacts): Record<string, unknown> {
  return { reason, code, message, unanswered: facts.unanswered, sinceLastAckMs: Math.round(facts.now - facts.lastAckAt), durationMs: facts.now - facts.startedAt };
}

function timedOut(facts: EndFacts): string {
  const sinceAck = `${formatElapsed(facts.now - facts.lastAckAt)} after the last ACK`;
  const { settings, unanswered } = facts;
  const userTimeout = settings.userTimeout ?? 0;
  if (settings.enable && unanswered > 0 && userTimeout > 0) {
    return `ETIMEDOUT: user timeout ${formatElapsed(userTimeout)} reached with ${plural(unanswered, 'unanswered probe')}, ${sinceAck}`;
  }
  if (settings.enable && unanswered > 0) return `ETIMEDOUT after ${plural(unanswered, 'unanswered probe')}, ${sinceAck}`;
  return `ETIMEDOUT: data went unacknowledged until retransmission gave up, ${sinceAck}`;
}

function reset(facts: EndFacts): string {
  // Without packets: a probe outstanding, or the keepalive timer due just
  // now (the probe and the RST both came between two looks).
  const answeredProbe = facts.rstAnsweredProbe || facts.unanswered > 0 || facts.probeDueAtEnd;
  if (!answeredProbe) return 'ECONNRESET: connection reset by peer';
  return `ECONNRESET: peer answered a probe with RST${facts.rstAnsweredProbe ? '' : ' (inferred: a probe was due or outstanding)'}`;
}

export function describeEnd(facts: EndFacts): Outcome {
  const { error } = facts;
  const lifetime = formatElapsed(facts.now - facts.startedAt);
  if (facts.stopReason === 'interrupted') {
    return { reason: 'interrupted', code: null, message: `interrupted; it was ${facts.state}`, exitCode: ExitCode.INTERRUPTED };
  }
  if (facts.stopReason === 'stopped') {
    return { reason: 'stopped', code: null, message: `closed by this side after ${lifetime}; it was ${facts.state}`, exitCode: ExitCode.OK };
  }
  if (error?.code === 'ETIMEDOUT') return { reason: 'ETIMEDOUT', code: 'ETIMEDOUT', message: timedOut(facts), exitCode: ExitCode.TIMED_OUT };
  if (error?.code === 'ECONNRESET') return { reason: 'ECONNRESET', code: 'ECONNRESET', message: reset(facts), exitCode: ExitCode.RESET };
  if (error) return { reason: 'error', code: error.code ?? null, message: `${error.code ?? 'error'}: ${error.message}`, exitCode: ExitCode.RESET };
  if (facts.peerClosed) return { reason: 'closed-by-peer', code: null, message: `closed by peer after ${lifetime}`, exitCode: ExitCode.OK };
  return { reason: 'closed-by-peer', code: null, message: 'closed', exitCode: ExitCode.OK };
}

/** How a watch ends: what the socket said, who stopped it, and who waits for the outcome. */
export class EndTracker {
  private peerClosed = false;
  private error: NodeJS.ErrnoException | null = null;
  private stopReason: 'interrupted' | 'stopped' | null = null;
  private result: Outcome | null = null;
  private readonly listeners: ((outcome: Outcome) => void)[] = [];

  get outcome(): Outcome | null {
    return this.result;
  }

  /** The peer sent its FIN. */
  finReceived(): void {
    this.peerClosed = true;
  }

  /** An error of the socket; the first one is what ended it. */
  failed(error: NodeJS.ErrnoException): void {
    this.error ??= error;
  }

  /** This side ends the watch (Ctrl-C, --duration). */
  markStopped(reason: 'interrupted' | 'stopped'): void {
    this.stopReason = reason;
  }

  onEnd(listener: (outcome: Outcome) => void): void {
    if (this.result) listener(this.result);
    else this.listeners.push(listener);
  }

  /** Describes the end from these facts and the tracker's own; `announce` reports it before the listeners hear of it. */
  settle(facts: WatchedFacts, announce: (outcome: Outcome) => void): void {
    const error = this.error ? { code: this.error.code, message: this.error.message } : null;
    const outcome = describeEnd({ ...facts, stopReason: this.stopReason, error, peerClosed: this.peerClosed });
    this.result = outcome;
    announce(outcome);
    for (const listener of this.listeners.splice(0)) listener(outcome);
  }
}
