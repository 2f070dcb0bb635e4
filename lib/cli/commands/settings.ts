// lib/cli/commands/: one folder per command (advise, connect, defaults,
// demo, inspect, listen, report), its run function loaded by main.ts, with
// the helpers only it uses; beside them what several commands share:
// settings (this file), describe, announce, verdict.
// May import: ../terminal/, ../live/, ../../index.ts, ../../diagnostics.
// A command never imports another command's folder; the shared files here
// import only ../terminal/ and the library.
//
// Keepalive settings from the command line, checked against what this
// kernel accepts before anything is opened, and what they mean in time.
import { capabilities, type KeepaliveOptions, type KeepaliveState } from '../../index';
import { parseDuration, parseInteger, type OptionSpec, type ParsedArgs } from '../terminal/args';
import { CliError, ExitCode, usageError } from '../terminal/exit';
import { formatSetting } from '../terminal/format';

/** Options shared by `connect` and `listen`. */
export const WATCH_OPTIONS: readonly OptionSpec[] = [
  { name: 'idle', short: 'd', value: true },
  { name: 'interval', short: 'i', value: true },
  { name: 'count', short: 'c', value: true },
  { name: 'user-timeout', value: true },
  { name: 'no-keepalive', value: false },
  { name: 'probe', short: 'p', value: false },
  { name: 'probe-every', value: true },
  { name: 'duration', value: true },
  { name: 'json', value: false },
  { name: 'help', short: 'h', value: false },
];

export interface WatchSettings {
  /** What to apply; null with --no-keepalive alone (nothing set: keepalive left off). */
  readonly keepalive: KeepaliveOptions | null;
  /** Send one probe on demand once the connection has been idle long enough. */
  readonly probeOnce: boolean;
  /** Send a probe on demand this often, ms. */
  readonly probeEveryMs: number | null;
  /** Stop watching after this long, ms. */
  readonly durationMs: number | null;
  readonly json: boolean;
}

type TimeField = 'idle' | 'interval' | 'userTimeout';

/** A time option in ms, checked against the kernel's range and unit. */
function timeOption(args: ParsedArgs, option: string, field: TimeField): number | undefined {
  const text = args.options.get(option);
  if (text === undefined) return undefined;
  const flag = `--${option}`;
  const ms = parseDuration(String(text), flag);
  const limits = capabilities()[field];
  if (!limits.settable) {
    throw new CliError(`${flag} is not supported on this platform (${capabilities().backend})`, ExitCode.UNSUPPORTED, 'UNSUPPORTED');
  }
  const unit = limits.unitMs || 1;
  const rounded = Math.ceil(ms / unit) * unit;
  if (rounded < limits.min || rounded > limits.max) {
    const whole = unit >= 1000 ? ' (whole seconds)' : '';
    throw usageError(
      `${flag} ${text} is out of range: this kernel accepts ${formatSetting(limits.min)} to ${formatSetting(limits.max)}${whole}`,
    );
  }
  return ms;
}

export function parseWatchSettings(args: ParsedArgs): WatchSettings {
  const idle = timeOption(args, 'idle', 'idle');
  const interval = timeOption(args, 'interval', 'interval');
  const userTimeout = timeOption(args, 'user-timeout', 'userTimeout');
  let count: number | undefined;
  const countText = args.options.get('count');
  if (countText !== undefined) {
    const limits = capabilities().count;
    if (!limits.settable) throw new CliError('--count is not supported on this platform', ExitCode.UNSUPPORTED, 'UNSUPPORTED');
    count = parseInteger(String(countText), '--count', limits.min, limits.max);
  }
  const noKeepalive = args.options.has('no-keepalive');
  const probeOnce = args.options.has('probe');
  const probeEveryText = args.options.get('probe-every');
  const probeEveryMs = probeEveryText === undefined ? null : parseDuration(String(probeEveryText), '--probe-every');
  if (probeEveryMs !== null && probeEveryMs < 1000) throw usageError(`--probe-every ${probeEveryText} is too short: at least 1 s`);
  const durationText = args.options.get('duration');
  const durationMs = durationText === undefined ? null : parseDuration(String(durationText), '--duration');

  if (noKeepalive) {
    // --user-timeout stays: it bounds unacknowledged data, keepalive or not.
    const given = ['idle', 'interval', 'count', 'probe', 'probe-every'].filter((name) => args.options.has(name));
    if (given.length > 0) throw usageError(`--no-keepalive cannot be combined with --${given[0]}`);
  }
  let keepalive: KeepaliveOptions | null;
  if (noKeepalive) {
    keepalive = userTimeout === undefined ? null : { enable: false, userTimeout };
  } else {
    keepalive = { enable: true };
    if (idle !== undefined) keepalive.idle = idle;
    if (interval !== undefined) keepalive.interval = interval;
    if (count !== undefined) keepalive.count = count;
    if (userTimeout !== undefined) keepalive.userTimeout = userTimeout;
  }
  return { keepalive, probeOnce, probeEveryMs, durationMs, json: args.options.has('json') };
}

export interface Detection {
  /** Longest time from the peer's last segment to the connection being dropped, ms. */
  readonly ms: number;
  /** How that follows from the settings. */
  readonly formula: string;
}

/**
 * How long a silent peer goes unnoticed, as Linux's keepalive timer decides
 * (tcp_keepalive_timer): probes at idle, idle + interval, ...; dropped when
 * `count` are unanswered, or with TCP_USER_TIMEOUT set, at the first probe
 * time at least that long after the last segment received.
 */
export function detectionTime(state: KeepaliveState): Detection | null {
  if (!state.enable || state.idle === null || state.interval === null) return null;
  const { idle, interval } = state;
  const userTimeout = state.userTimeout ?? 0;
  if (userTimeout > 0) {
    const probes = Math.max(1, Math.ceil((userTimeout - idle) / interval));
    return {
      ms: idle + probes * interval,
      formula: `idle ${formatSetting(idle)} + ${probes} x interval ${formatSetting(interval)}, the first probe time past the user timeout ${formatSetting(userTimeout)}`,
    };
  }
  if (state.count === null) return null;
  return {
    ms: idle + interval * state.count,
    formula: `idle ${formatSetting(idle)} + interval ${formatSetting(interval)} x count ${state.count}`,
  };
}
