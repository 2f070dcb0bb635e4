// detectionTime(): how long after the last packet the kernel gives up on a
// silent peer, from the keepalive settings and the user timeout.
import { describe, expect, it } from 'vitest';
import { detectionTime } from '../../lib/cli/commands/settings';

describe('detectionTime', () => {
  it('is idle + interval x count, or the first probe time past the user timeout', () => {
    const base = { enable: true, idle: 1000, interval: 1000, count: 3, userTimeout: 0 };
    expect(detectionTime(base)?.ms).toBe(4000);
    expect(detectionTime({ ...base, userTimeout: 2500 })?.ms).toBe(3000);
    expect(detectionTime({ ...base, userTimeout: 500 })?.ms).toBe(2000);
    expect(detectionTime({ ...base, enable: false })).toBeNull();
  });
});
