// lib/cli/commands/connect/: the `connect` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive connect HOST:PORT`: connect, apply the options, show what
// the kernel holds, then watch the connection live until it ends.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { getKeepalive, setKeepalive, type KeepaliveState } from '../../../index';
import { captureLine, reportConnected, safeSystemDefaults } from '../announce';
import { parseArgs, parseDuration, parseHostPort } from '../../terminal/args';
import { flowFilter, tryCapture } from '../../live/wire/capture';
import { settingsTable } from '../describe';
import { CliError, connectFailure, exitCodeForSignal, ExitCode, usageError } from '../../terminal/exit';
import { formatElapsed, formatEndpoint } from '../../terminal/format';
import { CONNECT_HELP } from '../../terminal/help';
import { Controls, Monitor } from '../../live/monitor';
import { Reporter } from '../../terminal/output';
import { parseWatchSettings, WATCH_OPTIONS } from '../settings';
import type { Outcome } from '../../live/ending';
import { ConnectionWatcher, describeConnection } from '../../live/watcher';
import { SignalGate } from '../../terminal/signals';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

async function resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
  if (net.isIP(host)) return { address: host, family: net.isIPv6(host) ? 6 : 4 };
  try {
    const { address, family } = await lookup(host);
    return { address, family: family === 6 ? 6 : 4 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ENOTFOUND';
    throw new CliError(`cannot resolve host '${host}' (${code})`, ExitCode.RESOLVE, code);
  }
}

function connectSocket(address: string, port: number, family: 4 | 6, timeoutMs: number): Promise<net.Socket> {
  const endpoint = formatEndpoint(address, port);
  return new Promise((resolvePromise, reject) => {
    const socket = net.connect({ host: address, port, family });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new CliError(`cannot connect to ${endpoint}: no answer within ${formatElapsed(timeoutMs)} (ETIMEDOUT)`, ExitCode.CONNECT, 'ETIMEDOUT'),
      );
    }, timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(connectFailure(error, endpoint));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolvePromise(socket);
    });
  });
}

export async function runConnect(argv: readonly string[]): Promise<number> {
  const args = parseArgs('connect', argv, [...WATCH_OPTIONS, { name: 'connect-timeout', value: true }]);
  if (args.options.has('help')) {
    process.stdout.write(CONNECT_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length !== 1) {
    throw usageError(
      args.positionals.length === 0
        ? "connect needs HOST:PORT (see 'tcp-keepalive connect --help')"
        : `unexpected argument '${args.positionals[1]}' for 'connect'`,
    );
  }
  const target = parseHostPort(args.positionals[0]!, false);
  const settings = parseWatchSettings(args);
  const timeoutText = args.options.get('connect-timeout');
  const connectTimeoutMs = timeoutText === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : parseDuration(String(timeoutText), '--connect-timeout');
  const reporter = new Reporter(settings.json);

  // Ctrl-C before the connection is up ends the command cleanly too.
  const gate = new SignalGate();
  let socket: net.Socket;
  let capture: ReturnType<typeof tryCapture>;
  try {
    const { address, family } = await gate.race(resolve(target.host!));
    // Opened before connecting, so that the handshake is seen and every
    // later segment can be labelled; narrowed to the 4-tuple right after.
    capture = tryCapture(flowFilter('', 0, address, target.port));
    try {
      socket = await gate.race(connectSocket(address, target.port, family, connectTimeoutMs));
    } catch (error) {
      capture.capture?.close();
      throw error;
    }
  } finally {
    gate.dispose();
  }
  try {
    capture.capture?.setFlow(flowFilter(socket.localAddress ?? '', socket.localPort ?? 0, socket.remoteAddress ?? '', socket.remotePort ?? 0));
  } catch (error) {
    capture.capture?.close();
    capture = { capture: null, reason: `capture filter failed: ${(error as Error).message}` };
  }

  let held: KeepaliveState;
  try {
    held = (settings.keepalive ? setKeepalive(socket, settings.keepalive) : null) ?? getKeepalive(socket);
  } catch (error) {
    socket.destroy();
    capture.capture?.close();
    throw new CliError(`cannot set keepalive on the connection: ${(error as Error).message}`, ExitCode.INTERNAL, (error as NodeJS.ErrnoException).code);
  }
  const monitor = new Monitor(reporter, capture.capture);
  const watcher = new ConnectionWatcher(socket, {
    id: 1,
    prefix: '',
    reporter,
    captured: capture.capture !== null,
    probeOnce: settings.probeOnce,
    probeEveryMs: settings.probeEveryMs,
  });
  monitor.add(watcher);
  // The handshake's packets (captured while connecting) come before `connected`.
  monitor.readPackets();
  // Handlers first: a signal must never find the process without them.
  let signal: NodeJS.Signals | null = null;
  const controls = new Controls(
    {
      probe: (trigger) => void watcher.requestProbe(trigger),
      quit: (received) => {
        monitor.tick();
        if (received === 'key') {
          watcher.stop('stopped'); // q: the user's choice, exit code 0
          return;
        }
        signal = received;
        watcher.stop('interrupted');
      },
    },
    reporter.mode === 'tty',
  );
  controls.start();

  const defaults = safeSystemDefaults();
  const mode = capture.capture ? 'packets' : 'inferred';
  reportConnected(reporter, 'connected', 1, socket, settings.keepalive, held, defaults, { mode, reason: capture.reason });
  reporter.line(`connected ${describeConnection(socket)}`);
  for (const line of settingsTable(settings.keepalive, held, defaults)) reporter.line(line);
  reporter.line(`  ${captureLine(mode, capture.reason)}`);
  if (reporter.mode === 'tty') reporter.line('  keys: p = send a probe now, q = quit');

  monitor.start();
  watcher.begin();
  const durationTimer =
    settings.durationMs === null
      ? null
      : setTimeout(() => {
          monitor.tick();
          watcher.stop('stopped');
        }, settings.durationMs);

  const outcome = await new Promise<Outcome>((resolveOutcome) => watcher.onEnd(resolveOutcome));
  if (durationTimer) clearTimeout(durationTimer);
  controls.dispose();
  monitor.stop();
  if (signal) {
    throw new CliError(`interrupted (${signal}); the connection was closed`, exitCodeForSignal(signal), signal);
  }
  return outcome.exitCode;
}
