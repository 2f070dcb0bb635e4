// FlowAnalyzer: the Wireshark-style label the live view gives each captured
// segment (keep-alives and their ACKs among them), from sequence numbers alone.
import { describe, expect, it } from 'vitest';
import { FlowAnalyzer, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type Segment } from '../../lib/cli/live/wire/segments';

describe('FlowAnalyzer (Wireshark labels)', () => {
  const client = { address: '10.0.0.1', port: 40000 };
  const server = { address: '10.0.0.2', port: 80 };
  let clock = 0;
  const segment = (from: typeof client, to: typeof client, flags: number, seq: number, ack: number, length = 0): Segment => ({
    timeMs: ++clock,
    ifindex: 1,
    outgoing: from === client,
    family: 4,
    flags,
    srcAddress: from.address,
    srcPort: from.port,
    dstAddress: to.address,
    dstPort: to.port,
    seq,
    ack,
    payloadLength: length,
    window: 512,
  });

  it('labels a handshake, keep-alives and their ACKs, data, FIN and RST', () => {
    const flow = new FlowAnalyzer();
    const label = (s: Segment): string => flow.classify(s);
    expect(label(segment(client, server, TCP_SYN, 999, 0))).toBe('SYN');
    expect(label(segment(server, client, TCP_SYN | TCP_ACK, 4999, 1000))).toBe('SYN-ACK');
    expect(label(segment(client, server, TCP_ACK, 1000, 5000))).toBe('ACK');
    // Probe: seq = snd_una - 1, no payload.
    expect(label(segment(client, server, TCP_ACK, 999, 5000))).toBe('TCP Keep-Alive');
    expect(label(segment(server, client, TCP_ACK, 5000, 1000))).toBe('TCP Keep-Alive ACK');
    // The peer's probe, answered by the client.
    expect(label(segment(server, client, TCP_ACK, 4999, 1000))).toBe('TCP Keep-Alive');
    expect(label(segment(client, server, TCP_ACK, 1000, 5000))).toBe('TCP Keep-Alive ACK');
    // A one-byte "garbage" probe (BSD style) is a keep-alive too.
    expect(label(segment(client, server, TCP_ACK, 999, 5000, 1))).toBe('TCP Keep-Alive');
    expect(label(segment(server, client, TCP_ACK, 5000, 1000))).toBe('TCP Keep-Alive ACK');
    expect(label(segment(client, server, TCP_ACK | TCP_PSH, 1000, 5000, 5))).toBe('data');
    expect(label(segment(server, client, TCP_ACK, 5000, 1005))).toBe('ACK');
    expect(label(segment(client, server, TCP_ACK, 1004, 5000))).toBe('TCP Keep-Alive');
    expect(label(segment(server, client, TCP_RST, 5000, 0))).toBe('RST');
    expect(label(segment(client, server, TCP_FIN | TCP_ACK, 1005, 5000))).toBe('FIN');
  });

  it('recognizes probes in a capture that started mid-connection, once the peer has acknowledged', () => {
    const flow = new FlowAnalyzer();
    expect(flow.classify(segment(client, server, TCP_ACK, 0xffffffff, 7))).toBe('ACK'); // cannot tell yet
    expect(flow.classify(segment(server, client, TCP_ACK, 7, 0))).toBe('ACK');
    // Sequence numbers wrap: 0 - 1 is 0xffffffff.
    expect(flow.classify(segment(client, server, TCP_ACK, 0xffffffff, 7))).toBe('TCP Keep-Alive');
    expect(flow.classify(segment(server, client, TCP_ACK, 7, 0))).toBe('TCP Keep-Alive ACK');
  });
});
