// The property-based fuzz suite (test/helpers/fuzz-api.ts) inside `npm test`: a fixed
// seed and a bounded count. `npm run fuzz` runs it longer (20,000 calls) with
// a random seed and prints it; FUZZ_SEED=<n> npm run fuzz replays one
// (FUZZ_RUNS=<n> changes the count).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callArbitrary, closePool, makePool, outcomes, runCall, type Pool } from '../helpers/fuzz-api';
import { closeAll } from '../helpers/loopback';

const LONG = process.env.FUZZ === 'long';
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : LONG ? (Math.random() * 2 ** 31) | 0 : 20_261_201;
const RUNS = Number(process.env.FUZZ_RUNS ?? (LONG ? 20_000 : 1_500));
const TIMEOUT = LONG ? 3_600_000 : 60_000;

describe('fuzz: the whole public API against the kernel', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = await makePool();
  });
  afterAll(async () => {
    closePool(pool);
    await closeAll();
  });

  it(`${RUNS} generated calls (seed ${SEED}): coded errors, nothing changed after a rejection, returns equal the kernel`, async () => {
    if (LONG || process.env.FUZZ_SEED) console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} npm run fuzz)`);
    await fc.assert(
      fc.asyncProperty(callArbitrary(pool), (call) => runCall(pool, call)),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (LONG || process.env.FUZZ_STATS) console.log([...outcomes].sort().map(([what, n]) => `${what} ${n}`).join('\n'));
  }, TIMEOUT);
});

// Any option number can reach state outside a socket (the namespace's
// firewall, IPVS tables): those calls run in a child in a network namespace
// of its own, created by unshare, gone when the child exits. Needs root.
const isRoot = process.getuid?.() === 0;
describe('fuzz: getSockOpt/setSockOpt with any option number, in a child process and namespace of its own', () => {
  if (!isRoot) console.warn('skipped: creating a network namespace needs root');
  it.runIf(isRoot)('pointer-carrying options are refused with ERR_INVALID_ARG_VALUE; every other call returns or throws a coded error, the kernel unchanged after a throw', () => {
    const childRuns = Math.max(100, Math.round(RUNS * 0.7));
    const child = path.join(__dirname, '../fixtures/sockopt-fuzz-child.cjs');
    const result = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${child}" ${SEED} ${childRuns}`], {
      encoding: 'utf8',
      timeout: TIMEOUT - 5_000,
    });
    // A crash (heap corruption, abort) shows here as a signal or a status, with the seed to replay.
    expect({ status: result.status, signal: result.signal, stderr: result.stderr.slice(-2_000) }).toMatchObject({ status: 0, signal: null });
    const report = JSON.parse(result.stdout.trim()) as { dangerous: Array<{ level: number; name: number; how: string; code: string }>; fuzz: string };
    expect(report.dangerous.length).toBe(12);
    for (const entry of report.dangerous) expect(entry, JSON.stringify(entry)).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(report.fuzz, `seed ${SEED}`).toBe('ok');
  }, TIMEOUT);
});
