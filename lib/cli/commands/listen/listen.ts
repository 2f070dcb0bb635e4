// lib/cli/commands/listen/: the `listen` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive listen [HOST:]PORT`: a server that shows the defaults and
// the options of its listening socket (which accepted connections inherit),
// then each connection as it comes, is probed and ends.
import net from 'node:net';
import { getKeepalive, getTcpInfo, setKeepalive, type KeepaliveState } from '../../../index';
import { captureLine, reportConnected, safeSystemDefaults } from '../announce';
import { parseArgs, parseHostPort } from '../../terminal/args';
import { flowFilter, tryCapture } from '../../live/wire/capture';
import { settingsTable } from '../describe';
import { CliError, exitCodeForSignal, ExitCode, usageError } from '../../terminal/exit';
import { formatEndpoint, plural, unmapIPv4 } from '../../terminal/format';
import { LISTEN_HELP } from '../../terminal/help';
import { Controls, Monitor, type QuitReason } from '../../live/monitor';
import { Reporter } from '../../terminal/output';
import { parseWatchSettings, WATCH_OPTIONS } from '../settings';
import { parseVerdictOptions, reportVerdict, socketRecord, verdict, VERDICT_OPTIONS } from '../verdict';
import { ConnectionWatcher, describeConnection } from '../../live/watcher';
import { SignalGate } from '../../terminal/signals';

function listenFailure(error: NodeJS.ErrnoException, where: string): CliError {
  const code = error.code ?? 'ERROR';
  const why: Record<string, string> = {
    EADDRINUSE: 'the port is already in use',
    EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
    EADDRNOTAVAIL: 'that address does not belong to this host',
  };
  return new CliError(`cannot listen on ${where}: ${why[code] ?? error.message} (${code})`, ExitCode.LISTEN, code);
}

function listen(server: net.Server, host: string | null, port: number): Promise<void> {
  const where = host === null ? `port ${port}` : formatEndpoint(host, port);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(listenFailure(error, where));
    server.once('error', onError);
    server.listen(host === null ? { port } : { port, host }, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

/** What a listening address lets in, said plainly: a bare port is open to every host that can reach this one. */
export function describeBinding(address: string, port: number): { text: string; scope: 'all' | 'all-ipv4' | 'loopback' | 'address' } {
  if (address === '::') return { text: `*:${port} (all interfaces)`, scope: 'all' };
  if (address === '0.0.0.0') return { text: `0.0.0.0:${port} (all IPv4 interfaces)`, scope: 'all-ipv4' };
  if (net.isIP(address) && (address === '::1' || /^127\./.test(unmapIPv4(address)))) {
    return { text: `${formatEndpoint(address, port)} (loopback only)`, scope: 'loopback' };
  }
  return { text: formatEndpoint(address, port), scope: 'address' };
}

export async function runListen(argv: readonly string[]): Promise<number> {
  const args = parseArgs('listen', argv, [...WATCH_OPTIONS, ...VERDICT_OPTIONS]);
  if (args.options.has('help')) {
    process.stdout.write(LISTEN_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length !== 1) {
    throw usageError(
      args.positionals.length === 0
        ? "listen needs [HOST:]PORT (see 'tcp-keepalive listen --help')"
        : `unexpected argument '${args.positionals[1]}' for 'listen'`,
    );
  }
  const { host, port } = parseHostPort(args.positionals[0]!, true);
  const settings = parseWatchSettings(args);
  const verdictOptions = parseVerdictOptions(args);
  const reporter = new Reporter(settings.json);

  const server = net.createServer();
  const gate = new SignalGate();
  try {
    await gate.race(listen(server, host, port));
  } catch (error) {
    server.close();
    throw error;
  } finally {
    gate.dispose();
  }
  const address = server.address() as net.AddressInfo;

  let held: KeepaliveState;
  try {
    held = settings.keepalive ? (setKeepalive(server, settings.keepalive) ?? getKeepalive(server)) : getKeepalive(server);
  } catch (error) {
    server.close();
    throw new CliError(`cannot set keepalive on the listening socket: ${(error as Error).message}`, ExitCode.INTERNAL);
  }
  const defaults = safeSystemDefaults();
  // One capture for every connection to this port, opened before any
  // arrives, so that each handshake is seen.
  const { capture, reason } = tryCapture(flowFilter(address.address, address.port, '', 0));
  const mode = capture ? 'packets' : 'inferred';
  const binding = describeBinding(address.address, address.port);
  const monitor: Monitor<ConnectionWatcher> = new Monitor<ConnectionWatcher>(
    reporter,
    capture,
    (): string => `listening on ${binding.text}, ${plural(monitor.connections.length, 'connection')}`,
  );
  // Handlers first: a signal must never find the process without them.
  let finish: (why: QuitReason | 'duration') => void = () => undefined;
  const finished = new Promise<QuitReason | 'duration'>((resolve) => (finish = resolve));
  const controls = new Controls({ probe: (trigger) => monitor.probeAll(trigger), quit: (signal) => finish(signal) }, reporter.mode === 'tty');
  controls.start();

  reporter.event(
    'listening',
    { address: address.address, port: address.port, family: address.family, scope: binding.scope, asked: settings.keepalive, keepalive: held, defaults, capture: { mode, reason }, pid: process.pid },
    null,
  );
  reporter.line(`listening on ${binding.text} (pid ${process.pid})`);
  if (binding.scope === 'all' || binding.scope === 'all-ipv4') {
    reporter.line(`  other hosts can connect; for this host only: tcp-keepalive listen 127.0.0.1:${address.port}`);
  }
  reporter.line('the listening socket holds (accepted connections inherit it):');
  for (const line of settingsTable(settings.keepalive, held, defaults)) reporter.line(line);
  reporter.line(`  ${captureLine(mode, reason, { server: true, port: address.port })}`);
  if (reporter.mode === 'tty') reporter.line('  keys: p = send a probe on every connection now, q = quit');

  let accepted = 0;
  server.on('connection', (socket: net.Socket) => {
    const id = ++accepted;
    let watcher: ConnectionWatcher;
    try {
      watcher = new ConnectionWatcher(socket, {
        id,
        prefix: `#${id} `,
        reporter,
        captured: capture !== null,
        probeOnce: settings.probeOnce,
        probeEveryMs: settings.probeEveryMs,
      });
    } catch (error) {
      // Gone before it could be looked at (reset right after the handshake).
      reporter.note(`#${id} connection from ${formatEndpoint(socket.remoteAddress ?? '?', socket.remotePort ?? 0)} ended at once: ${(error as Error).message}`);
      socket.destroy();
      return;
    }
    // Added first, so that its handshake's packets come out before `connection`, in time order.
    monitor.add(watcher);
    monitor.readPackets();
    const keepalive = watcher.keepalive;
    reportConnected(reporter, 'connection', id, socket, null, keepalive, defaults, { mode, reason });
    const summary = keepalive.enable
      ? `keepalive on, idle ${keepalive.idle === null ? '?' : keepalive.idle / 1000} s, interval ${keepalive.interval === null ? '?' : keepalive.interval / 1000} s, count ${keepalive.count ?? '?'}${keepalive.userTimeout ? `, user timeout ${keepalive.userTimeout} ms` : ''}`
      : 'keepalive off';
    reporter.note(`#${id} connection ${describeConnection(socket)}: ${summary}`);
    watcher.begin();
  });
  server.on('error', (error) => reporter.note(`server error: ${error.message}`));

  monitor.start();
  const durationTimer = settings.durationMs === null ? null : setTimeout(() => finish('duration'), settings.durationMs);
  const signal = await finished;
  if (durationTimer) clearTimeout(durationTimer);
  controls.dispose();

  monitor.tick();
  const open = monitor.connections;
  const records = open.flatMap((watcher) => {
    const { socket } = watcher;
    try {
      const peer = socket.remoteAddress === undefined ? null : { address: socket.remoteAddress, port: socket.remotePort ?? 0 };
      return [socketRecord(`#${watcher.id}`, getTcpInfo(socket), getKeepalive(socket), peer)];
    } catch {
      return []; // closed meanwhile
    }
  });
  reportVerdict(reporter, verdict(records, verdictOptions), Date.now());
  // --duration and the q key are chosen ends: exit code 0.
  const chosen = signal === 'duration' || signal === 'key';
  for (const watcher of open) watcher.stop(chosen ? 'stopped' : 'interrupted');
  monitor.stop();
  server.close();
  if (chosen) return ExitCode.OK;
  throw new CliError(
    `interrupted (${signal}); stopped listening${open.length > 0 ? ` and closed ${plural(open.length, 'connection')}` : ''}`,
    exitCodeForSignal(signal),
    signal,
  );
}
