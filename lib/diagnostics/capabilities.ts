// What the command may ask of this system beyond the public API: each a
// capability of the addon, absent where the OS has no such thing. The
// command asks these rather than the OS name.
import { readFileSync } from 'node:fs';
import { binding } from '../native';

export interface DiagnosticsCapabilities {
  /** A connection's packets (AF_PACKET; root or CAP_NET_RAW at run time). */
  readonly packetCapture: boolean;
  /** Another process's sockets, read through duplicates (pidfd_getfd). */
  readonly processSockets: boolean;
  /** The system defaults inside another network namespace (setns). */
  readonly namespaceDefaults: boolean;
  /** The kernel's table of TCP sockets with timers and TCP_INFO (sock_diag). */
  readonly socketTable: boolean;
  /** Network namespaces: the system defaults and the socket table are per namespace. */
  readonly perNamespace: boolean;
  /** A socket that never set an option follows the system defaults live, even as they change. */
  readonly liveDefaults: boolean;
}

export const diagnostics: DiagnosticsCapabilities = Object.freeze({
  packetCapture: binding.captureOpen !== undefined,
  processSockets: binding.processSockets !== undefined && binding.processKeepalive !== undefined,
  namespaceDefaults: binding.netnsSystemDefaults !== undefined,
  socketTable: binding.sockDiagDump !== undefined,
  // Linux's /proc/sys/net defaults are per namespace and read on every use;
  // the addon can read another namespace's exactly there.
  perNamespace: binding.netnsSystemDefaults !== undefined,
  liveDefaults: binding.netnsSystemDefaults !== undefined,
});

/**
 * How many times unacknowledged data is retransmitted before the connection
 * is dropped (net.ipv4.tcp_retries2), which keepalive does not cover; null
 * where the system has no such setting.
 */
export function retransmissionLimit(): number | null {
  if (!diagnostics.perNamespace) return null;
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/tcp_retries2', 'utf8').trim());
  } catch {
    return null;
  }
}

