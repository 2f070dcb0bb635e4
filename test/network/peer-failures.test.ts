// Scenarios 1-3 of the network proof: a peer whose host vanishes, a peer that rebooted, a peer
// whose application hangs (what keepalive cannot see), and a server tearing down the connection
// of a client that vanished. Each test has its own pair of
// test hosts (network namespaces), so they run side by side.
import { afterAll, expect, it } from 'vitest';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import { hungPeer, rebootedPeer, serverSide, silentPeer, type Vanish } from '../helpers/network-scenarios';
import { CLOCK_SLACK_MS, detectionWindow, FAST } from '../helpers/detection';


needs('netns').describeConcurrent('a peer that is gone', () => {
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  const window = detectionWindow(FAST);

  it.for<[Vanish, string]>([
    ['drop', 'its host drops everything'],
    ['link-down', 'its link goes down'],
    // Linux ignores ICMP errors quoting a keepalive probe: seq = snd_una - 1 is outside the
    // window tcp_v4_err() accepts, so nothing changes.
    ['unreachable', 'its host answers with ICMP host-unreachable'],
  ])('silent peer (%s, %s): ETIMEDOUT within the keepalive bound; a twin without keepalive stays open', async ([vanish], { expect }) => {
    const { detection, twin, discardedIcmps } = await silentPeer(vanish);
    expect(detection.code).toBe('ETIMEDOUT');
    expect(detection.afterLastPacket).toBeGreaterThanOrEqual(window.earliest - CLOCK_SLACK_MS);
    expect(detection.afterLastPacket).toBeLessThanOrEqual(window.latest);
    // The half-open connection, made visible: nothing tells the twin its peer is gone.
    expect(twin).toEqual({ open: true, state: 'ESTABLISHED', errors: [] });
    // The ICMP answers did arrive, one per probe, and were thrown away.
    if (vanish === 'unreachable') expect(discardedIcmps).toBeGreaterThanOrEqual(FAST.count);
    else expect(discardedIcmps).toBe(0);
  });

  it('rebooted peer: the reset answering the next probe ends it with ECONNRESET within idle + interval', async ({ expect }) => {
    const { detection, twin } = await rebootedPeer();
    expect(detection.code).toBe('ECONNRESET');
    expect(detection.afterFault).toBeLessThanOrEqual(FAST.idle + FAST.interval);
    // It was a probe that drew the reset: nothing else is sent on an idle connection.
    expect(detection.afterLastPacket).toBeGreaterThanOrEqual(FAST.idle - CLOCK_SLACK_MS);
    expect(twin).toEqual({ open: true, state: 'ESTABLISHED', errors: [] });
  });

  it('hung peer application (SIGSTOP): not detected, its kernel answers the probes and ACKs data', async ({ expect }) => {
    const { client } = await hungPeer();
    expect(client).toMatchObject({ open: true, state: 'ESTABLISHED', errors: [], unacked: 0 });
    // Probes kept being answered: the last packet is at most one idle period old.
    expect(client.sinceLastPacket).toBeLessThanOrEqual(FAST.idle + 500);
  });

  it("server's side: setKeepalive(server) tears down a vanished client's connection with ETIMEDOUT and keeps serving", async ({ expect }) => {
    const result = await serverSide();
    const expected = { enable: true, ...FAST, userTimeout: 0 };
    expect(result.listening).toEqual(expected);
    expect(result.accepted).toEqual(expected); // inherited from the listening socket
    expect(result.detection.code).toBe('ETIMEDOUT');
    expect(result.detection.afterLastPacket).toBeGreaterThanOrEqual(window.earliest - CLOCK_SLACK_MS);
    expect(result.detection.afterLastPacket).toBeLessThanOrEqual(window.latest);
    expect(result.stayingEcho).toBe('still here');
    expect(result.stayingErrors).toEqual([]);
    expect(result.newClientEcho).toBe('hello again');
  });
});
