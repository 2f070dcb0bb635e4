// What the probes showed, and the bracket it allows. Every record carries
// the idle it tested under both readings of the path: counted from the last
// segment received (probes refresh the middlebox, as conntrack does) and
// counted from the last segment that was not a probe's answer (the
// middlebox ignores keepalive probes). The evidence decides which reading
// holds: under the wrong one it contradicts itself.

/** The two readings of "idle": since any segment, or since the last one that was not a keepalive answer. */
export interface Idles {
  /** Since the last segment received, a keepalive answer included, ms. */
  sinceAnswer: number;
  /** Since the last segment received that was not a keepalive answer, ms. */
  sinceActivity: number;
}

export type FailureKind = 'silent' | 'reset';

export interface Survival extends Idles {
  connection: number;
}

export interface Failure extends Idles {
  connection: number;
  kind: FailureKind;
}

/** A connection the far end closed (FIN or RST without a probe), at an idle counted from its last activity. */
export interface Closure {
  connection: number;
  /** Idle at which it was closed, at most, ms. */
  upperMs: number;
  /** Idle at which it was last seen open, ms. */
  lowerMs: number;
  /** When it was seen closed (performance.now()). */
  at: number;
  /** When the connection was opened. */
  openedAt: number;
  how: 'fin' | 'reset';
}

export type Reading = keyof Idles;

export interface Bracket {
  lowerMs: number;
  /** Infinity when nothing failed. */
  upperMs: number;
  /** Kind of the failure that sets upperMs. */
  kind: FailureKind | null;
}

export class Evidence {
  readonly survivals: Survival[] = [];
  readonly failures: Failure[] = [];
  readonly closures: Closure[] = [];

  bracket(reading: Reading): Bracket {
    let lowerMs = 0;
    for (const survival of this.survivals) lowerMs = Math.max(lowerMs, survival[reading]);
    let upperMs = Number.POSITIVE_INFINITY;
    let kind: FailureKind | null = null;
    for (const failure of this.failures) {
      if (failure[reading] < upperMs) {
        upperMs = failure[reading];
        kind = failure.kind;
      }
    }
    return { lowerMs, upperMs, kind };
  }

  /** Under this reading, every survival is shorter than every failure. */
  consistent(reading: Reading): boolean {
    const { lowerMs, upperMs } = this.bracket(reading);
    return lowerMs < upperMs;
  }

  /**
   * The far end's idle timeout: the shortest idle at which a connection was
   * closed, and the longest at which one was seen open below it; null when
   * nothing was closed.
   */
  closedBracket(openIdles: readonly number[]): { lowerMs: number; upperMs: number } | null {
    if (this.closures.length === 0) return null;
    const upperMs = Math.min(...this.closures.map((closure) => closure.upperMs));
    let lowerMs = 0;
    for (const idle of [...openIdles, ...this.closures.map((closure) => closure.lowerMs)]) {
      if (idle < upperMs) lowerMs = Math.max(lowerMs, idle);
    }
    return { lowerMs, upperMs };
  }
}
