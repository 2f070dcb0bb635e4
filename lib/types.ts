/** A keepalive configuration field. */
export type KeepaliveField = 'enable' | 'idle' | 'interval' | 'count' | 'userTimeout';

/**
 * What to change. Every field is optional; a field left out is left as the
 * kernel holds it, except `enable`, which defaults to `true`.
 * Times are milliseconds and are rounded UP to the kernel's unit (whole
 * seconds for idle and interval on Linux and macOS: 1500 becomes 2000).
 */
export interface KeepaliveOptions {
  /** Turn keepalive on or off (SO_KEEPALIVE). Default `true`. */
  enable?: boolean;
  /** Idle time before the first probe, ms (TCP_KEEPIDLE; TCP_KEEPALIVE on macOS). */
  idle?: number;
  /** Time between unanswered probes, ms (TCP_KEEPINTVL). */
  interval?: number;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
  count?: number;
  /**
   * Longest time transmitted data may stay unacknowledged before the
   * connection is dropped, ms (TCP_USER_TIMEOUT, Linux only; 0 = system
   * behaviour). When set, Linux also uses it instead of `count` to end an
   * unanswered keepalive.
   */
  userTimeout?: number;
}

/**
 * What the kernel holds for a socket, read back after any change. Times in
 * ms. A field is `null` where this platform cannot report it (see
 * `capabilities()`).
 */
export interface KeepaliveState {
  enable: boolean;
  idle: number | null;
  interval: number | null;
  count: number | null;
  userTimeout: number | null;
  /**
   * Fields the platform cannot read back, reported as last set through this
   * library (Windows' SIO_KEEPALIVE_VALS is write-only). Absent when every
   * value was read from the kernel.
   */
  remembered?: KeepaliveField[];
}

export interface SystemDefaults {
  /** Idle time before the first probe, ms. */
  idle: number;
  /** Time between probes, ms. */
  interval: number;
  /** Unanswered probes before the connection is dropped. */
  count: number;
  /** Where the numbers come from (files, sysctl names, registry values). */
  source: string;
}

export type TcpStateName =
  | 'UNKNOWN'
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING';

/**
 * A portable view of TCP_INFO (Linux) / TCP_CONNECTION_INFO (macOS). A field
 * the platform does not report is `null`. Units: times since an event in ms,
 * round-trip and retransmission times in microseconds, windows in bytes,
 * congestion window and thresholds in segments.
 */
export interface TcpInfo {
  state: TcpStateName;
  /** Congestion-avoidance state: 0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss (Linux). */
  caState: number | null;
  /** Keepalive (or zero-window) probes sent and not yet answered. */
  probes: number | null;
  /** Exponential backoff of the retransmission timer. */
  backoff: number | null;
  /** Retransmission timeouts not yet recovered from. */
  retransmits: number | null;
  /** Segments retransmitted over the connection's life. */
  totalRetrans: number | null;
  /** Retransmission timeout, us. */
  rto: number | null;
  /** Delayed-ACK timeout, us. */
  ato: number | null;
  /** Send maximum segment size, bytes. */
  sndMss: number | null;
  /** Receive maximum segment size, bytes. */
  rcvMss: number | null;
  /** Segments sent and not yet acknowledged. */
  unacked: number | null;
  /** Segments considered lost. */
  lost: number | null;
  /** Segments being retransmitted now. */
  retrans: number | null;
  /** Time since data was last sent, ms. */
  lastDataSent: number | null;
  /** Time since an ACK was last sent, ms (Linux does not track it: null). */
  lastAckSent: number | null;
  /** Time since data was last received, ms. */
  lastDataRecv: number | null;
  /** Time since an ACK was last received, ms (a keepalive ACK counts). */
  lastAckRecv: number | null;
  /** Path MTU, bytes. */
  pmtu: number | null;
  /** Smoothed round-trip time, us. */
  rtt: number | null;
  /** Round-trip time variation, us. */
  rttvar: number | null;
  /** Minimum round-trip time seen, us. */
  minRtt: number | null;
  /** Congestion window, segments. */
  sndCwnd: number | null;
  /** Slow-start threshold, segments. */
  sndSsthresh: number | null;
  /** The peer's advertised receive window, bytes. */
  sndWnd: number | null;
  /** Our advertised receive window, bytes. */
  rcvWnd: number | null;
  /** Bytes sent, retransmissions included. */
  bytesSent: number | null;
  /** Bytes acknowledged by the peer. */
  bytesAcked: number | null;
  /** Bytes received. */
  bytesReceived: number | null;
  /** Bytes retransmitted. */
  bytesRetrans: number | null;
  /** Segments sent. */
  segsOut: number | null;
  /** Segments received. */
  segsIn: number | null;
  /** Bytes written by the application and not yet sent. */
  notsentBytes: number | null;
}

export interface FieldCapability {
  /** This platform can change the field. */
  settable: boolean;
  /** This platform can read the field back from the kernel. */
  readable: boolean;
  /** Smallest accepted value (ms for times), after rounding up to `unitMs`. */
  min: number;
  /** Largest accepted value (ms for times). */
  max: number;
  /** Granularity the kernel keeps, ms; 0 for counts and the switch. */
  unitMs: number;
}

export interface Capabilities {
  /** The native back end in use. */
  backend: 'linux' | 'darwin' | 'win32';
  enable: FieldCapability;
  idle: FieldCapability;
  interval: FieldCapability;
  count: FieldCapability;
  userTimeout: FieldCapability;
  /** getTcpInfo() works here. */
  tcpInfo: boolean;
  /** systemDefaults() works here. */
  systemDefaults: boolean;
  /** Accepted sockets inherit options set on the listening socket (guaranteed by the OS). */
  listenerInheritance: boolean;
}

/** How a generic socket option's value is passed. */
export type SockOptType = 'int' | 'bool' | 'buffer';
