// lib/cli/commands/advise/: the `advise` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive advise --detect-within 30s [--idle-timeout 350s]
// [--connections 10000] [--busy] [--json]`: keepalive values that find a dead
// peer within the bound and keep middlebox mappings alive, what the probes
// cost, and the lines to use them.
import { adviseKeepalive, type AdviseInput, type KeepaliveAdvice } from '../../../index';
import { parseArgs, parseDuration, parseInteger } from '../../terminal/args';
import { ExitCode, usageError } from '../../terminal/exit';
import { formatBound, formatSetting } from '../../terminal/format';
import { ADVISE_HELP } from '../../terminal/help';
import { Reporter } from '../../terminal/output';
import { measurePath, parsePathSettings, printMeasurement } from '../measured-path';

export type Advice = KeepaliveAdvice;

const FLAG: Record<string, string> = { detectWithinMs: '--detect-within', idleTimeoutMs: '--idle-timeout' };

/** The library's advice (adviseKeepalive), with a bound it cannot meet said as a usage error naming the option. */
export function advise(input: AdviseInput): Advice {
  try {
    return adviseKeepalive(input);
  } catch (error) {
    const { code, field, minimum } = error as { code?: string; field?: string; minimum?: number };
    if (code !== 'ERR_OUT_OF_RANGE' || field === undefined || minimum === undefined) throw error;
    const given = field === 'detectWithinMs' ? input.detectWithinMs : input.idleTimeoutMs!;
    const why =
      field === 'detectWithinMs'
        ? `the kernel's smallest settings (idle 1 s + interval 1 s x count 1), with timers up to 12.5 % late, need ${formatSetting(minimum)}`
        : 'keepalive probes at most once a second, and the first probe may leave 12.5 % late';
    throw usageError(`${FLAG[field]} ${formatSetting(given)} is too short: ${why}`);
  }
}

function formatPackets(perSecond: number): string {
  return perSecond >= 10 ? `${Math.round(perSecond).toLocaleString('en-US')} packets/s` : `${perSecond.toPrecision(2)} packets/s`;
}

function formatBytes(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)} MB/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} kB/s`;
  return `${perSecond.toPrecision(2)} B/s`;
}

/** Rows as columns two spaces apart, each as wide as its widest cell. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join(''));
}

/** The worst case as the kernel reaches it: silence, then the probes, then what drops the connection. */
function worstCase(advice: KeepaliveAdvice): string {
  const { idle, interval, userTimeout } = advice.options;
  const probes = Math.round((advice.nominalDetectionMs - idle) / interval);
  const then = probes === 1 ? `1 probe, unanswered for ${formatSetting(interval)}` : `${probes} probes ${formatSetting(interval)} apart, each unanswered`;
  // Whole seconds (advise rounds to them), without formatSetting's minutes: a sum to read at a glance.
  const sum = `${idle / 1000} s + ${probes} x ${interval / 1000} s = ${advice.nominalDetectionMs / 1000} s with timers on time`;
  const timeline = `${formatBound(advice.detectionMs)} from the peer's last packet to the connection dropped, with the kernel's timers up to 12.5 % late: idle ${formatSetting(idle)}, then ${then} (${sum})`;
  if (userTimeout === undefined) return `${timeline}.`;
  const ut = formatSetting(userTimeout);
  const when = userTimeout === advice.nominalDetectionMs ? 'at that moment too' : `at the first probe time from ${ut} on`;
  return `${timeline}. The user timeout (${ut}) drops it ${when}, and bounds unacknowledged data, which keepalive does not probe, to ${ut}.`;
}

export async function runAdvise(argv: readonly string[]): Promise<number> {
  const args = parseArgs('advise', argv, [
    { name: 'detect-within', value: true },
    { name: 'idle-timeout', value: true },
    { name: 'path', value: true },
    { name: 'max', value: true },
    { name: 'connections', value: true },
    { name: 'busy', value: false },
    { name: 'json', value: false },
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(ADVISE_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}' for 'advise'`);
  const within = args.options.get('detect-within');
  if (within === undefined) throw usageError("advise needs --detect-within T (see 'tcp-keepalive advise --help')");
  const idleTimeout = args.options.get('idle-timeout');
  const pathTarget = args.options.get('path');
  if (pathTarget !== undefined && idleTimeout !== undefined) throw usageError('--path measures the idle timeout: it cannot be combined with --idle-timeout');
  if (pathTarget === undefined && args.options.has('max')) throw usageError('--max belongs to --path');
  const connections = args.options.get('connections');
  const input: AdviseInput = {
    detectWithinMs: parseDuration(String(within), '--detect-within'),
    idleTimeoutMs: idleTimeout === undefined ? null : parseDuration(String(idleTimeout), '--idle-timeout'),
    connections: connections === undefined ? 1 : parseInteger(String(connections), '--connections', 1, 100_000_000),
    busy: args.options.has('busy'),
  };
  // Checked before a measurement that may take minutes.
  let advice = advise(input);
  const reporter = new Reporter(args.options.has('json'));
  let measured = null;
  if (pathTarget !== undefined) {
    const settings = parsePathSettings(String(pathTarget), args.options.get('max'), undefined);
    reporter.line(`Measuring how long the path to ${settings.target} keeps an idle connection (up to ${formatSetting(settings.maxMs)})...`);
    measured = await measurePath(settings, reporter);
    printMeasurement(reporter, measured);
    reporter.line('');
    advice = advise({ ...input, idleTimeoutMs: measured.lowerMs });
    advice.idleTimeoutSource = measured.upperMs === null ? `measured on the path: kept that long, nothing forgot` : `measured on the path: the longest idle it kept`;
  }
  const { options, traffic } = advice;
  reporter.event('advice', measured === null ? { ...advice } : { ...advice, path: measured }, null);
  reporter.line(`To find a dead peer within ${formatBound(advice.detectionMs)} of its last packet:`);
  const rows: [string, string, string][] = [
    ['idle', formatSetting(options.idle), 'first probe after this much silence'],
    ['interval', formatSetting(options.interval), 'between unanswered probes'],
    ['count', String(options.count), 'unanswered probes before the connection is dropped'],
  ];
  if (options.userTimeout !== undefined) {
    rows.push(['userTimeout', formatSetting(options.userTimeout), 'limit for unacknowledged data: keepalive does not probe while data is in flight']);
  }
  for (const line of columns(rows)) reporter.line(`  ${line}`);
  reporter.line(`Worst case: ${worstCase(advice)}`);
  reporter.line(
    `Mappings stay alive: the first probe comes after ${formatSetting(options.idle)} of silence (at most ${formatBound(advice.firstProbeLatestMs)} with the timer 12.5 % late), before the ${formatSetting(advice.idleTimeoutMs)} idle timeout (${advice.idleTimeoutSource}${measured === null ? '; --idle-timeout to give yours, --path HOST:PORT to measure it' : ''}).`,
  );
  reporter.line(
    `Probe traffic at ${traffic.connections.toLocaleString('en-US')} idle connection${traffic.connections === 1 ? '' : 's'}: ${formatPackets(traffic.packetsPerSecond)}, ${formatBytes(traffic.bytesPerSecond)} (a probe and its ACK per connection every ${formatSetting(options.idle)}, ${traffic.frameBytes} bytes each; none while data flows).`,
  );
  reporter.line('');
  reporter.line(advice.environment);
  reporter.line(advice.code);
  return ExitCode.OK;
}
