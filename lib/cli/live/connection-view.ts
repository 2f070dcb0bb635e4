// What the watcher knows of its connection (its TCP state, the settings in
// force, the last TCP_INFO sample, the socket's timer and the probe ledger),
// and what follows from it: the probes unanswered now, and when the next
// one leaves. Pure functions, shared by what prints, schedules and ends.
import type { KeepaliveState, TcpStateName } from '../../diagnostics';
import type { Ledger, Sample, TimerReading } from './ledger';
import { nextProbe, type SocketTimer } from './timers';

/** What the watcher knows of its connection. */
export interface ConnectionView {
  readonly state: TcpStateName;
  readonly settings: KeepaliveState;
  readonly sample: Sample | null;
  readonly timer: TimerReading | null;
  readonly ledger: Ledger;
}

export function unansweredNow(view: ConnectionView): number {
  return Math.max(view.ledger.unanswered, view.sample?.info.probes ?? 0);
}

/** When this side's next probe leaves, ms since the epoch; null if none is scheduled. */
export function nextProbeAt(view: ConnectionView): number | null {
  const { sample, ledger, timer } = view;
  if (!sample) return null;
  const lastProbeAgo = ledger.lastProbeAt === null ? null : sample.at - ledger.lastProbeAt;
  const timerThen: SocketTimer | null = timer ? { timer: timer.timer as SocketTimer['timer'], timerLeftMs: Math.max(0, timer.readAt + timer.timerLeftMs - sample.at) } : null;
  const next = nextProbe(view.settings, sample.info, timerThen, unansweredNow(view), lastProbeAgo);
  return next.kind === 'in' ? sample.at + next.ms : null;
}
