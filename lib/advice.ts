// Keepalive values for a bound on finding a dead peer and a path's idle
// timeout, allowing for the kernel's timer lateness: the rules `advise` and
// `path` print, and measureIdleTimeout() returns.
import { formatKeepaliveSpec, ENVIRONMENT_VARIABLE } from './environment';
import { outOfRange } from './errors';
import { capabilities } from './keepalive';
import type { KeepaliveOptions } from './types';

/** Documented idle timeouts of common middleboxes, ms. */
export const MIDDLEBOX_IDLE_TIMEOUTS = [
  { name: "Azure Load Balancer's default", ms: 240_000 },
  { name: 'AWS Gateway Load Balancer and Network Firewall', ms: 350_000 },
] as const;

/**
 * Linux's keepalive timers fire up to 12.5 % late and never early (the timer
 * wheel's granularity grows with the timeout; measured at HZ=250, see
 * docs/path.md): every time the advice promises is multiplied by this.
 */
export const TIMER_LATENESS = 1.125;

/** On the wire, one probe or its ACK: Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12. */
export const PROBE_FRAME_BYTES = 66;
/** Below this many probes, one lost probe or ACK would drop a live connection. */
const PREFERRED_COUNT = 4;

export interface AdviseInput {
  /** A dead peer must be found within this long of its last segment, ms. */
  detectWithinMs: number;
  /** The idle timeout of the NAT/LB/firewall on the path, ms; null: the strictest documented. */
  idleTimeoutMs: number | null;
  connections: number;
  /** The connections carry data: bound unacknowledged data too (userTimeout). */
  busy: boolean;
}

export interface KeepaliveAdvice {
  options: KeepaliveOptions & { idle: number; interval: number; count: number };
  /** Worst case from the peer's last segment to the connection being dropped, ms, timers late by 12.5 %. */
  detectionMs: number;
  /** The same with timers on time (what the settings add up to), ms. */
  nominalDetectionMs: number;
  detectionFormula: string;
  /** The latest the first probe leaves after the last segment (idle x 1.125), ms: before idleTimeoutMs. */
  firstProbeLatestMs: number;
  idleTimeoutMs: number;
  idleTimeoutSource: string;
  /** On a healthy idle connection, one probe and its ACK every `idle`. */
  traffic: { connections: number; packetsPerSecond: number; bytesPerSecond: number; frameBytes: number };
  environment: string;
  code: string;
}

/** The kernel keeps idle and interval in whole seconds: the largest whole second <= ms. */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** The largest whole second s with s x 1.125 strictly below ms. */
function latestSafeSeconds(ms: number): number {
  const whole = wholeSeconds(ms / TIMER_LATENESS);
  return whole * TIMER_LATENESS < ms ? whole : whole - 1000;
}

function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

/** A bound the kernel cannot meet: RangeError ERR_OUT_OF_RANGE, with the field and the smallest value that works. */
function tooShort(field: keyof AdviseInput, range: string, value: number, minimum: number) {
  return Object.assign(outOfRange(field, range, value, adviseKeepalive), { field, minimum });
}

/**
 * The recommendation: half the bound for the first probe (long silences
 * cost fewer probes), half for `count` probes `interval` apart, with count
 * 4 where the bound allows it (three lost probes are survived). Both hold
 * with every timer 12.5 % late: the first probe leaves before the middlebox
 * forgets the connection (idle x 1.125 < idle timeout), and the connection is
 * dropped within the bound ((idle + interval x count) x 1.125 <= bound).
 * Throws ERR_OUT_OF_RANGE (with `field` and `minimum`) when the kernel
 * cannot meet the bound or the idle timeout.
 */
export function adviseKeepalive(input: AdviseInput): KeepaliveAdvice {
  const limits = capabilities();
  const { detectWithinMs, connections, busy } = input;
  const strictest = MIDDLEBOX_IDLE_TIMEOUTS.reduce((a, b) => (a.ms <= b.ms ? a : b));
  const idleTimeoutMs = input.idleTimeoutMs ?? strictest.ms;
  const idleTimeoutSource = input.idleTimeoutMs === null ? `${strictest.name}, the strictest documented` : 'given';
  const minimum = limits.idle.min + limits.interval.min * limits.count.min;
  const within = detectWithinMs / TIMER_LATENESS;
  if (within < minimum) {
    const needed = Math.ceil(minimum * TIMER_LATENESS);
    throw tooShort('detectWithinMs', `>= ${needed} (the kernel's smallest settings, idle + interval x count 1, with timers 12.5 % late)`, detectWithinMs, needed);
  }
  const idleCap = Math.min(limits.idle.max, latestSafeSeconds(idleTimeoutMs));
  if (idleCap < limits.idle.min) {
    const needed = Math.floor(limits.idle.min * TIMER_LATENESS) + 1;
    throw tooShort('idleTimeoutMs', `> ${needed - 1} (keepalive probes at most once a second, up to 12.5 % late)`, idleTimeoutMs, needed);
  }

  // As many probes as fit up to 4, each at least the kernel's smallest interval, leaving 1 s for idle.
  const count = Math.max(1, Math.min(PREFERRED_COUNT, Math.floor((within - limits.idle.min) / limits.interval.min)));
  let interval = Math.max(limits.interval.min, wholeSeconds(within / 2 / count));
  interval = Math.min(interval, idleCap, limits.interval.max);
  const idle = Math.max(limits.idle.min, Math.min(idleCap, wholeSeconds(within - interval * count)));
  const options: KeepaliveAdvice['options'] = { idle, interval, count };
  let nominal = idle + interval * count;
  let formula = `(idle ${seconds(idle)} + interval ${seconds(interval)} x count ${count})`;
  if (busy) {
    options.userTimeout = nominal;
    // With TCP_USER_TIMEOUT the connection ends at the first probe time at or past it: the same sum here.
    const probes = Math.max(1, Math.ceil((options.userTimeout - idle) / interval));
    nominal = idle + probes * interval;
    formula = `(idle ${seconds(idle)} + ${probes} x interval ${seconds(interval)}, the first probe time past the user timeout ${seconds(options.userTimeout)})`;
  }
  const detectionMs = Math.round(nominal * TIMER_LATENESS);
  const packetsPerSecond = (connections * 2 * 1000) / idle;
  const environment = `${ENVIRONMENT_VARIABLE}="${formatKeepaliveSpec(options)}"`;
  const code = `setDefaultKeepalive({ ${Object.entries(options).map(([key, value]) => `${key}: ${value.toLocaleString('en-US').replaceAll(',', '_')}`).join(', ')} });`;
  return {
    options,
    detectionMs,
    nominalDetectionMs: nominal,
    detectionFormula: `${formula} x 1.125, timers up to 12.5 % late`,
    firstProbeLatestMs: Math.round(idle * TIMER_LATENESS),
    idleTimeoutMs,
    idleTimeoutSource,
    traffic: { connections, packetsPerSecond, bytesPerSecond: packetsPerSecond * PROBE_FRAME_BYTES, frameBytes: PROBE_FRAME_BYTES },
    environment,
    code,
  };
}
