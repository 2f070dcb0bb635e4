// When the live view wakes: one timer for the earliest wake anyone asked
// for, and when each connection is due for a look. Work happens when
// something is due, not on a fast tick.
import { nextProbeAt, type ConnectionView } from './connection-view';

// Looked at this long after a probe falls due: the kernel's timer fires on
// its clock tick, and on a LAN the answer is back by then.
export const LOOK_AFTER_DUE_MS = 30;
// Looked at again this often while a probe that fell due has not shown.
export const LATE_LOOK_MS = 100;

/**
 * When a connection next needs a look, ms since the epoch: a little after
 * its next probe falls due, or when its next probe on demand is
 * (`onDemandAt`); Infinity: only when something happens.
 */
export function nextLookAt(view: ConnectionView, onDemandAt: number, now: number): number {
  const probeAt = nextProbeAt(view);
  const next = Math.min(onDemandAt, probeAt === null ? Infinity : probeAt + LOOK_AFTER_DUE_MS);
  // A probe late to show is looked for again, but not at once.
  return next <= now ? now + LATE_LOOK_MS : next;
}

/** One timer for the earliest wake asked for. */
export class Schedule {
  private timer: NodeJS.Timeout | null = null;
  private when = Infinity;

  at(when: number, run: () => void): void {
    if (this.timer && this.when <= when) return;
    this.cancel();
    this.when = when;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.when = Infinity;
      run();
    }, Math.max(0, when - Date.now()));
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.when = Infinity;
  }
}
