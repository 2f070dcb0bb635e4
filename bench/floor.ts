// Builds and drives the C floor (floor.c).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, BUILD_DIR } from './common';
import { FLOOR_CASES } from './cases';

const SOURCE = path.join(BENCH_DIR, 'floor.c');
export const FLOOR_BINARY = path.join(BUILD_DIR, 'c-floor');

/** Compiles floor.c when the binary is missing or older than the source. */
export function buildFloor(): string {
  const stale = !fs.existsSync(FLOOR_BINARY) || fs.statSync(FLOOR_BINARY).mtimeMs < fs.statSync(SOURCE).mtimeMs;
  if (stale) {
    fs.mkdirSync(BUILD_DIR, { recursive: true });
    execFileSync('cc', ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', FLOOR_BINARY, SOURCE], { stdio: 'inherit' });
  }
  const listed = execFileSync(FLOOR_BINARY, ['list'], { encoding: 'utf8' }).trim().split('\n');
  const expected = FLOOR_CASES.map((c) => c.id);
  if (listed.join() !== expected.join()) throw new Error(`floor.c cases ${listed} differ from cases.ts ${expected}`);
  return execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
}

/** Rows of the floor run with an idle second thread, named with this prefix. */
export const THREADED_PREFIX = 'floor+thread.';

/**
 * One timed run of each case: ns per operation. Ids with THREADED_PREFIX run
 * the same case in a second process that has an idle extra thread.
 */
export function runFloor(iterations: ReadonlyMap<string, number>): Map<string, number> {
  const run = (threaded: boolean): [string, number][] => {
    const chosen = [...iterations].filter(([id]) => id.startsWith(THREADED_PREFIX) === threaded);
    if (!chosen.length) return [];
    const args = chosen.map(([id, n]) => `${threaded ? id.replace(THREADED_PREFIX, 'floor.') : id}=${n}`);
    const output = execFileSync(FLOOR_BINARY, ['bench', ...(threaded ? ['--thread'] : []), ...args], { encoding: 'utf8' });
    return Object.entries(JSON.parse(output) as Record<string, number>).map(([id, ns]) => [
      threaded ? id.replace('floor.', THREADED_PREFIX) : id,
      ns,
    ]);
  };
  return new Map([...run(false), ...run(true)]);
}
