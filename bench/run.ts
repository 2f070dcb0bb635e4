// `npm run bench`: per-call timings against the C floor and the peers, many
// accepted connections, and memory over many calls, all in one run.
//
//   node --expose-gc build/bench/run.js [--quick] [--strict] [--out FILE]
//     [--only micro,trace,scale,setup,memory,watch,path,instructions]
//
// The default parts are micro, trace, scale, setup (connection set-up with the
// process-wide default against without), memory, watch (the command left
// running: bench/watch.ts) and path (the path measurement against namespaced
// routers, about 10 min, skipped by --quick: bench/path.ts); `instructions`
// (callgrind's instruction counts, a few minutes) runs only when named.
// --quick   a smoke test for CI (well under a minute): every case runs, leaves
//           the configuration it should, and makes the same system calls as
//           its floor; the targets are printed but not judged.
// --strict  exit 1 when a target is missed (full runs only).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR, closeLoopback, ensureFdLimit, loadPeers, openLoopback, packageVersion, ROOT, type Peers } from './common';
import type { MemoryReport } from './child';
import { FLOOR_CASES, jsCases } from './cases';
import { buildFloor } from './floor';
import { runMicro } from './micro';
import {
  evaluateTargets,
  instructionTable,
  memorySummary,
  memoryTable,
  microRows,
  microTable,
  scaleSummaries,
  scaleTable,
  targetTable,
  type MemorySummary,
  type MicroRow,
  type ScaleSummary,
} from './report';
import { countInstructions, valgrindAvailable, type InstructionCount } from './instructions';
import { runWatch, watchTable, watchTargets, type WatchReport } from './watch';
import { pathTable, pathTargets, runPath, type PathReport } from './path';
import { runSetup, setupTable, type SetupSummary } from './setup';
import { runScale, SCALE_MODES, type ScaleMode, type ScaleRun } from './scale';
import { resolveFloors, straceAvailable, straceVersion, traceCases, type TracedCase } from './trace';

const CHILD = path.join(BUILD_DIR, 'child.js');
const PARTS = ['micro', 'trace', 'scale', 'setup', 'memory', 'watch', 'path', 'instructions'] as const;
type Part = (typeof PARTS)[number];
const DEFAULT_PARTS: readonly Part[] = ['micro', 'trace', 'scale', 'setup', 'memory', 'watch', 'path'];

interface Settings {
  quick: boolean;
  strict: boolean;
  out: string;
  parts: Set<Part>;
  microRounds: number;
  repMs: number;
  connections: number;
  scaleRounds: number;
  setupConnections: number;
  setupRounds: number;
  memoryCalls: number;
}

function parseArgs(argv: string[]): Settings {
  const quick = argv.includes('--quick');
  const valueOf = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const valued = new Set(['--out', '--only']);
  for (let i = 0; i < argv.length; i++) {
    if (valued.has(argv[i])) i++;
    else if (argv[i] !== '--quick' && argv[i] !== '--strict') throw new Error(`unknown argument ${argv[i]}`);
  }
  const only = valueOf('--only');
  const parts = new Set<Part>(only ? (only.split(',') as Part[]) : DEFAULT_PARTS);
  for (const part of parts) if (!PARTS.includes(part)) throw new Error(`--only: unknown part ${part}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    quick,
    strict: argv.includes('--strict'),
    out: path.resolve(valueOf('--out') ?? path.join(ROOT, 'bench', 'results', `bench-${stamp}${quick ? '-quick' : ''}.json`)),
    parts,
    microRounds: quick ? 3 : 25,
    repMs: quick ? 5 : 50,
    connections: quick ? 1_000 : 10_000,
    scaleRounds: quick ? 1 : 3,
    setupConnections: quick ? 200 : 2_000,
    setupRounds: quick ? 2 : 9,
    memoryCalls: quick ? 20_000 : 1_000_000,
  };
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    distribution: fs.existsSync('/etc/debian_version') ? `Debian ${fs.readFileSync('/etc/debian_version', 'utf8').trim()}` : '',
    node: process.version,
    libuv: process.versions.uv,
  };
}

async function runMemory(settings: Settings, ids: readonly string[]): Promise<MemorySummary[]> {
  const summaries: MemorySummary[] = [];
  for (const id of ids) {
    // One process per function, so that nothing else has touched its heap.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', CHILD, 'memory', id, String(settings.memoryCalls)],
      { maxBuffer: 1 << 20 },
    );
    const summary = memorySummary(JSON.parse(stdout.trim().split('\n').pop()!) as MemoryReport);
    summaries.push(summary);
    log(`  ${id}: RSS ${(summary.rssGrowth / 1024).toFixed(0)} KiB, heap ${(summary.heapGrowth / 1024).toFixed(0)} KiB`);
  }
  return summaries;
}

const MEMORY_CASES = [
  'lib.setKeepalive',
  'lib.getKeepalive',
  'lib.getTcpInfo',
  'lib.setKeepalive(server)',
  'lib.getSockOpt',
  'lib.setSockOpt',
  'lib.systemDefaults',
  'core.setKeepAlive',
  'sockopt.setKeepalive',
  'sockopt.getKeepalive',
  'net-keepalive.config',
];

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadBefore = os.loadavg();
  let peers: Peers | null = null;
  try {
    peers = loadPeers();
  } catch (error) {
    // The library's own rows still run; the comparison needs the peers.
    log(`warning: ${(error as Error).message}; peers left out`);
  }

  const compiler = buildFloor();
  let rows: MicroRow[] = [];
  let traced: Map<string, TracedCase> | null = null;
  let floorOf: Map<string, string> | undefined;
  let strace: string | null = null;
  if (settings.parts.has('trace')) {
    if (straceAvailable()) {
      log('tracing system calls (strace)...');
      strace = straceVersion();
      const loopback = await openLoopback();
      const cases = [...FLOOR_CASES, ...jsCases(loopback, peers)];
      closeLoopback(loopback);
      traced = traceCases(cases, CHILD);
      floorOf = resolveFloors(cases, traced, log);
    } else {
      log('warning: strace not found; system calls not checked');
    }
  }

  if (settings.parts.has('micro')) {
    log(`per-call cases, ${settings.microRounds} rounds...`);
    const loopback = await openLoopback();
    const micro = runMicro(loopback, peers, { rounds: settings.microRounds, repMs: settings.repMs, floorOf, log });
    closeLoopback(loopback);
    rows = microRows(micro, traced);
  }

  const scaleRuns: ScaleRun[] = [];
  if (settings.parts.has('scale')) {
    ensureFdLimit(settings.connections + 1024, log);
    const modes = (Object.keys(SCALE_MODES) as ScaleMode[]).filter(
      (mode) => peers || (mode !== 'sockopt' && mode !== 'net-keepalive'),
    );
    log(`${settings.connections} connections x ${modes.length} modes x ${settings.scaleRounds} rounds...`);
    // An unrecorded pass first, so that no mode is timed in cold code.
    for (const mode of modes) await runScale(mode, Math.min(1000, settings.connections), peers, CHILD);
    for (let round = 0; round < settings.scaleRounds; round++) {
      for (let k = 0; k < modes.length; k++) {
        const mode = modes[(k + round) % modes.length];
        scaleRuns.push(await runScale(mode, settings.connections, peers, CHILD));
      }
    }
  }
  const scale: ScaleSummary[] = scaleSummaries(scaleRuns);

  let setup: SetupSummary[] = [];
  if (settings.parts.has('setup')) {
    log(`connection set-up with and without the default, ${settings.setupConnections} connections x ${settings.setupRounds} rounds...`);
    setup = await runSetup(settings.setupConnections, settings.setupRounds, log);
  }

  let memory: MemorySummary[] = [];
  if (settings.parts.has('memory')) {
    log(`memory over ${settings.memoryCalls.toLocaleString('en-US')} calls per function...`);
    memory = await runMemory(settings, MEMORY_CASES.filter((id) => peers || id.startsWith('lib.') || id.startsWith('core.')));
  }

  let watch: WatchReport | null = null;
  if (settings.parts.has('watch')) {
    log(`the command left running (listen's live view, inspect)${settings.quick ? ', quick' : ''}...`);
    watch = await runWatch({ quick: settings.quick, log });
  }

  let pathReport: PathReport | null = null;
  if (settings.parts.has('path')) {
    pathReport = await runPath({ quick: settings.quick, log });
    if (pathReport.skipped) log(`path: ${pathReport.skipped}`);
  }

  let instructions: InstructionCount[] = [];
  if (settings.parts.has('instructions')) {
    if (!valgrindAvailable()) throw new Error('--only instructions needs valgrind');
    log('instructions per operation (callgrind)...');
    instructions = countInstructions(CHILD, log);
  }

  const targets = [...evaluateTargets(rows, scale, memory), ...(watch ? watchTargets(watch) : []), ...(pathReport ? pathTargets(pathReport) : [])];
  const command = `node --expose-gc build/bench/run.js ${process.argv.slice(2).join(' ')}`.trim();
  const result = {
    date: new Date(started).toISOString(),
    command,
    durationS: Math.round((Date.now() - started) / 1000),
    quick: settings.quick,
    machine: { ...machine(), loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
    versions: { 'tcp-keepalive': packageVersion(), ...(peers?.versions ?? {}), cc: compiler, strace },
    micro: { rounds: settings.microRounds, repetitionMs: settings.repMs, rows },
    scale: { runs: scaleRuns, summary: scale },
    setup: { connections: settings.setupConnections, rounds: settings.setupRounds, summary: setup },
    memory,
    watch,
    path: pathReport,
    instructions,
    targets,
  };
  fs.mkdirSync(path.dirname(settings.out), { recursive: true });
  fs.writeFileSync(settings.out, `${JSON.stringify(result, null, 2)}\n`);

  const m = result.machine;
  const peerVersions = peers ? Object.entries(peers.versions).map(([name, v]) => `${name} ${v}`).join(', ') : 'no peers';
  const sections = [
    `tcp-keepalive ${result.versions['tcp-keepalive']} bench${settings.quick ? ' (--quick)' : ''}: ${result.date}, ${result.durationS} s`,
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os} ${m.distribution}, Node ${m.node} (libuv ${m.libuv}), ${peerVersions}`,
    `load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${m.loadAverageAfter.map((v) => v.toFixed(2)).join(' ')}`,
    rows.length ? microTable(rows, settings.microRounds) : '',
    scaleTable(scale),
    setupTable(setup, settings.setupConnections, settings.setupRounds),
    memoryTable(memory),
    watch ? watchTable(watch) : '',
    pathReport ? pathTable(pathReport) : '',
    instructionTable(instructions),
    targets.length ? targetTable(targets, settings.quick) : '',
    `JSON: ${path.relative(process.cwd(), settings.out)}`,
  ];
  process.stdout.write(`${sections.filter(Boolean).join('\n\n')}\n`);
  if (settings.strict && !settings.quick && targets.some((t) => !t.met)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
