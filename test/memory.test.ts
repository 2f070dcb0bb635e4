// No leaks: memory stays flat over 100,000 calls of each function.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const CALLS = 100_000;
// A leak of even 16 bytes per call would grow RSS by 1.6 MB here.
const RSS_BOUND = 1024 * 1024;
const HEAP_BOUND = 512 * 1024;

it(`memory stays flat over ${CALLS} calls of each function`, { timeout: 120_000 }, () => {
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures/memory-child.cjs'), String(CALLS)], {
    encoding: 'utf8',
    timeout: 110_000,
  });
  expect(result.status, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as Record<string, { rss: number; heapUsed: number }>;
  expect(Object.keys(report).length).toBe(8);
  for (const [name, growth] of Object.entries(report)) {
    expect(growth.rss, `${name} RSS growth`).toBeLessThan(RSS_BOUND);
    expect(growth.heapUsed, `${name} heap growth`).toBeLessThan(HEAP_BOUND);
  }
});
