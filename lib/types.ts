import type { NativeCapabilities, NativeFieldLimits, NativeFieldName, NativeTcpInfoNumbers, NativeTcpStateName } from '../binding';

/** A keepalive configuration field (native/keepalive.h defines the list). */
export type KeepaliveField = NativeFieldName;

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

export type TcpStateName = NativeTcpStateName;

/**
 * A portable view of TCP_INFO (Linux) / TCP_CONNECTION_INFO (macOS). A field
 * the platform does not report is `null`. The fields and their units are
 * those of the addon (native/keepalive.h, TCPKA_TCP_INFO_FIELDS).
 */
export interface TcpInfo extends NativeTcpInfoNumbers {
  state: TcpStateName;
}

export type FieldCapability = NativeFieldLimits;

/** What this platform supports (see capabilities()). */
export type Capabilities = NativeCapabilities;

// The documented option and state shapes above name every field: the
// compiler checks that they name exactly the addon's.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const optionsNameEveryField: SameKeys<keyof KeepaliveOptions, KeepaliveField> = true;
const stateNamesEveryField: SameKeys<Exclude<keyof KeepaliveState, 'remembered'>, KeepaliveField> = true;
void optionsNameEveryField;
void stateNamesEveryField;

/** How a generic socket option's value is passed. */
export type SockOptType = 'int' | 'bool' | 'buffer';
