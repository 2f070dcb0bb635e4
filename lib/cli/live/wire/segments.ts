// One TCP segment as captured (its fields and flags), labelled the way
// Wireshark's TCP analysis does, so that what the command shows matches
// what people see in a capture:
//  - "TCP Keep-Alive": no SYN/FIN/RST, 0 or 1 byte of payload, and a
//    sequence number one below the next one expected from that side (the
//    kernel sends snd_una - 1 so that the peer must answer with an ACK).
//  - "TCP Keep-Alive ACK": an empty ACK right after a keep-alive from the
//    other side.
import { formatEndpoint } from '../../terminal/format';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** One TCP segment as the kernel saw it leave or arrive. */
export interface Segment {
  /** Kernel timestamp, ms since the epoch. */
  readonly timeMs: number;
  readonly ifindex: number;
  /** Captured on its way out of this host. */
  readonly outgoing: boolean;
  readonly family: 4 | 6;
  readonly flags: number;
  readonly srcAddress: string;
  readonly srcPort: number;
  readonly dstAddress: string;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly payloadLength: number;
  readonly window: number;
}

export type SegmentLabel = 'TCP Keep-Alive' | 'TCP Keep-Alive ACK' | 'SYN' | 'SYN-ACK' | 'FIN' | 'RST' | 'data' | 'ACK';

interface DirectionState {
  /** Sequence number expected next from this side; null until seen. */
  nextSeq: number | null;
  /** Last acknowledgment number this side sent. */
  lastAck: number | null;
  /** The last segment from this side was a keep-alive. */
  lastWasKeepAlive: boolean;
}

/** Signed distance a - b in 32-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function endpointKey(address: string, port: number): string {
  return formatEndpoint(address, port);
}

/** The same key for both directions of a flow. */
export function flowKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

export function segmentFlowKey(segment: Segment): string {
  return flowKey(endpointKey(segment.srcAddress, segment.srcPort), endpointKey(segment.dstAddress, segment.dstPort));
}

export function describeFlags(flags: number): string {
  const names: string[] = [];
  if (flags & TCP_SYN) names.push('SYN');
  if (flags & TCP_FIN) names.push('FIN');
  if (flags & TCP_RST) names.push('RST');
  if (flags & 0x08) names.push('PSH');
  if (flags & TCP_ACK) names.push('ACK');
  return names.join(',');
}

/** Sequence tracking for one flow, both directions. */
export class FlowAnalyzer {
  private readonly sides = new Map<string, DirectionState>();
  /** Time of the last segment, ms; for pruning flows nobody claims. */
  lastSeenMs = 0;

  private side(endpoint: string): DirectionState {
    let state = this.sides.get(endpoint);
    if (!state) {
      state = { nextSeq: null, lastAck: null, lastWasKeepAlive: false };
      this.sides.set(endpoint, state);
    }
    return state;
  }

  classify(segment: Segment): SegmentLabel {
    this.lastSeenMs = segment.timeMs;
    const from = this.side(endpointKey(segment.srcAddress, segment.srcPort));
    const to = this.side(endpointKey(segment.dstAddress, segment.dstPort));
    const { flags, seq, payloadLength } = segment;
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const ack = (flags & TCP_ACK) !== 0;

    let label: SegmentLabel;
    if (rst) {
      label = 'RST';
    } else if (syn) {
      label = ack ? 'SYN-ACK' : 'SYN';
    } else if (
      payloadLength <= 1 &&
      !fin &&
      ((from.nextSeq !== null && seq === seqAdd(from.nextSeq, -1)) ||
        (to.lastAck !== null && seq === seqAdd(to.lastAck, -1)))
    ) {
      label = 'TCP Keep-Alive';
    } else if (fin) {
      label = 'FIN';
    } else if (payloadLength === 0 && ack && to.lastWasKeepAlive) {
      label = 'TCP Keep-Alive ACK';
      to.lastWasKeepAlive = false;
    } else {
      label = payloadLength > 0 ? 'data' : 'ACK';
    }

    // A keep-alive repeats an old sequence number and moves nothing forward.
    if (label !== 'TCP Keep-Alive') {
      const end = seqAdd(seq, payloadLength + (syn ? 1 : 0) + (fin ? 1 : 0));
      if (from.nextSeq === null || seqDiff(end, from.nextSeq) > 0) from.nextSeq = end;
    }
    if (ack) {
      from.lastAck = segment.ack;
      // What the other side has had acknowledged, it has sent: this corrects
      // a guess made from a capture that started mid-connection.
      if (to.nextSeq === null || seqDiff(segment.ack, to.nextSeq) > 0) to.nextSeq = segment.ack;
    }
    from.lastWasKeepAlive = label === 'TCP Keep-Alive';
    return label;
  }
}
