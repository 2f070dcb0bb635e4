// An independent reader of the kernel's socket table for tests:
// /proc/PID/net/tcp and tcp6 (Linux), every TCP socket of a network
// namespace with its state and its timer, the "timer:(keepalive,...)" of
// `ss -o`. The command reads the same through sock_diag (lib/diagnostics/);
// tests compare the two.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { formatIPv6 } from '../../lib/diagnostics';
import type { TcpStateName } from '../../lib/index';

/** The timer pending on a socket (the "tr" column). */
export type TimerKind = 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';

export interface ProcTcpEntry {
  readonly inode: number;
  readonly family: 4 | 6;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly state: TcpStateName;
  readonly timer: TimerKind;
  /** Time left on the timer, ms (10 ms resolution: USER_HZ). */
  readonly timerLeftMs: number;
  /** Unanswered keepalive (or zero-window) probes: icsk_probes_out. */
  readonly probesOut: number;
  readonly retransmits: number;
  readonly uid: number;
  /** Bytes written and not yet acknowledged (established sockets). */
  readonly sendQueue: number;
  readonly receiveQueue: number;
}

const STATES: readonly TcpStateName[] = [
  'UNKNOWN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'SYN_RECV', // TCP_NEW_SYN_RECV
];
const TIMERS: readonly TimerKind[] = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];
// The kernel prints clock_t (USER_HZ, 100 on every Linux architecture).
const MS_PER_TICK = 10;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Addresses are printed as 32-bit words in the kernel's byte order. */
function decodeAddress(hex: string): { family: 4 | 6; address: string } {
  const bytes = new Uint8Array(hex.length / 2);
  const view = new DataView(bytes.buffer);
  for (let word = 0; word < hex.length / 8; word++) {
    view.setUint32(word * 4, parseInt(hex.slice(word * 8, word * 8 + 8), 16), LITTLE_ENDIAN);
  }
  if (bytes.length === 4) return { family: 4, address: bytes.join('.') };
  const text = formatIPv6(bytes);
  return { family: 6, address: text.startsWith('::ffff:') ? text.slice(7) : text };
}

export function parseProcTcp(text: string): ProcTcpEntry[] {
  const entries: ProcTcpEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [localHex, localPortHex] = f[1]!.split(':');
    const [remoteHex, remotePortHex] = f[2]!.split(':');
    const [txHex, rxHex] = f[4]!.split(':');
    const [timerHex, whenHex] = f[5]!.split(':');
    const local = decodeAddress(localHex!);
    const remote = decodeAddress(remoteHex!);
    entries.push({
      inode: Number(f[9]),
      family: local.family,
      localAddress: local.address,
      localPort: parseInt(localPortHex!, 16),
      remoteAddress: remote.address,
      remotePort: parseInt(remotePortHex!, 16),
      state: STATES[parseInt(f[3]!, 16)] ?? 'UNKNOWN',
      timer: TIMERS[parseInt(timerHex!, 16)] ?? 'none',
      timerLeftMs: parseInt(whenHex!, 16) * MS_PER_TICK,
      retransmits: parseInt(f[6]!, 16),
      uid: Number(f[7]),
      probesOut: Number(f[8]),
      sendQueue: parseInt(txHex!, 16),
      receiveQueue: parseInt(rxHex!, 16),
    });
  }
  return entries;
}

/** Every TCP socket of `pid`'s network namespace ('self' for this process), by inode. */
export function readProcTcp(pid: number | 'self' = 'self'): Map<number, ProcTcpEntry> {
  const byInode = new Map<number, ProcTcpEntry>();
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'latin1');
    } catch {
      continue; // no IPv6 in this kernel, or not Linux
    }
    for (const entry of parseProcTcp(text)) if (entry.inode !== 0) byInode.set(entry.inode, entry);
  }
  return byInode;
}

