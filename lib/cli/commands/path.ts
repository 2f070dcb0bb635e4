// `tcp-keepalive path HOST:PORT [--max T] [--connections N] [--json]`: the
// idle time after which the path to a server forgets a connection, and how,
// measured with keepalive probes alone (measureIdleTimeout), then the
// keepalive values for it.
import {
  capabilities,
  idleTimeoutLimits,
  measureIdleTimeout,
  type PathMeasurement,
  type PathProgress,
} from '../../index';
import { parseArgs, parseDuration, parseHostPort, parseInteger } from '../args';
import { CliError, ExitCode, usageError } from '../exit';
import { formatElapsed, formatSetting } from '../format';
import { PATH_HELP } from '../help';
import { Reporter } from '../output';
import { SignalGate } from '../signals';
import { connectFailure } from './connect';

export interface PathSettings {
  target: string;
  maxMs: number;
  connections: number;
  detectWithinMs?: number;
}

/** --max and --connections (PATH_OPTIONS' values), checked against what the measurement accepts. */
export function parsePathSettings(target: string, maxText: string | true | undefined, connectionsText: string | true | undefined): PathSettings {
  const { host, port } = parseHostPort(target, false);
  const limits = idleTimeoutLimits();
  let maxMs = limits.max.default;
  if (maxText !== undefined) {
    maxMs = parseDuration(String(maxText), '--max');
    if (maxMs < limits.max.min) {
      throw usageError(`--max ${maxText} is too short to test: the first probe goes out at 2 s idle (the kernel's idle time is at least 1 s); give at least ${formatSetting(limits.max.min)}`);
    }
    if (maxMs > limits.max.max) throw usageError(`--max ${maxText} is too long: the kernel's idle time goes up to ${formatSetting(limits.max.max + 1000)}`);
  }
  let connections = limits.connections.default;
  if (connectionsText !== undefined) {
    if (/^\s*-?\d+\s*$/.test(String(connectionsText)) && Number(connectionsText) < limits.connections.min) {
      throw usageError(`--connections ${connectionsText}: at least ${limits.connections.min} are needed (a control connection and one to probe)`);
    }
    connections = parseInteger(String(connectionsText), '--connections', limits.connections.min, limits.connections.max);
  }
  return { target: host!.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, maxMs, connections };
}

function describeProgress(progress: PathProgress): string {
  const trying = progress.tryingMs === null ? 'waiting' : `probing at ${formatElapsed(progress.tryingMs)} idle`;
  const upper = progress.upperMs === null ? 'none yet' : formatElapsed(progress.upperMs);
  return `${progress.phase}: ${trying}; kept ${formatElapsed(progress.lowerMs)}, forgot ${upper}; ${progress.open} open; at most ${formatElapsed(progress.worstRemainingMs)} left`;
}

/** Exit codes for what the measurement rejects with. */
function measurementFailure(error: NodeJS.ErrnoException, target: string): CliError {
  const code = error.code ?? 'ERROR';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') {
    return new CliError(`cannot resolve the host of '${target}' (${code})`, ExitCode.RESOLVE, code);
  }
  if (error.syscall === 'connect') return connectFailure(error, target);
  if (code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') {
    return new CliError(`this platform (${capabilities().backend}) cannot send a keepalive probe at a chosen moment, which the measurement needs`, ExitCode.UNSUPPORTED, 'UNSUPPORTED');
  }
  if (code.startsWith('ERR_PATH_')) return new CliError(`the measurement stopped: ${error.message}`, ExitCode.RESET, code);
  return new CliError(error.message, ExitCode.INTERNAL, code);
}

/** Runs the measurement with a progress line on a terminal; Ctrl-C closes every connection and ends with 130. */
export async function measurePath(settings: PathSettings, reporter: Reporter): Promise<PathMeasurement> {
  const controller = new AbortController();
  const gate = new SignalGate('; every connection of the measurement was closed', () => controller.abort());
  try {
    return await gate.race(
      measureIdleTimeout(settings.target, {
        max: settings.maxMs,
        connections: settings.connections,
        detectWithin: settings.detectWithinMs,
        signal: controller.signal,
        onProgress: (progress) => reporter.status(describeProgress(progress)),
      }),
    );
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw measurementFailure(error as NodeJS.ErrnoException, settings.target);
  } finally {
    gate.dispose();
    reporter.endStatus();
  }
}

const MODE_TEXT: Record<PathMeasurement['mode'], string> = {
  silent: 'silent: probes after that idle go unanswered (a NAT or firewall forgot the connection and drops its packets)',
  reset: 'reset: a reset answers probes after that idle (the NAT or firewall forgot the connection)',
  closed: 'closed: the far end closes idle connections itself (a server or proxy idle timeout)',
  none: 'none: nothing forgot an idle connection up to --max',
};

function keepaliveText(refreshed: boolean | null): string {
  if (refreshed === true) return 'probes alone keep a connection alive through the path';
  if (refreshed === false) return 'probes do NOT keep a connection alive: only an application heartbeat (data) does';
  return 'not determined (nothing forgot a connection, or too little evidence)';
}

export function printMeasurement(reporter: Reporter, result: PathMeasurement): void {
  const bracket =
    result.upperMs === null
      ? `kept at least ${formatElapsed(result.lowerMs)} (the longest tested)`
      : `between ${formatElapsed(result.lowerMs)} (longest idle kept) and ${formatElapsed(result.upperMs)} (shortest forgotten)${result.precise ? '' : ', wider than the goal'}`;
  reporter.line(`Path to ${result.target} (${result.address}):`);
  reporter.line(`  mode          ${MODE_TEXT[result.mode]}`);
  reporter.line(`  idle timeout  ${bracket}`);
  reporter.line(`  keepalive     ${keepaliveText(result.refreshedByKeepalive)}`);
  reporter.line(`  RFC 5382      ${result.rfc5382.text}`);
  reporter.line(`  run           ${formatElapsed(result.elapsedMs)}, ${result.connections} connections at most (${result.connectionsOpened} opened), ${result.probes} probes`);
}

export async function runPath(argv: readonly string[]): Promise<number> {
  const args = parseArgs('path', argv, [
    { name: 'max', value: true },
    { name: 'connections', value: true },
    { name: 'json', value: false },
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(PATH_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length !== 1) {
    throw usageError(args.positionals.length === 0 ? "path needs HOST:PORT (see 'tcp-keepalive path --help')" : `unexpected argument '${args.positionals[1]}' for 'path'`);
  }
  const settings = parsePathSettings(args.positionals[0]!, args.options.get('max'), args.options.get('connections'));
  const json = args.options.has('json');
  const reporter = new Reporter(json);
  reporter.line(`Measuring how long the path to ${settings.target} keeps an idle connection (up to ${formatSetting(settings.maxMs)}, ${settings.connections} connections at most)...`);
  const result = await measurePath(settings, reporter);
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return ExitCode.OK;
  }
  printMeasurement(reporter, result);
  reporter.line(result.summary);
  const advice = result.advice;
  if (advice !== null) {
    const { idle, interval, count } = advice.options;
    reporter.line('');
    reporter.line(`For this path (the rules of 'advise', every timer up to 12.5 % late):`);
    reporter.line(`  idle ${formatSetting(idle)}, interval ${formatSetting(interval)}, count ${count}: the first probe leaves at most ${formatElapsed(advice.firstProbeLatestMs)} after the last packet, before the ${formatElapsed(advice.idleTimeoutMs)} the path kept;`);
    reporter.line(`  a dead peer is found within ${formatElapsed(advice.detectionMs)} (${advice.detectionFormula}).`);
    reporter.line(advice.environment);
    reporter.line(advice.code);
  }
  return ExitCode.OK;
}
