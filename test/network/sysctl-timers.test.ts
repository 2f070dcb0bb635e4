// Scenario 6 of the network proof: a socket that sets nothing but `enable: true` follows the
// system defaults of its network namespace (net.ipv4.tcp_keepalive_time/intvl/probes), which
// the test sets in its own namespaces only.
import { afterAll, expect, it } from 'vitest';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import { liveSysctlCount, liveSysctlIdle, SYSCTL_TIMERS, systemDefaultTimers } from '../helpers/network-scenarios';
import { CLOCK_SLACK_MS, detectionWindow, FAST, withMargin } from '../helpers/detection';


needs('netns').describeConcurrent('system defaults', () => {
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  it('only enable: true, sysctls 2 s / 1 s / 2: reported by systemDefaults() and getKeepalive(), and obeyed', async ({ expect }) => {
    const result = await systemDefaultTimers();
    const { idle, interval, count } = SYSCTL_TIMERS;

    expect(result.defaults).toMatchObject({ idle, interval, count });
    expect(result.state).toEqual({ enable: true, idle, interval, count, userTimeout: 0 });
    expect(result.keepalive).toEqual(result.state);
    const window = detectionWindow(SYSCTL_TIMERS);
    expect(result.detection.code).toBe('ETIMEDOUT');
    expect(result.detection.afterLastPacket).toBeGreaterThanOrEqual(window.earliest - CLOCK_SLACK_MS);
    expect(result.detection.afterLastPacket).toBeLessThanOrEqual(window.latest);
    // Set inside the test's namespace only.
    expect(result.hostIdle[1]).toBe(result.hostIdle[0]);
  });

  it('a live socket follows a change of tcp_keepalive_probes (9 -> 2) for its next probe cycle', async ({ expect }) => {
    const { countBefore, countAfter, detection } = await liveSysctlCount();

    expect([countBefore, countAfter]).toEqual([9, 2]);
    // With 9 probes it would take 10 s; with 2, idle + 2 x interval.
    const window = detectionWindow({ ...FAST, count: 2 });
    expect(detection.code).toBe('ETIMEDOUT');
    expect(detection.afterLastPacket).toBeGreaterThanOrEqual(window.earliest - CLOCK_SLACK_MS);
    expect(detection.afterLastPacket).toBeLessThanOrEqual(window.latest);
  });

  it('tcp_keepalive_time 3 s -> 1 s on a live socket: reported at once, but the timer already armed keeps 3 s', async ({ expect }) => {
    const { idleReported, firstProbe, detection } = await liveSysctlIdle();

    expect(idleReported).toBe(1000);
    // Armed at connect with 3 s; the new value only counts from the next time it is armed (1 s
    // would put the probe at ~1 s). A 3 s timer may expire up to 256 ms late (see
    // PROBE_SEEN_SLACK_MS), hence the wider margin here.
    expect(firstProbe).toBeGreaterThanOrEqual(3000 - CLOCK_SLACK_MS);
    expect(firstProbe).toBeLessThanOrEqual(withMargin(3000));
    const window = detectionWindow({ idle: 3000, interval: 1000, count: 2 });
    expect(detection.code).toBe('ETIMEDOUT');
    expect(detection.afterLastPacket).toBeGreaterThanOrEqual(window.earliest - CLOCK_SLACK_MS);
    expect(detection.afterLastPacket).toBeLessThanOrEqual(window.latest);
  });
});
