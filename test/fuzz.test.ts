// The property-based fuzz suite (test/fuzz/api.ts) inside `npm test`: a fixed
// seed and a bounded count. `npm run fuzz` runs it longer with a random seed
// and prints it; FUZZ_SEED=<n> npm run fuzz replays one.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { callArbitrary, closePool, makePool, outcomes, runCall, type Pool } from './fuzz/api';
import { closeAll } from './helpers/loopback';

const LONG = process.env.FUZZ === 'long';
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : LONG ? (Math.random() * 2 ** 31) | 0 : 20_261_201;
const RUNS = Number(process.env.FUZZ_RUNS ?? (LONG ? 20_000 : 600));
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
