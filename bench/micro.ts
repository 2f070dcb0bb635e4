// Per-call timings: the floor and every JavaScript case, interleaved round by
// round so that each ratio compares runs made seconds apart.
import { runFloor, THREADED_PREFIX } from './floor';
import { FLOOR_CASES, jsCases, verifyCase, type CaseInfo } from './cases';
import type { Loopback, Peers } from './common';

export interface MicroOptions {
  rounds: number;
  /** Target duration of one timed repetition of one case. */
  repMs: number;
  /** Floors found by the strace check, overriding the declared ones. */
  floorOf?: ReadonlyMap<string, string>;
  log(line: string): void;
}

export interface MicroCaseResult extends CaseInfo {
  iterations: number;
  /** ns per operation, one per round. */
  samples: number[];
}

function evenAtLeast2(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

function timeNs(run: (n: number) => number, n: number): number {
  const start = process.hrtime.bigint();
  run(n);
  return Number(process.hrtime.bigint() - start);
}

/**
 * Warms a case up (the doubling also lets V8 optimize it) and picks the
 * iteration count that makes one repetition last about `repMs`.
 */
function calibrate(run: (n: number) => number, repMs: number): number {
  const minimumNs = Math.max(5e6, repMs * 1e6 * 0.4);
  let n = 64;
  for (;;) {
    const elapsed = timeNs(run, n);
    if (elapsed >= minimumNs || n >= 1 << 24) return evenAtLeast2((repMs * 1e6 * n) / elapsed);
    n *= 2;
  }
}

export function threadedFloorId(floorId: string): string {
  return floorId.replace('floor.', THREADED_PREFIX);
}

export function runMicro(loopback: Loopback, peers: Peers | null, options: MicroOptions): MicroCaseResult[] {
  const { rounds, repMs, log } = options;
  const cases = jsCases(loopback, peers);
  for (const c of cases) c.floor = options.floorOf?.get(c.id) ?? c.floor;

  // The floors the JavaScript rows are compared with also run with an idle
  // second thread: the same conditions as in Node's process.
  const referenced = new Set(cases.map((c) => c.floor).filter((id): id is string => id !== undefined));
  const floors: CaseInfo[] = [
    ...FLOOR_CASES,
    ...FLOOR_CASES.filter((c) => referenced.has(c.id)).map((c) => ({
      ...c,
      id: threadedFloorId(c.id),
      work: `${c.id}'s calls, in a process with an idle second thread`,
    })),
  ];
  const floorProbe = runFloor(new Map(floors.map((c) => [c.id, 2000])));
  const floorIterations = new Map(floors.map((c) => [c.id, evenAtLeast2((repMs * 1e6) / floorProbe.get(c.id)!)]));
  const jsIterations = cases.map((c) => {
    const n = calibrate(c.run, repMs);
    verifyCase(c, loopback);
    return n;
  });
  log(`  calibrated ${cases.length} JavaScript and ${floors.length} floor cases (~${repMs} ms per repetition)`);

  const samples = new Map<string, number[]>([...floors, ...cases].map((c) => [c.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [id, ns] of runFloor(floorIterations)) samples.get(id)!.push(ns);
    // Rotating the order keeps any drift within a round from always landing
    // on the same cases.
    for (let k = 0; k < cases.length; k++) {
      const index = (k + round) % cases.length;
      const c = cases[index];
      const n = jsIterations[index];
      samples.get(c.id)!.push(timeNs(c.run, n) / n);
      verifyCase(c, loopback);
    }
    if (rounds >= 5 && (round + 1) % 5 === 0) log(`  round ${round + 1}/${rounds}`);
  }

  return [
    ...floors.map((c) => ({ ...c, iterations: floorIterations.get(c.id)!, samples: samples.get(c.id)! })),
    ...cases.map(({ run: _run, expect: _expect, ...info }, i) => ({
      ...info,
      iterations: jsIterations[i],
      samples: samples.get(info.id)!,
    })),
  ];
}
