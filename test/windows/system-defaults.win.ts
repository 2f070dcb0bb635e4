// systemDefaults() on Windows: the registry's KeepAliveTime and
// KeepAliveInterval (Tcpip\Parameters), the documented defaults where they
// are absent, and the source saying which. tools/windows/test.ts runs the
// suite once with the values absent and once with them set in the Wine
// prefix's registry (TKA_REGISTRY_DEFAULTS="time,interval" in ms).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemDefaults } from '../../lib/index';

const registry = process.env.TKA_REGISTRY_DEFAULTS?.split(',').map(Number);

describe('systemDefaults (Windows)', () => {
  it(registry ? 'reads KeepAliveTime and KeepAliveInterval from the registry' : 'reports the documented defaults when the registry has none', () => {
    const defaults = systemDefaults();
    if (registry) {
      assert.deepEqual([defaults.idle, defaults.interval, defaults.count], [registry[0], registry[1], 10]);
      assert.match(defaults.source, /^registry HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters KeepAliveTime, KeepAliveInterval/);
    } else {
      assert.deepEqual([defaults.idle, defaults.interval, defaults.count], [7_200_000, 1_000, 10]);
      assert.match(defaults.source, /^documented defaults \(KeepAliveTime, KeepAliveInterval absent/);
    }
  });
});
