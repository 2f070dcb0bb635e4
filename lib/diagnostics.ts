// What the `tcp-keepalive` command needs beyond the public API, in one
// explicit module: packet capture, other processes' descriptors, another
// namespace's defaults, and the kernel's socket table (sock_diag). Each is a
// capability of the addon, absent where the OS has no such thing; the
// command asks `diagnostics` rather than the OS name. Not a public API.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type net from 'node:net';
import type { KeepaliveState, SystemDefaults, TcpInfo, TcpStateName } from './types';
import { keepaliveFromSlots, tcpInfoFromSlots } from './keepalive';
import { slotReader } from './slot-reader';
import { systemError } from './errors';
import { binding, defaultsFromSlots, nativeError } from './native';
import { descriptorOf } from './target';

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

/** The keepalive fields, as the addon names them, in its order (one list, for the command). */
export { FIELDS as keepaliveFields } from './native';
/** Durations as the command and TCP_KEEPALIVE write them ("30s", "500ms"). */
export { DURATION_SYNTAX, formatDuration, parseDuration } from './duration';
export { escapeText } from './escape';
/** The TCP_KEEPALIVE variable that tcp-keepalive/register reads. */
export { ENVIRONMENT_VARIABLE, formatKeepaliveSpec, parseKeepaliveSpec, SPEC_KEYS } from './environment';

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

function unsupported(what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${what} is not available on this system`), { code: 'ENOTSUP' });
}

/** Throws the Node-style system error of a failed call, else returns its value. */
function checked(rc: number): number {
  if (rc < 0) throw nativeError(rc);
  return rc;
}

// --- Sockets of this process --------------------------------------------

/** The socket's inode, which names it in the kernel's tables; null if it has none. */
export function socketInode(socket: net.Socket): number | null {
  try {
    return fstatSync(descriptorOf(socket, socketInode)).ino;
  } catch {
    return null;
  }
}

// --- Packet capture (native/capture_linux.cc) ---------------------------

export interface FlowFilter {
  /** 4, 6, or 0 for both (addresses empty then). */
  readonly family: 0 | 4 | 6;
  /** '' = any. */
  readonly localAddress: string;
  /** 0 = any. */
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export const packetRecordSize = binding.packetRecordSize ?? 0;

/** A capture descriptor for one flow (close it with fs.closeSync); EPERM without CAP_NET_RAW. */
export function openCapture(filter: FlowFilter): number {
  if (!binding.captureOpen) throw unsupported('packet capture (AF_PACKET)');
  return checked(binding.captureOpen(filter.family, filter.localAddress, filter.localPort, filter.remoteAddress, filter.remotePort));
}

export function setCaptureFlow(fd: number, filter: FlowFilter): void {
  checked(binding.captureSetFlow!(fd, filter.family, filter.localAddress, filter.localPort, filter.remoteAddress, filter.remotePort));
}

/** Records queued on the capture, written to `buffer` without blocking: how many. */
export function readCapture(fd: number, buffer: Uint8Array): number {
  return checked(binding.captureRead!(fd, buffer));
}

// --- Another process (native/inspect_linux.cc) --------------------------

/** pidfd_open(2); throws ESRCH, EPERM, ENOSYS as Node-style errors. */
export function openProcess(pid: number): number {
  if (!binding.pidfdOpen) throw unsupported("reading another process's sockets (pidfd_getfd)");
  return checked(binding.pidfdOpen(pid));
}

/** pidfd_getfd(2): this process's duplicate of the process's descriptor `fd`. */
export function duplicateDescriptor(pidfd: number, fd: number): number {
  return checked(binding.pidfdGetfd!(pidfd, fd));
}

/**
 * The socket descriptors of process `pid` and their inodes, in descriptor
 * order, as `ss -p` finds them in /proc/PID/fd (ENOENT: no such process,
 * EACCES: no ptrace rights).
 */
export function processSockets(pid: number): Map<number, number> {
  if (!binding.processSockets) throw unsupported("reading another process's sockets");
  const pairs = binding.processSockets(pid);
  if (typeof pairs === 'number') throw nativeError(pairs);
  const sockets = new Map<number, number>();
  for (let i = 0; i < pairs.length; i += 2) sockets.set(pairs[i]!, pairs[i + 1]!);
  return sockets;
}

/**
 * The keepalive settings of many descriptors of the process behind `pidfd`,
 * in one call into the addon: a state, or the Node-style error of that
 * descriptor (EBADF if it was closed meanwhile, ENOTSUP if not TCP).
 */
export function processKeepalive(pidfd: number, fds: readonly number[]): (KeepaliveState | NodeJS.ErrnoException)[] {
  const size = binding.processKeepaliveSlots!;
  const slots = new Float64Array(fds.length * size);
  binding.processKeepalive!(pidfd, Int32Array.from(fds), slots);
  return fds.map((_, i) => {
    const rc = slots[i * size]!;
    return rc < 0 ? systemError(rc, binding.syscalls[slots[i * size + 1]!] ?? 'unknown') : keepaliveFromSlots(slots, i * size + 2);
  });
}

/**
 * The defaults inside the namespace behind `path` (/proc/PID/ns/net or
 * /run/netns/NAME); null where that cannot be read (no such namespaces
 * here, no CAP_SYS_ADMIN, the namespace is gone).
 */
export function systemDefaultsIn(path: string): SystemDefaults | null {
  const read = binding.netnsSystemDefaults;
  if (!read) return null;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const source = read(fd);
    if (typeof source === 'number') return null;
    return defaultsFromSlots(source);
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

// --- The kernel's socket table (native/sock_diag_linux.cc) --------------

/** The timer pending on a socket, as `ss -o` names it. */
export type TimerKind = 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';
const TIMERS: readonly TimerKind[] = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];

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

/** The TCP_INFO fields `inspect` shows: a brief record decodes only these. */
export type BriefTcpInfo = Pick<TcpInfo, 'state' | 'probes' | 'unacked' | 'lastAckRecv' | 'lastDataRecv'>;

/** A record with only the brief TCP_INFO: cheaper by far when there are thousands. */
export type SocketBrief = Omit<SocketRecord, 'info'> & { readonly info: BriefTcpInfo };

export interface SocketFilter {
  /** 4, 6 or 0 (both). */
  readonly family?: 0 | 4 | 6;
  /** 0 = any. */
  readonly localPort?: number;
  readonly remotePort?: number;
}

const FIELDS = binding.sockDiagFields ?? [];
const slot = (name: string): number => FIELDS.indexOf(name);
const SLOT = {
  inode: slot('inode'),
  family: slot('family'),
  state: slot('state'),
  localPort: slot('localPort'),
  remotePort: slot('remotePort'),
  timer: slot('timer'),
  timerLeftMs: slot('timerLeftMs'),
  timerProbes: slot('timerProbes'),
  uid: slot('uid'),
  receiveQueue: slot('receiveQueue'),
  sendQueue: slot('sendQueue'),
};
const TCP_STATES = binding.tcpStates as readonly TcpStateName[];
const INFO = {
  segsIn: binding.tcpInfoFields.indexOf('segsIn'),
  segsOut: binding.tcpInfoFields.indexOf('segsOut'),
};
const BRIEF_FIELDS: readonly (keyof BriefTcpInfo)[] = ['state', 'probes', 'unacked', 'lastAckRecv', 'lastDataRecv'];
const readBriefTcpInfo = slotReader<BriefTcpInfo>(
  BRIEF_FIELDS,
  BRIEF_FIELDS.map((name) => (name === 'state' ? 'state' : 'nullable')),
  binding.tcpStates,
  BRIEF_FIELDS.map((name) => binding.tcpInfoFields.indexOf(name)),
);
const RECORD_SLOTS = (): number => binding.sockDiagRecordSize! / 8;

/** Dotted quad, or RFC 5952 text for 16 bytes (IPv4-mapped as ::ffff:a.b.c.d). */
export function formatAddress(bytes: Uint8Array, at: number, family: 4 | 6): string {
  if (family === 4) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  return formatIPv6(bytes, at);
}

/** RFC 5952 text for 16 bytes: lower case, longest run of zero groups as "::". */
export function formatIPv6(bytes: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatAddress(bytes, at + 12, 4)}`;
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * The TCP sockets of one network namespace, as `ss -tn` sees them: each
 * dump is one netlink request per address family, filtered by port in the
 * kernel, with state, timer and TCP_INFO per socket.
 */
export class SocketTable {
  // Room for a typical namespace's sockets, so that one dump usually does.
  private bytes = new Uint8Array(1024 * (binding.sockDiagRecordSize ?? 0));
  private slots = new Float64Array(this.bytes.buffer);
  private closed = false;

  private constructor(private readonly fd: number) {}

  /** In this process's namespace, or in the one behind `namespacePath` (needs CAP_SYS_ADMIN). */
  static open(namespacePath: string | null = null): SocketTable {
    if (!binding.sockDiagOpen) throw unsupported('the socket table (NETLINK_SOCK_DIAG)');
    if (namespacePath === null) return new SocketTable(checked(binding.sockDiagOpen(-1)));
    const nsFd = openSync(namespacePath, 'r');
    try {
      return new SocketTable(checked(binding.sockDiagOpen(nsFd)));
    } finally {
      closeSync(nsFd);
    }
  }

  /** Every matching socket. */
  dump(filter: SocketFilter = {}): SocketRecord[] {
    const count = this.fill(filter);
    const records: SocketRecord[] = [];
    for (let i = 0; i < count; i++) records.push(this.record(i));
    return records;
  }

  /** The matching sockets whose inode is in `wanted`: the index of each one's record in this dump, nothing decoded. */
  find(filter: SocketFilter, wanted: ReadonlySet<number>): Map<number, number> {
    // The addon keeps only the wanted sockets, which the buffer has room for
    // before the dump: one dump, however many other sockets the host holds.
    const inodes = Float64Array.from(wanted).sort();
    const count = this.fill(filter, wanted.size, inodes);
    const size = RECORD_SLOTS();
    const found = new Map<number, number>();
    for (let i = 0; i < count; i++) found.set(this.slots[i * size + SLOT.inode]!, i);
    return found;
  }

  /** A record's pending timer, without decoding the rest, as read at `readAt`. */
  timerOf(index: number, readAt: number): { timer: TimerKind; timerLeftMs: number; readAt: number } {
    const at = index * RECORD_SLOTS();
    return { timer: TIMERS[this.slots[at + SLOT.timer]!] ?? 'none', timerLeftMs: this.slots[at + SLOT.timerLeftMs]!, readAt };
  }

  /**
   * A number that changes when a look could see anything new, without
   * decoding the record: every change of state, timer, probes or data in
   * flight comes with a segment in or out, so the two segment counters say
   * it (packed into one number, exact below 2^26 segments out).
   */
  fingerprint(index: number): number {
    const info = index * RECORD_SLOTS() + FIELDS.length;
    return this.slots[info + INFO.segsIn]! * 2 ** 26 + (this.slots[info + INFO.segsOut]! % 2 ** 26);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private fill(filter: SocketFilter, expected = 0, inodes?: Float64Array): number {
    const recordSize = binding.sockDiagRecordSize!;
    if (expected * recordSize > this.bytes.length) this.grow(expected);
    for (;;) {
      const found = checked(binding.sockDiagDump!(this.fd, filter.family ?? 0, filter.localPort ?? 0, filter.remotePort ?? 0, this.bytes, inodes));
      if (found * recordSize <= this.bytes.length) return found;
      this.grow(found);
    }
  }

  /** Room for `records` and a quarter more: sockets come and go. */
  private grow(records: number): void {
    this.bytes = new Uint8Array(Math.ceil(records * 1.25 + 16) * binding.sockDiagRecordSize!);
    this.slots = new Float64Array(this.bytes.buffer);
  }

  /** One record of the last dump. */
  record(index: number): SocketRecord {
    return this.decode(index, this.tcpInfo(index));
  }

  /** A record's TCP_INFO alone, without its addresses and the rest. */
  tcpInfo(index: number): TcpInfo {
    return tcpInfoFromSlots(this.slots, index * RECORD_SLOTS() + FIELDS.length);
  }

  /** One record of the last dump, with only the TCP_INFO fields of BriefTcpInfo. */
  brief(index: number): SocketBrief {
    return this.decode(index, readBriefTcpInfo(this.slots, index * RECORD_SLOTS() + FIELDS.length));
  }

  private decode<Info>(index: number, info: Info): Omit<SocketRecord, 'info'> & { readonly info: Info } {
    const at = index * RECORD_SLOTS();
    const s = this.slots;
    const family = s[at + SLOT.family] === 6 ? 6 : 4;
    const addressAt = index * binding.sockDiagRecordSize! + binding.sockDiagAddressOffset!;
    const timer = TIMERS[s[at + SLOT.timer]!] ?? 'none';
    const probing = timer === 'keepalive' || timer === 'zero-window-probe';
    return {
      inode: s[at + SLOT.inode]!,
      family,
      state: TCP_STATES[s[at + SLOT.state]!] ?? 'UNKNOWN',
      localAddress: family === 4 ? ipv4Text(this.bytes, addressAt) : unmapped(formatIPv6(this.bytes, addressAt)),
      localPort: s[at + SLOT.localPort]!,
      remoteAddress: family === 4 ? ipv4Text(this.bytes, addressAt + 16) : unmapped(formatIPv6(this.bytes, addressAt + 16)),
      remotePort: s[at + SLOT.remotePort]!,
      timer,
      timerLeftMs: s[at + SLOT.timerLeftMs]!,
      probesOut: probing ? s[at + SLOT.timerProbes]! : 0,
      uid: s[at + SLOT.uid]!,
      receiveQueue: s[at + SLOT.receiveQueue]!,
      sendQueue: s[at + SLOT.sendQueue]!,
      info,
    };
  }
}

// The text of recent IPv4 addresses: a table of 10,000 connections usually
// has a handful of addresses, and one string each will do.
const IPV4_TEXT = new Map<number, string>();
const IPV4_TEXT_MAX = 4096;
// The address asked for last: a server's own address, asked again and again.
let lastIPv4 = -1;
let lastIPv4Text = '';

function ipv4Text(bytes: Uint8Array, at: number): string {
  const key = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
  if (key === lastIPv4) return lastIPv4Text;
  let text = IPV4_TEXT.get(key);
  if (text === undefined) {
    text = formatAddress(bytes, at, 4);
    if (IPV4_TEXT.size >= IPV4_TEXT_MAX) IPV4_TEXT.clear();
    IPV4_TEXT.set(key, text);
  }
  lastIPv4 = key;
  lastIPv4Text = text;
  return text;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
