// The kernel's socket table (NETLINK_SOCK_DIAG; native/diagnostics/linux/sock_diag.cc):
// one dump per address family, filtered by port in the kernel, with state,
// timer and TCP_INFO per socket.
import { closeSync, openSync } from 'node:fs';
import { tcpInfoFromSlots } from '../keepalive';
import { binding } from '../native';
import type { TcpInfo, TcpStateName } from '../types';
import { formatIPv6, ipv4Text, unmapped } from './addresses';
import { readBriefTcpInfo, type SocketBrief } from './brief';
import { checked, unsupported } from './calls';
import { TIMERS, type SocketRecord, type TimerKind } from './records';

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
const RECORD_SLOTS = (): number => binding.sockDiagRecordSize! / 8;

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
