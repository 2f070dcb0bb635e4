// Scenario 5 of the network proof: the probes themselves, counted by tcp_info while the peer is
// silent, and seen on the wire (tcpdump on the test link) while it is alive.
import { afterAll, expect, it } from 'vitest';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import { probesOnTheWire, probesRising } from '../helpers/network-scenarios';
import { CLOCK_SLACK_MS, detectionWindow, FAST, PROBE_SEEN_SLACK_MS } from '../helpers/detection';


needs('netns').describeConcurrent('keepalive probes', () => {
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  it('peer silent: getTcpInfo().probes rises 1, 2, ... count at interval spacing, then ETIMEDOUT', async ({ expect }) => {
    const { seen, detection } = await probesRising();

    // 0 first, unless the fault fell between a probe and its answer (then it starts at 1).
    const counts = seen.map((s) => s.probes).filter((n) => n > 0);
    expect(counts).toEqual([1, 2, 3]);
    for (const { probes, afterLastPacket } of seen.filter((s) => s.probes > 0)) {
      // Probe k goes out at idle + interval x (k - 1) after the last packet.
      const due = FAST.idle + FAST.interval * (probes - 1);
      expect(afterLastPacket).toBeGreaterThanOrEqual(due - CLOCK_SLACK_MS);
      expect(afterLastPacket).toBeLessThanOrEqual(due + PROBE_SEEN_SLACK_MS);
    }
    expect(detection.code).toBe('ETIMEDOUT');
    expect(detection.afterLastPacket).toBeLessThanOrEqual(detectionWindow(FAST).latest);
  });

  needs('system:tcpdump').it('peer alive: one probe per idle period on the wire, seq one below the next expected, each ACKed', async ({ expect }) => {
    const { probes, otherSegments, capturedFor } = await probesOnTheWire();

    // Probes at ~1, 2, 3 s after the handshake in a capture of 3.5 s.
    expect(capturedFor).toBeGreaterThan(3 * FAST.idle);
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(probes.length).toBeLessThanOrEqual(4);
    for (const probe of probes) {
      // What makes Wireshark say "TCP Keep-Alive": no payload, seq = next expected - 1.
      expect(probe.payloadLength).toBe(0);
      expect(probe.seq).toBe((probe.nextExpected - 1) >>> 0);
      // A full idle period after the last word from the peer, every time.
      expect(probe.afterLastFromPeer).toBeGreaterThanOrEqual(FAST.idle - CLOCK_SLACK_MS);
      expect(probe.afterLastFromPeer).toBeLessThanOrEqual(FAST.idle + PROBE_SEEN_SLACK_MS);
      // And its "TCP Keep-Alive ACK": acknowledges the next expected byte, at once.
      expect(probe.answer).not.toBeNull();
      expect(probe.answer!.payloadLength).toBe(0);
      expect(probe.answer!.ack).toBe(probe.nextExpected);
      expect(probe.answer!.delay).toBeLessThan(100);
    }
    // Nothing else crossed the link: no data, no probes from the peer (it has no keepalive).
    expect(otherSegments).toEqual([]);
  });
});
