// Measuring the path for the command line, shared by 'path' and 'advise --path':
// the settings from the command line, the run with its progress line and
// Ctrl-C, the failures in the command's own exit codes, and the result printed.
import {
  capabilities,
  idleTimeoutLimits,
  measureIdleTimeout,
  type PathMeasurement,
  type PathProgress,
} from '../../index';
import { parseDuration, parseHostPort, parseInteger } from '../terminal/args';
import { CliError, connectFailure, ExitCode, usageError } from '../terminal/exit';
import { formatElapsed, formatSetting } from '../terminal/format';
import { Reporter } from '../terminal/output';
import { SignalGate } from '../terminal/signals';

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

