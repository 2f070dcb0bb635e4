// A socket of the kernel's table, as the socket table decodes it: state,
// addresses, the pending timer, queues and TCP_INFO.
import type { TcpInfo, TcpStateName } from '../types';

/** The timer pending on a socket, as `ss -o` names it. */
export type TimerKind = 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';
export const TIMERS: readonly TimerKind[] = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];

export interface SocketRecord {
  readonly inode: number;
  readonly family: 4 | 6;
  readonly state: TcpStateName;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly timer: TimerKind;
  /** Time left on the timer, ms. */
  readonly timerLeftMs: number;
  /** Unanswered keepalive (or zero-window) probes while that timer runs. */
  readonly probesOut: number;
  readonly uid: number;
  /** Bytes written and not yet acknowledged (connections), or the backlog (listeners). */
  readonly sendQueue: number;
  readonly receiveQueue: number;
  readonly info: TcpInfo;
}
