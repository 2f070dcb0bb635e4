// How the command writes settings, elapsed times, endpoints and IPv6
// addresses for people.
import { describe, expect, it } from 'vitest';
import { formatElapsed, formatEndpoint, formatSetting } from '../../lib/cli/terminal/format';
import { formatIPv6 } from '../../lib/diagnostics';

describe('formatting', () => {
  it('writes settings, elapsed times and endpoints for people', () => {
    expect(formatSetting(1000)).toBe('1 s');
    expect(formatSetting(7_200_000)).toBe('7200 s (2 h)');
    expect(formatSetting(1500)).toBe('1500 ms');
    expect(formatElapsed(4100)).toBe('4.1 s');
    expect(formatElapsed(0.04)).toBe('0.04 ms');
    expect(formatEndpoint('::1', 80)).toBe('[::1]:80');
    expect(formatEndpoint('::ffff:10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(formatIPv6(new Uint8Array([0xfd, 0, 0x07, 0xca, ...new Array(11).fill(0), 1]))).toBe('fd00:7ca::1');
    expect(formatIPv6(new Uint8Array(16))).toBe('::');
  });
});
