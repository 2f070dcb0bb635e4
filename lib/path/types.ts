// The public shape of measureIdleTimeout(): what it takes and what it finds.
import type { KeepaliveAdvice } from '../advice';

/** How the path forgets an idle connection. */
export type PathMode =
  /** Probes after that idle go unanswered: a NAT or firewall dropped its state and drops the packets. */
  | 'silent'
  /** A reset answers probes after that idle. */
  | 'reset'
  /** The far end (a server's or proxy's idle timeout) closes the connection itself. */
  | 'closed'
  /** Nothing forgot a connection up to `max`. */
  | 'none';

export interface PathTarget {
  host: string;
  port: number;
}

export interface PathProgress {
  /** 'ladder': looking for the first idle that fails; 'refine': narrowing the bracket; 'confirm': checking the answer. */
  phase: 'ladder' | 'refine' | 'confirm';
  elapsedMs: number;
  /** The longest idle that survived so far, ms (0 before any). */
  lowerMs: number;
  /** The shortest idle that did not, ms; null before any. */
  upperMs: number | null;
  /** The idle of the probe in flight, ms; null when none is. */
  tryingMs: number | null;
  /** Connections open now (the control connection included). */
  open: number;
  /** The most the rest of the run can take, ms. */
  worstRemainingMs: number;
}

export interface MeasureIdleTimeoutOptions {
  /** Test idle times up to this, ms (default 30 min). */
  max?: number;
  /** The most connections open at once, the control connection included (default 16, at least 2). */
  connections?: number;
  /** The advice finds a dead peer within this, ms (default: the longest idle the path kept). */
  detectWithin?: number;
  /** Aborting rejects with an AbortError at once and closes every connection. */
  signal?: AbortSignal;
  /** Called after every probe's outcome and once a second. */
  onProgress?: (progress: PathProgress) => void;
}

/** What RFC 5382 REQ-5 (an established connection's idle timeout of at least 2 h 4 min) says of the path. */
export interface Rfc5382Verdict {
  requirementMs: number;
  verdict: 'meets' | 'violates' | 'untested' | 'not-applicable';
  text: string;
}

export interface PathMeasurement {
  /** The target as given ("host:port"). */
  target: string;
  /** The address connected to. */
  address: string;
  port: number;
  mode: PathMode;
  /** The longest idle that survived, ms: from the kernel's own times (TCP_INFO), never from the times asked. */
  lowerMs: number;
  /** The shortest idle that did not, ms; null for 'none'. */
  upperMs: number | null;
  /**
   * Keepalive probes alone keep a connection alive through the path: true,
   * false (some middleboxes, and every far end that closes idle connections,
   * do not count them: only an application heartbeat helps), or null where
   * the run could not tell (nothing forgot, or too little evidence).
   */
  refreshedByKeepalive: boolean | null;
  /** The most connections open at once, the control connection included. */
  connections: number;
  /** Connections opened in all. */
  connectionsOpened: number;
  /** Probes sent at chosen moments. */
  probes: number;
  elapsedMs: number;
  maxMs: number;
  /** The bracket's width reached the goal (at most max(3 % of lowerMs, 1 s)). */
  precise: boolean;
  rfc5382: Rfc5382Verdict;
  /** Values for this path (same rules as `advise`), or null where keepalive cannot keep connections alive and none are needed. */
  advice: KeepaliveAdvice | null;
  /** A sentence a person can act on. */
  summary: string;
}
