// The public types. Self-contained (no import of the addon's binding.d.ts),
// so that what a user's editor shows and what the compiler reports name only
// these. The addon's own shapes (binding.d.ts) must match them:
// test/public-types.test.ts checks that, name for name.

/** A keepalive configuration field (native/core/keepalive.h defines the list). */
export type KeepaliveField = 'enable' | 'idle' | 'interval' | 'count' | 'userTimeout';

/**
 * What to change. Every field is optional; a field left out is left as the
 * kernel holds it, except `enable`, which defaults to `true`.
 * Times are milliseconds and are rounded UP to the kernel's unit (whole
 * seconds for idle and interval on Linux and macOS: 1500 becomes 2000).
 */
export interface KeepaliveOptions {
  /**
   * Keepalive on or off (SO_KEEPALIVE). setKeepalive() turns it on unless
   * given `false`.
   */
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
 * ms. `enable`, `idle` and `interval` are there on every supported platform
 * (on Windows, where the kernel cannot be asked, as last set: see
 * `remembered`); `count` and `userTimeout` are `null` where the platform
 * cannot report them (`capabilities().count.readable`, `.userTimeout.readable`).
 */
export interface KeepaliveState {
  /** Keepalive on or off (SO_KEEPALIVE). */
  enable: boolean;
  /** Idle time before the first probe, ms (TCP_KEEPIDLE; TCP_KEEPALIVE on macOS). */
  idle: number;
  /** Time between unanswered probes, ms (TCP_KEEPINTVL). */
  interval: number;
  /**
   * Unanswered probes before the connection is dropped (TCP_KEEPCNT); `null`
   * where Windows has no TCP_KEEPCNT (before Windows 10 1703: fixed at 10).
   */
  count: number | null;
  /**
   * TCP_USER_TIMEOUT, ms (0 = system behaviour); `null` except on Linux, the
   * only platform that has it.
   */
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

/** The portable TCP states (native/core/keepalive.h, TcpState). */
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
 * A portable view of TCP_INFO (Linux) / TCP_CONNECTION_INFO (macOS), in the
 * order of the addon's X-macro (native/core/keepalive.h, TCPKA_TCP_INFO_FIELDS).
 * Units: times since an event in ms, round-trip and retransmission times in
 * microseconds, windows in bytes, congestion window and thresholds in
 * segments. A field the platform does not report is `null`.
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

/** What this platform does with one keepalive field (see capabilities()). */
export interface FieldCapability {
  /** This platform can change the field. */
  readonly settable: boolean;
  /** This platform can read the field back from the kernel. */
  readonly readable: boolean;
  /** Smallest accepted value (ms for times), after rounding up to `unitMs`. */
  readonly min: number;
  /** Largest accepted value (ms for times). */
  readonly max: number;
  /** Granularity the kernel keeps, ms; 0 for counts and the switch. */
  readonly unitMs: number;
}

/** What this platform supports (see capabilities()). */
export interface Capabilities {
  /** The native back end in use. */
  readonly backend: 'linux' | 'darwin' | 'win32';
  /** getTcpInfo() works here. */
  readonly tcpInfo: boolean;
  /** systemDefaults() works here. */
  readonly systemDefaults: boolean;
  /** Accepted sockets inherit options set on the listening socket (guaranteed by the OS). */
  readonly listenerInheritance: boolean;
  /**
   * Lowering the idle time of an established connection below the idle already elapsed sends a
   * probe at once: a probe at a chosen moment, which measureIdleTimeout() needs (Linux).
   */
  readonly probeAtChosenMoment: boolean;
  readonly enable: FieldCapability;
  readonly idle: FieldCapability;
  readonly interval: FieldCapability;
  readonly count: FieldCapability;
  readonly userTimeout: FieldCapability;
}

/**
 * This platform's socket option numbers (`constants`), for getSockOpt and
 * setSockOpt. The names every supported platform has are always there; the
 * others only where this platform's headers define them (native/core/constants.cc).
 */
export interface SocketConstants {
  readonly SOL_SOCKET: number;
  readonly IPPROTO_IP: number;
  readonly IPPROTO_IPV6: number;
  readonly IPPROTO_TCP: number;
  readonly SO_KEEPALIVE: number;
  readonly SO_REUSEADDR: number;
  readonly SO_RCVBUF: number;
  readonly SO_SNDBUF: number;
  readonly SO_LINGER: number;
  readonly SO_ERROR: number;
  readonly SO_TYPE: number;
  readonly TCP_NODELAY: number;
  readonly TCP_MAXSEG: number;
  /** Seconds between unanswered probes. */
  readonly TCP_KEEPINTVL: number;
  /** Unanswered probes before the connection is dropped. */
  readonly TCP_KEEPCNT: number;
  /** Linux, macOS. */
  readonly SO_REUSEPORT?: number;
  /** Windows. */
  readonly SO_EXCLUSIVEADDRUSE?: number;
  /** Linux. */
  readonly SO_DOMAIN?: number;
  /** Linux. */
  readonly SO_PROTOCOL?: number;
  /** Linux. */
  readonly SO_MARK?: number;
  /** macOS. */
  readonly SO_NOSIGPIPE?: number;
  /** Windows. */
  readonly TCP_MAXRT?: number;
  /** Windows. */
  readonly TCP_TIMESTAMPS?: number;
  /** Windows. */
  readonly TCP_FASTOPEN?: number;
  /** macOS: the idle time before the first probe, seconds. */
  readonly TCP_KEEPALIVE?: number;
  /** Linux, Windows: the idle time before the first probe, seconds. */
  readonly TCP_KEEPIDLE?: number;
  /** Linux, ms. */
  readonly TCP_USER_TIMEOUT?: number;
  /** Linux: struct tcp_info. */
  readonly TCP_INFO?: number;
  /** Linux. */
  readonly TCP_CORK?: number;
  /** Linux. */
  readonly TCP_QUICKACK?: number;
  /** Linux. */
  readonly TCP_SYNCNT?: number;
  /** Linux. */
  readonly TCP_LINGER2?: number;
  /** Linux. */
  readonly TCP_DEFER_ACCEPT?: number;
  /** Linux, macOS. */
  readonly TCP_NOTSENT_LOWAT?: number;
  /** Linux: a string option (the algorithm's name). */
  readonly TCP_CONGESTION?: number;
  /** macOS. */
  readonly TCP_CONNECTIONTIMEOUT?: number;
  /** macOS. */
  readonly TCP_RXT_CONNDROPTIME?: number;
  /** macOS: struct tcp_connection_info. */
  readonly TCP_CONNECTION_INFO?: number;
}

/** How a generic socket option's value is passed. */
export type SockOptType = 'int' | 'bool' | 'buffer';
