// Measures the network scenarios for docs/network-proof.md: runs each one TKA_MEASURE_RUNS
// times (default 10), TKA_MEASURE_PARALLEL at a time (default 4), and prints min, median and
// worst (the longest) of every duration, with the error codes seen. Not part of `npm test`:
//
//   npx vitest run --config test/network/measure.config.mts
//
// The table is also written to TKA_MEASURE_OUT (default /tmp/tka-network-measure.md);
// TKA_MEASURE_ONLY=<text> runs only the scenarios whose name contains it.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import {
  COUNT_BELOW_SENT,
  dataInFlight,
  ENABLE_LATE,
  IDLE_ALREADY_ELAPSED,
  IDLE_LONGER_THAN_ELAPSED,
  idleUserTimeout,
  INTERVAL_ONLY,
  INTERVAL_WITH_IDLE,
  liveChanges,
  liveSysctlCount,
  liveSysctlIdle,
  probesOnTheWire,
  probesRising,
  rebootedPeer,
  serverSide,
  silentPeer,
  systemDefaultTimers,
  type LiveChangeResult,
} from '../helpers/network-scenarios';
import type { Detection } from '../helpers/detection';

const RUNS = Number(process.env.TKA_MEASURE_RUNS ?? 10);
const PARALLEL = Number(process.env.TKA_MEASURE_PARALLEL ?? 4);
const OUT = process.env.TKA_MEASURE_OUT ?? '/tmp/tka-network-measure.md';
/** Only the scenarios whose name contains this (e.g. "7."), all by default. */
const ONLY = process.env.TKA_MEASURE_ONLY ?? '';

/** One run's durations (ms) by measure name, and the error codes it saw. */
interface Sample {
  readonly values: Readonly<Record<string, number | readonly number[]>>;
  readonly codes: readonly (string | null)[];
}

interface Experiment {
  readonly scenario: string;
  /** What each measure is, and what the kernel's rule predicts for it. */
  readonly measures: Readonly<Record<string, string>>;
  run(): Promise<Sample>;
}

const fromDetection = (d: Detection, prefix = ''): Record<string, number> => ({
  [`${prefix}afterLastPacket`]: d.afterLastPacket,
  [`${prefix}afterFault`]: d.afterFault,
});

function probeAt(result: LiveChangeResult, probes: number): number {
  const seen = result.probesAfterChange.find((p) => p.probes === probes);
  return seen === undefined ? Number.NaN : seen.at;
}

const silent = (vanish: 'drop' | 'unreachable' | 'link-down'): Experiment => ({
  scenario: `1. silent peer (${vanish})`,
  measures: {
    afterLastPacket: 'error after the last packet from the peer; rule 4000, bound 3000..5100',
    afterFault: 'error after the fault',
  },
  async run() {
    const { detection } = await silentPeer(vanish);
    return { values: fromDetection(detection), codes: [detection.code] };
  },
});

const inFlight = (vanish: 'drop' | 'unreachable'): Experiment => ({
  scenario: `4. data in flight, userTimeout 3000 (${vanish})`,
  measures: {
    afterWrite:
      vanish === 'drop'
        ? 'error after the write; rule 3000 from the first RTO resend, bound 3000..3950'
        : 'error after the write; rule as drop, up to one RTO later, bound 3000..4950',
  },
  async run() {
    const { userTimeout, keepaliveOnly } = await dataInFlight(vanish);
    return { values: { afterWrite: userTimeout.afterFault }, codes: [userTimeout.code, ...keepaliveOnly.errors] };
  },
});

const ALL_EXPERIMENTS: readonly Experiment[] = [
  silent('drop'),
  silent('link-down'),
  silent('unreachable'),
  {
    scenario: '2. rebooted peer',
    measures: {
      afterFault: 'ECONNRESET after the peer answers again; bound 2000',
      afterLastPacket: 'after the last packet before the reboot; rule >= idle 1000',
    },
    async run() {
      const { detection } = await rebootedPeer();
      return { values: fromDetection(detection), codes: [detection.code] };
    },
  },
  {
    scenario: "3. server's side, client vanished",
    measures: {
      afterLastPacket: 'error after the last packet from the client; rule 4000, bound 3000..5100',
      afterFault: 'error after the fault',
    },
    async run() {
      const { detection } = await serverSide();
      return { values: fromDetection(detection), codes: [detection.code] };
    },
  },
  inFlight('drop'),
  inFlight('unreachable'),
  {
    scenario: '4. idle, count 1 vs count 1 + userTimeout 3000',
    measures: {
      countOnly: 'count 1 alone, after the last packet; rule 2000',
      withUserTimeout: 'with userTimeout 3000, after the last packet; rule 3000',
    },
    async run() {
      const { countOnly, withUserTimeout } = await idleUserTimeout();
      return {
        values: { countOnly: countOnly.afterLastPacket, withUserTimeout: withUserTimeout.afterLastPacket },
        codes: [countOnly.code, withUserTimeout.code],
      };
    },
  },
  {
    scenario: '5. tcp_info probes, peer silent',
    measures: {
      probe1: 'probes = 1 seen, after the last packet; rule 1000',
      probe2: 'probes = 2 seen; rule 2000',
      probe3: 'probes = 3 seen; rule 3000',
      afterLastPacket: 'error after the last packet; rule 4000',
    },
    async run() {
      const { seen, detection } = await probesRising();
      const at = (n: number): number => seen.find((s) => s.probes === n)?.afterLastPacket ?? Number.NaN;
      return {
        values: { probe1: at(1), probe2: at(2), probe3: at(3), afterLastPacket: detection.afterLastPacket },
        codes: [detection.code],
      };
    },
  },
  {
    scenario: '5. probes on the wire, peer alive',
    measures: {
      probeAfterPeer: 'probe after the last segment from the peer (capture times); rule idle 1000',
      answerDelay: 'the ACK answering it; rule one round trip',
      probes: 'probes in a 3.5 s capture; rule 3',
    },
    async run() {
      const { probes } = await probesOnTheWire();
      return {
        values: {
          probeAfterPeer: probes.map((p) => p.afterLastFromPeer),
          answerDelay: probes.map((p) => p.answer?.delay ?? Number.NaN),
          probes: probes.length,
        },
        codes: [],
      };
    },
  },
  {
    scenario: '6. system defaults 2 s / 1 s / 2',
    measures: { afterLastPacket: 'error after the last packet; rule 4000, bound 3000..5100' },
    async run() {
      const { detection } = await systemDefaultTimers();
      return { values: { afterLastPacket: detection.afterLastPacket }, codes: [detection.code] };
    },
  },
  {
    scenario: '6. tcp_keepalive_probes 9 -> 2 on a live socket',
    measures: { afterLastPacket: 'error after the last packet; rule 3000 (10000 with 9)' },
    async run() {
      const { detection } = await liveSysctlCount();
      return { values: { afterLastPacket: detection.afterLastPacket }, codes: [detection.code] };
    },
  },
  {
    scenario: '6. tcp_keepalive_time 3 s -> 1 s on a live socket',
    measures: {
      firstProbe: 'probe 1 after the last packet; rule 3000 (the timer armed before)',
      afterLastPacket: 'error after the last packet; rule 5000',
    },
    async run() {
      const { firstProbe, detection } = await liveSysctlIdle();
      return {
        values: { firstProbe: firstProbe ?? Number.NaN, afterLastPacket: detection.afterLastPacket },
        codes: [detection.code],
      };
    },
  },
  {
    scenario: '7. idle 60 s -> 3 s, ~1 s after the last packet',
    measures: {
      probe1: 'probe 1 after the last packet; rule 3000',
      probe1AfterCall: 'probe 1 after the call; rule 3000 - elapsed',
      afterLastPacket: 'error after the last packet; rule 5000',
    },
    async run() {
      const [r] = await liveChanges(1000, IDLE_LONGER_THAN_ELAPSED);
      return {
        values: {
          probe1: probeAt(r!, 1) + r!.changedAfterLastPacket,
          probe1AfterCall: probeAt(r!, 1),
          afterLastPacket: r!.detection!.afterLastPacket,
        },
        codes: [r!.detection!.code],
      };
    },
  },
  {
    scenario: '7. idle 60 s -> 1 s, ~2 s after the last packet',
    measures: {
      probe1AfterCall: 'probe 1 after the call; rule 0',
      afterCall: 'error after the call; rule 2000',
    },
    async run() {
      const [r] = await liveChanges(2000, IDLE_ALREADY_ELAPSED);
      return { values: { probe1AfterCall: probeAt(r!, 1), afterCall: r!.detection!.afterFault }, codes: [r!.detection!.code] };
    },
  },
  {
    scenario: '7. interval 2 s -> 1 s after probe 1 (alone / with idle)',
    measures: {
      gap12: 'interval alone: probe 1 to probe 2; rule 2000 (old interval)',
      gap23: 'interval alone: probe 2 to probe 3; rule 1000',
      afterLastPacket: 'interval alone: error after the last packet; rule 5000',
      withIdleGap12: 'with idle: probe 1 to probe 2; rule 0 (re-armed)',
      withIdleAfterCall: 'with idle: error after the call; rule 2000',
    },
    async run() {
      const [alone, withIdle] = await liveChanges(300, INTERVAL_ONLY, INTERVAL_WITH_IDLE);
      return {
        values: {
          gap12: probeAt(alone!, 2) - probeAt(alone!, 1),
          gap23: probeAt(alone!, 3) - probeAt(alone!, 2),
          afterLastPacket: alone!.detection!.afterLastPacket,
          withIdleGap12: probeAt(withIdle!, 2) - probeAt(withIdle!, 1),
          withIdleAfterCall: withIdle!.detection!.afterFault,
        },
        codes: [alone!.detection!.code, withIdle!.detection!.code],
      };
    },
  },
  {
    scenario: '7. count 10 -> 1 after probe 2',
    measures: {
      afterCall: 'error after the call; rule interval 1000 (next expiry)',
      afterLastPacket: 'error after the last packet; rule 3000',
    },
    async run() {
      const [r] = await liveChanges(300, COUNT_BELOW_SENT);
      return {
        values: { afterCall: r!.detection!.afterFault, afterLastPacket: r!.detection!.afterLastPacket },
        codes: [r!.detection!.code],
      };
    },
  },
  {
    scenario: '7. keepalive turned on ~2 s after the last packet',
    measures: {
      probe1AfterCall: 'probe 1 after the call; rule idle 1000',
      afterCall: 'error after the call; rule 3000',
    },
    async run() {
      const [r] = await liveChanges(2000, ENABLE_LATE);
      return { values: { probe1AfterCall: probeAt(r!, 1), afterCall: r!.detection!.afterFault }, codes: [r!.detection!.code] };
    },
  },
];

const EXPERIMENTS = ALL_EXPERIMENTS.filter((experiment) => experiment.scenario.includes(ONLY));

/** Run `tasks` with at most `limit` at a time. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ms = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/** The kernel's tick rate, from its build configuration (timer granularity depends on it). */
function kernelHz(): string {
  const sources: [string, (raw: Buffer) => string][] = [
    ['/proc/config.gz', (raw) => gunzipSync(raw).toString('utf8')],
    [`/boot/config-${os.release()}`, (raw) => raw.toString('utf8')],
  ];
  for (const [path, decode] of sources) {
    try {
      const hz = /^CONFIG_HZ=(\d+)$/m.exec(decode(readFileSync(path)))?.[1];
      if (hz !== undefined) return `HZ=${hz}`;
    } catch {
      // not available here: try the next source
    }
  }
  return 'HZ unknown';
}

function machine(): string {
  const cpus = os.cpus();
  return `Linux ${os.release()} (${kernelHz()}), ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), Node ${process.version}`;
}

needs('netns').it(`measure every network scenario ${RUNS} times`, async () => {
  const started = Date.now();
  const tasks = EXPERIMENTS.flatMap((experiment) =>
    Array.from({ length: RUNS }, () => async (): Promise<[Experiment, Sample | Error]> => {
      try {
        return [experiment, await experiment.run()];
      } catch (error) {
        return [experiment, error as Error];
      }
    }),
  );
  // Interleaved, so that each scenario's runs meet different neighbours.
  const order = tasks.map((task, i) => ({ task, key: (i % RUNS) * tasks.length + i })).sort((x, y) => x.key - y.key);
  const outcomes = await pool(order.map((o) => o.task), PARALLEL);

  const lines = [
    `Measured ${new Date().toISOString()} on ${machine()}; ${RUNS} runs per scenario, ${PARALLEL} at a time, ` +
      `${Math.round((Date.now() - started) / 1000)} s in all. Times in ms.`,
    '',
    '| Scenario | Measure (rule / bound) | n | min | median | worst | codes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const failures: string[] = [];
  for (const experiment of EXPERIMENTS) {
    const mine = outcomes.filter(([e]) => e === experiment).map(([, outcome]) => outcome);
    const samples = mine.filter((o): o is Sample => !(o instanceof Error));
    for (const o of mine) if (o instanceof Error) failures.push(`${experiment.scenario}: ${o.message.split('\n')[0]}`);
    const codes = new Map<string, number>();
    for (const code of samples.flatMap((s) => s.codes)) codes.set(String(code), (codes.get(String(code)) ?? 0) + 1);
    const codeText = [...codes].map(([code, n]) => `${code} x${n}`).join(', ') || '-';
    for (const [name, description] of Object.entries(experiment.measures)) {
      const values = samples
        .flatMap((s) => s.values[name] ?? [])
        .filter((v) => !Number.isNaN(v))
        .sort((x, y) => x - y);
      const stats = values.length > 0 ? [ms(values[0]!), ms(median(values)), ms(values.at(-1)!)] : ['-', '-', '-'];
      lines.push(`| ${experiment.scenario} | ${name}: ${description} | ${values.length} | ${stats.join(' | ')} | ${codeText} |`);
    }
  }
  if (failures.length > 0) lines.push('', 'Failed runs:', ...failures.map((f) => `- ${f}`));
  const table = lines.join('\n');
  writeFileSync(OUT, `${table}\n`);
  console.log(`${table}\n\n(written to ${OUT})`);
  expect(failures).toEqual([]);
  expect(leftoverNamespaces()).toEqual([]);
});
