// lib/diagnostics/: what the command needs beyond the public API, one file
// per part (capabilities, calls, capture, processes, records, brief,
// addresses, socket-table); this index is the one door the command uses.
// May import: the library's own modules (../native, ../keepalive,
// ../errors, ...); never ../cli/. Parts import each other only downwards
// (socket-table on records, brief and addresses).
//
// Packet capture, other processes' descriptors, another namespace's
// defaults, and the kernel's socket table (sock_diag): each a capability of
// the addon, absent where the OS has no such thing; the command asks
// `diagnostics` rather than the OS name. Not a public API.
export { diagnostics, retransmissionLimit, type DiagnosticsCapabilities } from './capabilities';
export { openCapture, packetRecordSize, readCapture, setCaptureFlow, type FlowFilter } from './capture';
export { duplicateDescriptor, openProcess, processKeepalive, processSockets, socketInode, systemDefaultsIn } from './processes';
export { SocketTable, type SocketFilter } from './socket-table';
export type { SocketRecord, TimerKind } from './records';
export type { BriefTcpInfo, SocketBrief } from './brief';
export { formatAddress, formatIPv6 } from './addresses';
/** The public types the command's live view reads, from where they are defined (not through ../index). */
export type { KeepaliveOptions, KeepaliveState, TcpInfo, TcpStateName } from '../types';

/** The keepalive fields, as the addon names them, in its order (one list, for the command). */
export { FIELDS as keepaliveFields } from '../native';
/** Durations as the command and TCP_KEEPALIVE write them ("30s", "500ms"). */
export { DURATION_SYNTAX, formatDuration, parseDuration } from '../duration';
/** The one escaping of text from outside the process on its way to a terminal. */
export { escapeText } from '../escape';
/** The TCP_KEEPALIVE variable that tcp-keepalive/register reads. */
export { ENVIRONMENT_VARIABLE, formatKeepaliveSpec, parseKeepaliveSpec, SPEC_KEYS } from '../environment';
