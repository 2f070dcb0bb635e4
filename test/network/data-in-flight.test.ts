// Scenario 4 of the network proof: data in flight to a peer that is gone. Keepalive only
// watches idle connections; TCP_USER_TIMEOUT (`userTimeout`) bounds unacknowledged data and,
// when set, also replaces `count` as the limit of an idle connection's probing.
import { afterAll, expect, it } from 'vitest';
import type { SilenceMode } from '../helpers/netns';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import { dataInFlight, idleUserTimeout, USER_TIMEOUT } from '../helpers/network-scenarios';
import { CLOCK_SLACK_MS, detectionWindow, withMargin } from '../helpers/detection';


needs('netns').describeConcurrent('data in flight to a peer that is gone', () => {
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  it.for<[SilenceMode, string, number]>([
    // The kernel's own verdict when nothing ever answers. It counts the user timeout from the
    // first timeout-driven retransmission (~0.4 s after the write here; the resend at 0.2 s is
    // a tail-loss probe, which does not start the clock) and clamps its timer to the deadline.
    ['drop', 'ETIMEDOUT', withMargin(USER_TIMEOUT)],
    // An ICMP error quoting our data (in the window, unlike one quoting a probe) is kept as the
    // socket's soft error, and the user timeout reports it instead of ETIMEDOUT. Each such ICMP
    // also undoes a retransmission backoff (RFC 6069, tcp_ld_RTO_revert()), re-arming the timer
    // without the clamp to the deadline: the end may come one retransmission timeout later.
    ['unreachable', 'EHOSTUNREACH', withMargin(USER_TIMEOUT) + 1000],
  ])('peer gone (%s): keepalive alone never fires; userTimeout 3 s ends it with %s', async ([vanish, code, latest], { expect }) => {
    const { userTimeout, keepaliveOnly } = await dataInFlight(vanish);

    expect(userTimeout.code).toBe(code);
    // Counted from the write at the earliest.
    expect(userTimeout.afterFault).toBeGreaterThanOrEqual(USER_TIMEOUT - CLOCK_SLACK_MS);
    expect(userTimeout.afterFault).toBeLessThanOrEqual(latest);

    // Past the bound in which keepalive ends an idle connection, the one with data in flight
    // is still there: retransmitting, and not one keepalive probe sent since the write.
    expect(keepaliveOnly).toMatchObject({ open: true, state: 'ESTABLISHED', errors: [], probesSinceWrite: 0, unacked: 1 });
    expect(keepaliveOnly.totalRetrans).toBeGreaterThanOrEqual(1);
  });

  it('idle connection: userTimeout replaces count as the limit of unanswered probing', async ({ expect }) => {
    const { countOnly, withUserTimeout } = await idleUserTimeout();
    const single = detectionWindow({ idle: 1000, interval: 1000, count: 1 });

    expect(countOnly.code).toBe('ETIMEDOUT');
    expect(countOnly.afterLastPacket).toBeGreaterThanOrEqual(single.earliest - CLOCK_SLACK_MS);
    expect(countOnly.afterLastPacket).toBeLessThanOrEqual(single.latest);
    // count 1 would have ended it after idle + interval (2 s); it lasts until the user timeout.
    expect(withUserTimeout.code).toBe('ETIMEDOUT');
    expect(withUserTimeout.afterLastPacket).toBeGreaterThanOrEqual(USER_TIMEOUT - CLOCK_SLACK_MS);
    expect(withUserTimeout.afterLastPacket).toBeLessThanOrEqual(withMargin(USER_TIMEOUT));
  });
});
