// lib/cli/commands/advise/: the `advise` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive advise --detect-within 30s [--idle-timeout 350s]
// [--connections 10000] [--busy] [--json]`: keepalive values that find a dead
// peer within the bound and keep middlebox mappings alive, what the probes
// cost, and the lines to use them.
import { capabilities, type KeepaliveOptions } from '../../../index';
import { formatKeepaliveSpec, ENVIRONMENT_VARIABLE } from '../../../diagnostics';
import { parseArgs, parseDuration, parseInteger } from '../../terminal/args';
import { ExitCode, usageError } from '../../terminal/exit';
import { formatSetting } from '../../terminal/format';
import { ADVISE_HELP } from '../../terminal/help';
import { Reporter } from '../../terminal/output';
import { detectionTime } from '../settings';

/** Documented idle timeouts of common middleboxes, ms. */
export const MIDDLEBOX_IDLE_TIMEOUTS = [
  { name: "Azure Load Balancer's default", ms: 240_000 },
  { name: 'AWS Gateway Load Balancer and Network Firewall', ms: 350_000 },
] as const;

/** On the wire, one probe or its ACK: Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12. */
export const PROBE_FRAME_BYTES = 66;
/** Below this many probes, one lost probe or ACK would drop a live connection. */
const PREFERRED_COUNT = 4;
/** Share of the idle timeout the first probe may use, so that a mapping is refreshed before it expires. */
const MAPPING_MARGIN = 0.9;

export interface AdviseInput {
  /** A dead peer must be found within this long of its last segment, ms. */
  detectWithinMs: number;
  /** The idle timeout of the NAT/LB/firewall on the path, ms; null: the strictest documented. */
  idleTimeoutMs: number | null;
  connections: number;
  /** The connections carry data: bound unacknowledged data too (userTimeout). */
  busy: boolean;
}

export interface Advice {
  options: KeepaliveOptions & { idle: number; interval: number; count: number };
  /** Worst case from the peer's last segment to the connection being dropped, ms. */
  detectionMs: number;
  detectionFormula: string;
  idleTimeoutMs: number;
  idleTimeoutSource: string;
  /** On a healthy idle connection, one probe and its ACK every `idle`. */
  traffic: { connections: number; packetsPerSecond: number; bytesPerSecond: number };
  environment: string;
  code: string;
}

/** The kernel keeps idle and interval in whole seconds: the largest whole second <= ms. */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * The recommendation: half the bound for the first probe (long silences
 * cost fewer probes), half for `count` probes `interval` apart, with count
 * 4 where the bound allows it (three lost probes are survived); the first
 * probe always comes before the middlebox forgets the connection. Throws a
 * usage error when the kernel cannot detect within the bound.
 */
export function advise(input: AdviseInput): Advice {
  const limits = capabilities();
  const { detectWithinMs, connections, busy } = input;
  const strictest = MIDDLEBOX_IDLE_TIMEOUTS.reduce((a, b) => (a.ms <= b.ms ? a : b));
  const idleTimeoutMs = input.idleTimeoutMs ?? strictest.ms;
  const idleTimeoutSource = input.idleTimeoutMs === null ? `${strictest.name}, the strictest documented` : 'given';
  const minimum = limits.idle.min + limits.interval.min * limits.count.min;
  if (detectWithinMs < minimum) {
    throw usageError(`--detect-within ${formatSetting(detectWithinMs)} is too short: the kernel's smallest settings detect within ${formatSetting(minimum)} (idle ${formatSetting(limits.idle.min)} + interval ${formatSetting(limits.interval.min)} x count 1)`);
  }
  const idleCap = Math.min(limits.idle.max, wholeSeconds(idleTimeoutMs * MAPPING_MARGIN));
  if (idleCap < limits.idle.min) throw usageError(`--idle-timeout ${formatSetting(idleTimeoutMs)} is too short: keepalive probes at most once a second`);

  // As many probes as fit up to 4, each at least the kernel's smallest interval, leaving 1 s for idle.
  const count = Math.max(1, Math.min(PREFERRED_COUNT, Math.floor((detectWithinMs - limits.idle.min) / limits.interval.min)));
  let interval = Math.max(limits.interval.min, wholeSeconds(detectWithinMs / 2 / count));
  interval = Math.min(interval, idleCap, limits.interval.max);
  const idle = Math.max(limits.idle.min, Math.min(idleCap, wholeSeconds(detectWithinMs - interval * count)));
  const options: Advice['options'] = { idle, interval, count };
  if (busy) options.userTimeout = idle + interval * count;
  const detection = detectionTime({ enable: true, idle, interval, count, userTimeout: options.userTimeout ?? 0 })!;
  const packetsPerSecond = (connections * 2 * 1000) / idle;
  const environment = `${ENVIRONMENT_VARIABLE}="${formatKeepaliveSpec(options)}"`;
  const code = `setDefaultKeepalive({ ${Object.entries(options).map(([key, value]) => `${key}: ${value.toLocaleString('en-US').replaceAll(',', '_')}`).join(', ')} });`;
  return {
    options,
    detectionMs: detection.ms,
    detectionFormula: detection.formula,
    idleTimeoutMs,
    idleTimeoutSource,
    traffic: { connections, packetsPerSecond, bytesPerSecond: packetsPerSecond * PROBE_FRAME_BYTES },
    environment,
    code,
  };
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
function worstCase(advice: Advice): string {
  const { idle, interval, userTimeout } = advice.options;
  const probes = Math.round((advice.detectionMs - idle) / interval);
  const then = probes === 1 ? `1 probe, unanswered for ${formatSetting(interval)}` : `${probes} probes ${formatSetting(interval)} apart, each unanswered`;
  // Whole seconds (advise rounds to them), without formatSetting's minutes: a sum to read at a glance.
  const sum = `${idle / 1000} s + ${probes} x ${interval / 1000} s`;
  const timeline = `${formatSetting(advice.detectionMs)} from the peer's last packet to the connection dropped: idle ${formatSetting(idle)}, then ${then} (${sum})`;
  if (userTimeout === undefined) return `${timeline}.`;
  const ut = formatSetting(userTimeout);
  const when = userTimeout === advice.detectionMs ? 'at that moment too' : `at the first probe time from ${ut} on`;
  return `${timeline}. The user timeout (${ut}) drops it ${when}, and bounds unacknowledged data, which keepalive does not probe, to ${ut}.`;
}

export function runAdvise(argv: readonly string[]): number {
  const args = parseArgs('advise', argv, [
    { name: 'detect-within', value: true },
    { name: 'idle-timeout', value: true },
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
  const connections = args.options.get('connections');
  const advice = advise({
    detectWithinMs: parseDuration(String(within), '--detect-within'),
    idleTimeoutMs: idleTimeout === undefined ? null : parseDuration(String(idleTimeout), '--idle-timeout'),
    connections: connections === undefined ? 1 : parseInteger(String(connections), '--connections', 1, 100_000_000),
    busy: args.options.has('busy'),
  });
  const reporter = new Reporter(args.options.has('json'));
  const { options, traffic } = advice;
  reporter.event('advice', { ...advice }, null);
  reporter.line(`To find a dead peer within ${formatSetting(advice.detectionMs)} of its last packet:`);
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
    `Mappings stay alive: the first probe comes after ${formatSetting(options.idle)} of silence, before the ${formatSetting(advice.idleTimeoutMs)} idle timeout (${advice.idleTimeoutSource}; --idle-timeout to give yours).`,
  );
  reporter.line(
    `Probe traffic at ${traffic.connections.toLocaleString('en-US')} idle connection${traffic.connections === 1 ? '' : 's'}: ${formatPackets(traffic.packetsPerSecond)}, ${formatBytes(traffic.bytesPerSecond)} (a probe and its ACK per connection every ${formatSetting(options.idle)}, ${PROBE_FRAME_BYTES} bytes each; none while data flows).`,
  );
  reporter.line('');
  reporter.line(advice.environment);
  reporter.line(advice.code);
  return ExitCode.OK;
}
