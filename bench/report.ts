// Turns the measurements into the printed tables and the target verdicts.
import type { MemoryReport } from './child';
import type { InstructionCount } from './instructions';
import { threadedFloorId, type MicroCaseResult } from './micro';
import { SCALE_MODES, type ScaleMode, type ScaleRun } from './scale';
import { median, pairedRatio, summarize, type Ratio, type Summary } from './stats';
import type { TracedCase } from './trace';

export interface MicroRow {
  id: string;
  group: string;
  work: string;
  iterations: number;
  ns: Summary;
  samples: number[];
  syscalls?: string[];
  vsFloorCalls?: TracedCase['vsFloor'];
  floor?: string;
  xFloor?: Ratio;
  /** Against the same floor run with an idle second thread, as Node has. */
  xFloorThread?: Ratio;
  lib?: string;
  xLib?: Ratio;
}

export function microRows(micro: readonly MicroCaseResult[], traced: Map<string, TracedCase> | null): MicroRow[] {
  const byId = new Map(micro.map((c) => [c.id, c]));
  return micro.map((c) => {
    const t = traced?.get(c.id);
    const row: MicroRow = {
      id: c.id,
      group: c.group,
      work: c.work,
      iterations: c.iterations,
      ns: summarize(c.samples),
      samples: c.samples,
      syscalls: t?.perOp,
      vsFloorCalls: t?.vsFloor,
    };
    if (c.floor) {
      row.floor = c.floor;
      row.xFloor = pairedRatio(c.samples, byId.get(c.floor)!.samples);
      const threaded = byId.get(threadedFloorId(c.floor));
      if (threaded) row.xFloorThread = pairedRatio(c.samples, threaded.samples);
    }
    // For the peers and Node core: how many times the library's time.
    if (c.lib) {
      row.lib = c.lib;
      row.xLib = pairedRatio(c.samples, byId.get(c.lib)!.samples);
    }
    return row;
  });
}

export interface ScaleSummary {
  mode: ScaleMode;
  description: string;
  connections: number;
  runs: number;
  acceptUsPerConnection: Summary;
  handlerNsPerConnection: Summary;
  /** Handler time minus the 'none' baseline (the timer's own cost), median. */
  configureNsPerConnection: number;
  batchNsPerConnection: Summary | null;
  serverCallNs: Summary | null;
  rssBytesPerConnection: number;
  heapBytesPerConnection: number;
}

export function scaleSummaries(runs: readonly ScaleRun[]): ScaleSummary[] {
  const modes = [...new Set(runs.map((r) => r.mode))];
  const of = (mode: ScaleMode) => runs.filter((r) => r.mode === mode);
  const timerNs = median(of('none').map((r) => r.handlerNsPerConnection));
  return modes.map((mode) => {
    const mine = of(mode);
    const handler = summarize(mine.map((r) => r.handlerNsPerConnection));
    const batch = mine.map((r) => r.batchNsPerConnection).filter((v): v is number => v !== null);
    const serverCall = mine.map((r) => r.serverCallNs).filter((v): v is number => v !== null);
    return {
      mode,
      description: SCALE_MODES[mode],
      connections: mine[0].connections,
      runs: mine.length,
      acceptUsPerConnection: summarize(mine.map((r) => r.acceptNsPerConnection / 1000)),
      handlerNsPerConnection: handler,
      configureNsPerConnection: Math.max(0, handler.median - timerNs),
      batchNsPerConnection: batch.length ? summarize(batch) : null,
      serverCallNs: serverCall.length ? summarize(serverCall) : null,
      rssBytesPerConnection: median(mine.map((r) => r.rssDelta / r.connections)),
      heapBytesPerConnection: median(mine.map((r) => r.heapDelta / r.connections)),
    };
  });
}

export interface MemorySummary {
  id: string;
  calls: number;
  nsPerCall: number;
  rssGrowth: number;
  heapGrowth: number;
  /** Growth over the second half alone: a steady leak shows here too. */
  rssGrowthSecondHalf: number;
  heapGrowthSecondHalf: number;
  externalGrowth: number;
  /** The samples behind the figures: KiB after warm-up, then every tenth. */
  rssKiB: number[];
  heapKiB: number[];
}

export function memorySummary(report: MemoryReport): MemorySummary {
  const s = report.samples;
  const first = s[0];
  const half = s[Math.floor(s.length / 2)];
  const last = s[s.length - 1];
  return {
    id: report.id,
    calls: report.calls,
    nsPerCall: (report.elapsedMs * 1e6) / report.calls,
    rssGrowth: last.rss - first.rss,
    heapGrowth: last.heapUsed - first.heapUsed,
    rssGrowthSecondHalf: last.rss - half.rss,
    heapGrowthSecondHalf: last.heapUsed - half.heapUsed,
    externalGrowth: last.external - first.external,
    rssKiB: s.map((sample) => Math.round(sample.rss / 1024)),
    heapKiB: s.map((sample) => Math.round(sample.heapUsed / 1024)),
  };
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export const MEMORY_LIMIT_BYTES = 1_000_000;

export function evaluateTargets(rows: MicroRow[], scale: ScaleSummary[], memory: MemorySummary[]): Target[] {
  const targets: Target[] = [];
  const row = (id: string) => rows.find((r) => r.id === id);
  for (const id of ['lib.setKeepalive', 'lib.getKeepalive']) {
    const r = row(id);
    if (!r?.xFloor) continue;
    targets.push({
      name: `${id.slice(4)} vs the C floor (same calls)`,
      goal: '<= 1.30x',
      measured: `${r.xFloor.median.toFixed(2)}x (median of per-round ratios; ${r.xFloor.ofMins.toFixed(2)}x min/min)`,
      met: r.xFloor.median <= 1.3,
    });
  }
  const nk = row('net-keepalive.config');
  if (nk?.xLib) {
    targets.push({
      name: 'setKeepalive vs net-keepalive (enable, idle, interval, count)',
      goal: '>= 5x faster',
      measured: `${nk.xLib.median.toFixed(1)}x faster (${nk.xLib.ofMins.toFixed(1)}x min/min), though setKeepalive also reads back`,
      met: nk.xLib.median >= 5,
    });
  }
  const mode = (m: ScaleMode) => scale.find((s) => s.mode === m);
  const core = mode('core');
  const lib = mode('lib');
  const listener = mode('lib-listener');
  const none = mode('none');
  if (core && lib) {
    const handlerRatio = lib.configureNsPerConnection / core.configureNsPerConnection;
    const batchRatio = lib.batchNsPerConnection!.median / core.batchNsPerConnection!.median;
    const wallRatio = lib.acceptUsPerConnection.median / core.acceptUsPerConnection.median;
    targets.push({
      name: `${lib.connections} accepted connections, setKeepalive per connection vs Node core`,
      goal: '<= 1.20x',
      measured:
        `configuring ${handlerRatio.toFixed(2)}x in the handler, ${batchRatio.toFixed(2)}x in one loop; ` +
        `accept + configure wall time ${wallRatio.toFixed(2)}x`,
      met: handlerRatio <= 1.2 && batchRatio <= 1.2,
    });
  }
  if (core && listener && none) {
    const share = listener.configureNsPerConnection / core.configureNsPerConnection;
    const wall = listener.acceptUsPerConnection.median / none.acceptUsPerConnection.median;
    targets.push({
      name: `${listener.connections} accepted connections, listener inheritance`,
      goal: 'near zero per connection (< 5% of Node core)',
      measured:
        `${listener.configureNsPerConnection.toFixed(0)} ns per connection (${(share * 100).toFixed(1)}% of core); ` +
        `accept wall time ${wall.toFixed(2)}x unconfigured`,
      met: share < 0.05,
    });
  }
  const libMemory = memory.filter((m) => m.id.startsWith('lib.'));
  if (libMemory.length) {
    const worst = (key: 'rssGrowth' | 'heapGrowth') => Math.max(...libMemory.map((m) => m[key]));
    const calls = Math.min(...libMemory.map((m) => m.calls));
    targets.push({
      name: `memory over ${calls.toLocaleString('en-US')} calls of each library function`,
      goal: '< 1 MB growth in RSS and heap',
      measured: `worst RSS ${kb(worst('rssGrowth'))}, worst heap ${kb(worst('heapGrowth'))}`,
      met: worst('rssGrowth') < MEMORY_LIMIT_BYTES && worst('heapGrowth') < MEMORY_LIMIT_BYTES,
    });
  }
  return targets;
}

const ns = (value: number): string => Math.round(value).toLocaleString('en-US');
const x = (ratio?: Ratio): string => (ratio ? `${ratio.median.toFixed(2)}x` : '');
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export function microTable(rows: readonly MicroRow[], rounds: number): string {
  const lines = [
    `Per call, ns per operation over ${rounds} rounds (x = median of per-round ratios):`,
    '',
    '| case | what one operation does | calls | min | median | max | x floor | x floor+thread | x lib |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const calls = r.syscalls ? `${r.syscalls.length}${r.vsFloorCalls && r.vsFloorCalls !== 'identical' ? '*' : ''}` : '';
    lines.push(
      `| ${r.id} | ${r.work} | ${calls} | ${ns(r.ns.min)} | ${ns(r.ns.median)} | ${ns(r.ns.max)} | ${x(r.xFloor)} | ${x(r.xFloorThread)} | ${x(r.xLib)} |`,
    );
  }
  lines.push(
    '',
    'calls: getsockopt/setsockopt per operation, counted by strace; * = the same calls as the floor row in another order.',
    'x floor: time / time of the floor row making the same calls (single-threaded C). x floor+thread: the same C with an idle',
    "second thread, as Node's process has (the kernel's descriptor lookup then takes a reference per call).",
    'x lib: time / time of the library function doing the same job.',
  );
  return lines.join('\n');
}

export function scaleTable(scale: readonly ScaleSummary[]): string {
  if (!scale.length) return '';
  const { connections, runs } = scale[0];
  const lines = [
    `${connections.toLocaleString('en-US')} accepted loopback connections, ${runs} run(s) per mode (median, min-max):`,
    '',
    '| mode | accept + configure, us/conn | in handler, ns/conn | configuring, ns/conn | reconfigure all in a loop, ns/conn | RSS B/conn | heap B/conn |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const range = (s: Summary, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
  for (const s of scale) {
    const batch = s.batchNsPerConnection ? range(s.batchNsPerConnection) : s.serverCallNs ? `once: ${ns(s.serverCallNs.median)} ns` : '';
    lines.push(
      `| ${s.mode} | ${range(s.acceptUsPerConnection, 2)} | ${range(s.handlerNsPerConnection)} | ${ns(s.configureNsPerConnection)} | ${batch} | ${ns(s.rssBytesPerConnection)} | ${ns(s.heapBytesPerConnection)} |`,
    );
  }
  lines.push(
    '',
    "in handler: time inside the configuration call in the 'connection' handler (for none: the timer's own cost);",
    'configuring: the same minus the none row. RSS/heap: growth with every connection open, after a full GC.',
  );
  for (const s of scale) lines.push(`- ${s.mode}: ${s.description}`);
  return lines.join('\n');
}

export function memoryTable(memory: readonly MemorySummary[]): string {
  if (!memory.length) return '';
  const lines = [
    'Memory over repeated calls (after warm-up and a full GC, to after the last call and a full GC):',
    '',
    '| case | calls | ns/call | RSS growth | heap growth | RSS, 2nd half | heap, 2nd half | external |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of memory) {
    lines.push(
      `| ${m.id} | ${m.calls.toLocaleString('en-US')} | ${ns(m.nsPerCall)} | ${kb(m.rssGrowth)} | ${kb(m.heapGrowth)} | ${kb(m.rssGrowthSecondHalf)} | ${kb(m.heapGrowthSecondHalf)} | ${kb(m.externalGrowth)} |`,
    );
  }
  return lines.join('\n');
}

export function targetTable(targets: readonly Target[], indicative: boolean): string {
  const lines = [
    indicative ? 'Targets (indicative only: --quick runs too little to judge them):' : 'Targets:',
    '',
    '| target | goal | measured | |',
    '| --- | --- | --- | --- |',
  ];
  const verdict = (met: boolean): string => (indicative ? `(${met ? 'met' : 'missed'}: not judged)` : met ? 'met' : 'MISSED');
  for (const t of targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${verdict(t.met)} |`);
  return lines.join('\n');
}

export function instructionTable(counts: readonly InstructionCount[]): string {
  if (!counts.length) return '';
  const lines = [
    "Instructions per operation in user space, main thread (callgrind; the kernel's work is not counted):",
    '',
    '| case | instructions | floor | floor instructions | over the floor |',
    '| --- | ---: | --- | ---: | ---: |',
  ];
  for (const c of counts) {
    lines.push(`| ${c.id} | ${ns(c.perOp)} | ${c.floor} | ${ns(c.floorPerOp)} | ${ns(c.perOp - c.floorPerOp)} |`);
  }
  return lines.join('\n');
}
