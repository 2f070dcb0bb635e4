// lib/cli/live/wire/: the live view's wire reading: the capture of a
// connection's packets (capture), what a segment is and how Wireshark would
// label it (segments), and the feed that hands each labelled segment to its
// connection (packet-feed).
// May import: ../../terminal/, ../../../diagnostics; nothing else of the
// live view.
//
// One connection's packets, from the addon's AF_PACKET capture (Linux, root
// or CAP_NET_RAW). The kernel filters by 4-tuple; this decodes the records.
import { closeSync } from 'node:fs';
import { formatAddress, openCapture, packetRecordSize, readCapture, setCaptureFlow, type FlowFilter } from '../../../diagnostics';
import { unmapIPv4 } from '../../terminal/format';
import type { Segment } from './segments';

const PACKET_OUTGOING = 4;

/** Builds the filter for a flow, from addresses as Node reports them. */
export function flowFilter(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): FlowFilter {
  const local = unmapIPv4(localAddress);
  const remote = unmapIPv4(remoteAddress);
  const anyLocal = local === '' || local === '0.0.0.0' || local === '::';
  const known = [anyLocal ? '' : local, remote].find((address) => address !== '') ?? '';
  const family = known === '' ? 0 : known.includes(':') ? 6 : 4;
  return { family, localAddress: anyLocal ? '' : local, localPort, remoteAddress: remote, remotePort };
}

export class PacketCapture {
  private readonly recordSize = packetRecordSize;
  private readonly buffer = new Uint8Array(this.recordSize * 256);
  private readonly view = new DataView(this.buffer.buffer);
  private closed = false;

  private constructor(private readonly fd: number) {}

  /** Throws a Node-style system error (EPERM without CAP_NET_RAW). */
  static open(filter: FlowFilter): PacketCapture {
    return new PacketCapture(openCapture(filter));
  }

  /** Follows another flow from now on (the 4-tuple once a connection has its port). */
  setFlow(filter: FlowFilter): void {
    setCaptureFlow(this.fd, filter);
  }

  /** Everything captured since the last call, oldest first. */
  read(): Segment[] {
    const segments: Segment[] = [];
    if (this.closed) return segments;
    const capacity = this.buffer.length / this.recordSize;
    for (;;) {
      const count = readCapture(this.fd, this.buffer);
      for (let i = 0; i < count; i++) segments.push(this.decode(i * this.recordSize));
      if (count < capacity) return segments;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private decode(at: number): Segment {
    const v = this.view;
    const b = this.buffer;
    const family = b[at + 13] === 6 ? 6 : 4;
    const address = (offset: number): string => formatAddress(b, at + offset, family);
    return {
      timeMs: v.getFloat64(at, true),
      ifindex: v.getUint32(at + 8, true),
      outgoing: b[at + 12] === PACKET_OUTGOING,
      family,
      flags: b[at + 14]!,
      srcPort: v.getUint16(at + 16, true),
      dstPort: v.getUint16(at + 18, true),
      seq: v.getUint32(at + 20, true),
      ack: v.getUint32(at + 24, true),
      payloadLength: v.getUint32(at + 28, true),
      window: v.getUint32(at + 32, true),
      srcAddress: address(40),
      dstAddress: address(56),
    };
  }
}

/** Opens a capture, or says in a few words why packets will be inferred instead. */
export function tryCapture(filter: FlowFilter): { capture: PacketCapture | null; reason: string | null } {
  try {
    return { capture: PacketCapture.open(filter), reason: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'EACCES') return { capture: null, reason: 'capturing needs root or CAP_NET_RAW' };
    return { capture: null, reason: (error as Error).message };
  }
}
