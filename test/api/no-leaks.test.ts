// No leaks: memory stays flat over windows of 100,000 calls of each function.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const CALLS = 100_000;
// A leak of even 16 bytes per call would grow RSS by 1.6 MB here.
const RSS_BOUND = 1024 * 1024;
const HEAP_BOUND = 512 * 1024;

it(`memory stays flat over ${CALLS} calls of each function`, { timeout: 180_000 }, () => {
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, '../fixtures/memory-child.cjs'), String(CALLS)], {
    encoding: 'utf8',
    timeout: 170_000,
  });
  expect(result.status, result.stderr).toBe(0);
  type Growth = { rss: number; heapUsed: number };
  const report = JSON.parse(result.stdout) as Record<string, [Growth, Growth]>;
  expect(Object.keys(report).length).toBe(8);
  for (const [name, windows] of Object.entries(report)) {
    // A leak grows memory in both windows; a one-time step shows in one only.
    const rss = Math.min(windows[0].rss, windows[1].rss);
    const heap = Math.min(windows[0].heapUsed, windows[1].heapUsed);
    expect(rss, `${name} RSS growth per window: ${windows.map((w) => w.rss).join(', ')}`).toBeLessThan(RSS_BOUND);
    expect(heap, `${name} heap growth per window: ${windows.map((w) => w.heapUsed).join(', ')}`).toBeLessThan(HEAP_BOUND);
  }
});
