// The keepalive system defaults of another network namespace (Linux): a
// thread of the addon joins it just long enough to read /proc/sys/net.
import { closeSync, openSync } from 'node:fs';
import type { SystemDefaults } from '../index';
import { binding, defaultsFromSlots } from '../native';

/**
 * The defaults inside the namespace behind `path` (/proc/PID/ns/net or
 * /run/netns/NAME); null where that cannot be read (not Linux, no
 * CAP_SYS_ADMIN, the namespace is gone).
 */
export function systemDefaultsIn(path: string): SystemDefaults | null {
  const read = binding.netnsSystemDefaults;
  if (!read) return null;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const source = read(fd);
    if (typeof source === 'number') return null;
    return defaultsFromSlots(source);
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
