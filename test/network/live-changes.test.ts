// Scenario 7 of the network proof: options changed on a live connection, after its peer has
// gone silent. The kernel's rules, each shown by one test (net/ipv4/tcp.c, tcp_timer.c):
// - idle (TCP_KEEPIDLE) re-arms the keepalive timer at once, counted from the last packet
//   received: the first probe comes at last packet + new idle, or now if that has passed;
// - interval (TCP_KEEPINTVL) and count (TCP_KEEPCNT) are read when the timer next expires:
//   the wait already under way keeps the old interval, and a count at or below the probes
//   already sent ends the connection at that expiry, not at the call;
// - turning keepalive on arms the timer idle after the call; turning it off stops it.
import { afterAll, expect, it } from 'vitest';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import {
  COUNT_BELOW_SENT,
  DISABLE_MID_CYCLE,
  ENABLE_LATE,
  IDLE_ALREADY_ELAPSED,
  IDLE_LONGER_THAN_ELAPSED,
  INTERVAL_ONLY,
  INTERVAL_WITH_IDLE,
  liveChanges,
  type LiveChangeResult,
} from '../helpers/network-scenarios';
import { CLOCK_SLACK_MS, PROBE_SEEN_SLACK_MS, withMargin } from '../helpers/detection';


/** When the probe count first reached `probes`, ms after the change. */
function probeAt(result: LiveChangeResult, probes: number): number {
  const seen = result.probesAfterChange.find((p) => p.probes === probes);
  if (seen === undefined) throw new Error(`probe ${probes} never seen: ${JSON.stringify(result)}`);
  return seen.at;
}

/** The same, ms after the last packet from the peer. */
const probeAfterLastPacket = (result: LiveChangeResult, probes: number): number =>
  probeAt(result, probes) + result.changedAfterLastPacket;

/** `actual` is `due` or a little later (timer slack, the 10 ms polling), never earlier. */
function expectDue(actual: number, due: number): void {
  expect(actual).toBeGreaterThanOrEqual(due - CLOCK_SLACK_MS);
  expect(actual).toBeLessThanOrEqual(due + PROBE_SEEN_SLACK_MS);
}

/** A connection end `ms` after its reference point, within the suite's margin (withMargin). */
function expectEndsAt(actual: number | undefined, ms: number): void {
  expect(actual).toBeGreaterThanOrEqual(ms - CLOCK_SLACK_MS);
  expect(actual).toBeLessThanOrEqual(withMargin(ms));
}

needs('netns').describeConcurrent('options changed on a live connection', () => {
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  it('idle 60 s -> 3 s, 1 s after the last packet: first probe 3 s after that packet, not 3 s after the call', async () => {
    const [result] = await liveChanges(1000, IDLE_LONGER_THAN_ELAPSED);
    expectDue(probeAfterLastPacket(result!, 1), 3000);
    expect(probeAt(result!, 1)).toBeLessThanOrEqual(3000 - 500);
    // Then interval 1 s x count 2, as for any idle period.
    expect(result!.detection?.code).toBe('ETIMEDOUT');
    expectEndsAt(result!.detection?.afterLastPacket, 3000 + 2 * 1000);
  });

  it('idle 60 s -> 1 s, 2 s after the last packet: the idle time is already over, so a probe goes at once', async () => {
    const [result] = await liveChanges(2000, IDLE_ALREADY_ELAPSED);
    expectDue(probeAt(result!, 1), 0);
    expect(result!.detection?.code).toBe('ETIMEDOUT');
    expectEndsAt(result!.detection?.afterFault, 2 * 1000);
  });

  it('interval 2 s -> 1 s after probe 1: the wait under way keeps 2 s, unless idle is set too (probe at once)', async () => {
    const [intervalOnly, withIdle] = await liveChanges(300, INTERVAL_ONLY, INTERVAL_WITH_IDLE);

    // interval alone: probes at 1, 1 + 2 (old), 1 + 2 + 1 (new) s; the end 1 s later. Counted
    // from the last packet the kernel received; when that was the answer to a probe sent before
    // the silence took hold (a loaded machine), probe 1 comes one old interval (2 s) after it.
    const first = intervalOnly!.probeAnsweredBeforeFault ? 2000 : 1000;
    expectDue(probeAfterLastPacket(intervalOnly!, 1), first);
    expectDue(probeAfterLastPacket(intervalOnly!, 2), first + 2000);
    expectDue(probeAfterLastPacket(intervalOnly!, 3), first + 3000);
    expect(intervalOnly!.detection?.code).toBe('ETIMEDOUT');
    expectEndsAt(intervalOnly!.detection?.afterLastPacket, first + 4000);

    // idle (even unchanged) re-arms the timer from the last packet, long past: probe 2 now.
    expectDue(probeAt(withIdle!, 2), 0);
    expectDue(probeAt(withIdle!, 3), 1000);
    expect(withIdle!.detection?.code).toBe('ETIMEDOUT');
    expectEndsAt(withIdle!.detection?.afterFault, 2000);
  });

  it('count 10 -> 1 after probe 2: ends at the next timer expiry (one interval later), not at the call', async () => {
    const [result] = await liveChanges(300, COUNT_BELOW_SENT);
    expect(Math.max(...result!.probesAfterChange.map((p) => p.probes))).toBe(2);
    expect(result!.detection?.code).toBe('ETIMEDOUT');
    expectEndsAt(result!.detection?.afterLastPacket, 1000 + 2 * 1000);
    // The change was made as probe 2 was seen (within the polling): not at once.
    expect(result!.detection?.afterFault).toBeGreaterThanOrEqual(1000 - PROBE_SEEN_SLACK_MS);
  });

  it('turned on 2 s after the last packet: the first probe comes idle after the call (unlike setting idle)', async () => {
    const [result] = await liveChanges(2000, ENABLE_LATE);
    expect(result!.changedAfterLastPacket).toBeGreaterThanOrEqual(2000);
    expectDue(probeAt(result!, 1), 1000);
    expect(result!.detection?.code).toBe('ETIMEDOUT');
    expectEndsAt(result!.detection?.afterFault, 1000 + 2 * 1000);
  });

  it('turned off after probe 1: no more probes and no error, the connection stays (half-open again)', async () => {
    const [result] = await liveChanges(300, DISABLE_MID_CYCLE);
    expect(result!.survivor).toEqual({ open: true, state: 'ESTABLISHED', errors: [] });
    expect(result!.probesAfterChange.map((p) => p.probes)).toEqual([0, 1]);
  });
});
