import type {
  NativeCapabilities,
  NativeFieldLimits,
  NativeFieldName,
  NativeKeepaliveFields,
  NativeTcpInfoNumbers,
  NativeTcpStateName,
} from '../binding';

/** A keepalive configuration field (native/core/keepalive.h defines the list). */
export type KeepaliveField = NativeFieldName;

/**
 * What to change. Every field is optional; a field left out is left as the
 * kernel holds it, except `enable`, which defaults to `true`.
 * Times are milliseconds and are rounded UP to the kernel's unit (whole
 * seconds for idle and interval on Linux and macOS: 1500 becomes 2000).
 */
// The fields and their comments are the addon's (binding.d.ts,
// NativeKeepaliveFields): a homomorphic mapped type keeps the comments.
export interface KeepaliveOptions extends Partial<NativeKeepaliveFields> {}

// Each field as read back: null where the platform cannot report it, except
// the on/off switch, which every platform reports.
type ReadBackFields = {
  [F in keyof NativeKeepaliveFields]: NativeKeepaliveFields[F] extends boolean
    ? NativeKeepaliveFields[F]
    : NativeKeepaliveFields[F] | null;
};

/**
 * What the kernel holds for a socket, read back after any change. Times in
 * ms. A field is `null` where this platform cannot report it (see
 * `capabilities()`).
 */
export interface KeepaliveState extends ReadBackFields {
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
 * those of the addon (native/core/keepalive.h, TCPKA_TCP_INFO_FIELDS).
 */
export interface TcpInfo extends NativeTcpInfoNumbers {
  state: TcpStateName;
}

export type FieldCapability = NativeFieldLimits;

/** What this platform supports (see capabilities()). */
export type Capabilities = NativeCapabilities;

/** How a generic socket option's value is passed. */
export type SockOptType = 'int' | 'bool' | 'buffer';
