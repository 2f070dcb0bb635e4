// Just enough of the pcap format (tcpdump -w) to read TCP over IPv4 on an Ethernet link, so
// that what the probes look like on the wire is checked from the capture itself.

export interface TcpSegment {
  /** Capture time, ms since the epoch (kernel timestamp, microsecond resolution or better). */
  readonly time: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: { syn: boolean; ack: boolean; fin: boolean; rst: boolean; psh: boolean };
  /** TCP payload bytes (from the IP total length, so a short snapshot does not matter). */
  readonly payloadLength: number;
}

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;

function ipv4(bytes: Buffer, offset: number): string {
  return [0, 1, 2, 3].map((i) => bytes[offset + i]).join('.');
}

/** The TCP/IPv4 segments of a capture; anything else (ARP, IPv6) is skipped. */
export function parseTcpSegments(capture: Buffer): TcpSegment[] {
  if (capture.length < 24) throw new Error(`not a pcap capture (${capture.length} bytes)`);
  // Magic: microsecond or nanosecond timestamps, in the writer's byte order.
  const magicLE = capture.readUInt32LE(0);
  const magicBE = capture.readUInt32BE(0);
  const little = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  if (!little && magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
    throw new Error(`not a pcap capture (magic 0x${magicLE.toString(16)})`);
  }
  const nano = (little ? magicLE : magicBE) === 0xa1b23c4d;
  const u32 = (offset: number): number => (little ? capture.readUInt32LE(offset) : capture.readUInt32BE(offset));
  const linkType = u32(20) & 0xffff;
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`link type ${linkType}, expected Ethernet (1)`);

  const segments: TcpSegment[] = [];
  for (let offset = 24; offset + 16 <= capture.length; ) {
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const included = u32(offset + 8);
    const frame = capture.subarray(offset + 16, offset + 16 + included);
    offset += 16 + included;
    if (frame.length < included) break; // cut short when the capture was stopped

    if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) continue;
    const ip = 14;
    const ipHeader = (frame[ip]! & 0x0f) * 4;
    const totalLength = frame.readUInt16BE(ip + 2);
    if (frame[ip + 9] !== IPPROTO_TCP) continue;
    const tcp = ip + ipHeader;
    if (frame.length < tcp + 20) continue;
    const tcpHeader = (frame[tcp + 12]! >> 4) * 4;
    const flags = frame[tcp + 13]!;
    segments.push({
      time: seconds * 1000 + (nano ? fraction / 1e6 : fraction / 1e3),
      src: ipv4(frame, ip + 12),
      dst: ipv4(frame, ip + 16),
      srcPort: frame.readUInt16BE(tcp),
      dstPort: frame.readUInt16BE(tcp + 2),
      seq: frame.readUInt32BE(tcp + 4),
      ack: frame.readUInt32BE(tcp + 8),
      flags: {
        fin: (flags & 0x01) !== 0,
        syn: (flags & 0x02) !== 0,
        rst: (flags & 0x04) !== 0,
        psh: (flags & 0x08) !== 0,
        ack: (flags & 0x10) !== 0,
      },
      payloadLength: totalLength - ipHeader - tcpHeader,
    });
  }
  return segments;
}

/**
 * Wireshark's "TCP Keep-Alive" test (packet-tcp.c): a segment with 0 or 1 byte of payload,
 * no SYN/FIN/RST, whose sequence number is one below the next sequence number the receiver
 * expects. `nextExpected` is that number: the last acknowledgement the receiver sent.
 */
export function isKeepaliveProbe(segment: TcpSegment, nextExpected: number | undefined): boolean {
  const { syn, fin, rst } = segment.flags;
  return (
    nextExpected !== undefined &&
    segment.payloadLength <= 1 &&
    !syn &&
    !fin &&
    !rst &&
    segment.seq === ((nextExpected - 1) >>> 0)
  );
}
