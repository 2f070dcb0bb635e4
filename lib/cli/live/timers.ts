// When a connection's next keepalive probe leaves, from what the kernel
// exposes: the keepalive settings, TCP_INFO and the socket's timer in the
// kernel's socket table. Shared by the live view and `inspect`.
import type { SocketRecord } from '../../diagnostics';
import type { KeepaliveState, TcpInfo, TcpStateName } from '../../diagnostics';

/** The socket's pending timer, where the kernel's socket table was read. */
export type SocketTimer = Pick<SocketRecord, 'timer' | 'timerLeftMs'>;

// States in which Linux runs the keepalive timer of an open connection.
export const KEEPALIVE_STATES: ReadonlySet<TcpStateName> = new Set<TcpStateName>(['ESTABLISHED', 'CLOSE_WAIT']);

export type NextProbe =
  | { readonly kind: 'in'; readonly ms: number }
  | { readonly kind: 'none'; readonly why: 'keepalive off' | 'not open' | 'data unacknowledged' | 'unknown' };

/**
 * Time until the next probe. With no probe outstanding, Linux probes `idle`
 * after the last segment received (its timer may wake earlier and only
 * re-arm itself); with probes outstanding, when the timer expires (or
 * `interval` after the last probe, if the timer cannot be read).
 */
export function nextProbe(
  keepalive: KeepaliveState,
  info: Pick<TcpInfo, 'state' | 'unacked' | 'lastAckRecv' | 'lastDataRecv'>,
  entry: SocketTimer | null,
  outstanding: number,
  lastProbeAgoMs: number | null = null,
): NextProbe {
  if (!keepalive.enable || keepalive.idle === null || keepalive.interval === null) return { kind: 'none', why: 'keepalive off' };
  if (!KEEPALIVE_STATES.has(info.state)) return { kind: 'none', why: 'not open' };
  if ((info.unacked ?? 0) > 0) return { kind: 'none', why: 'data unacknowledged' };
  const timerLeft = entry?.timer === 'keepalive' ? entry.timerLeftMs : null;
  if (outstanding > 0) {
    if (timerLeft !== null) return { kind: 'in', ms: timerLeft };
    if (lastProbeAgoMs !== null) return { kind: 'in', ms: Math.max(0, keepalive.interval - lastProbeAgoMs) };
    return { kind: 'none', why: 'unknown' };
  }
  const sinceReceived = Math.min(info.lastAckRecv ?? Infinity, info.lastDataRecv ?? Infinity);
  if (!Number.isFinite(sinceReceived)) return timerLeft === null ? { kind: 'none', why: 'unknown' } : { kind: 'in', ms: timerLeft };
  const byIdle = Math.max(0, keepalive.idle - sinceReceived);
  return { kind: 'in', ms: timerLeft === null ? byIdle : Math.max(byIdle, timerLeft) };
}
