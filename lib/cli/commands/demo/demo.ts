// lib/cli/commands/demo/: the `demo` command and its two namespaced test hosts (testhosts.ts, also used by the tests).
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive demo` (`npm run demo`): why keepalive matters, shown live.
//
// As root: two namespaced test hosts; the client holds two connections to
// the peer, one with keepalive (1 s / 1 s / 3) and one without; the peer
// goes silent; the first connection fails with ETIMEDOUT about 4 s after the
// last ACK while the second still claims ESTABLISHED (half-open). The
// connections are this command's own `connect` running inside the client's
// namespace (with --json), the peer its own `listen`.
//
// Without root: the loopback version (defaults, set, read back, probes
// answered) and a line saying what root adds.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { getKeepalive, setKeepalive } from '../../../index';
import { captureLine, safeSystemDefaults } from '../announce';
import { parseArgs } from '../../terminal/args';
import { JsonLinesChild } from '../../terminal/children';
import { flowFilter, tryCapture } from '../../live/wire/capture';
import { settingsTable } from '../describe';
import { CliError, ExitCode, usageError } from '../../terminal/exit';
import { formatElapsed, formatSetting } from '../../terminal/format';
import { DEMO_HELP } from '../../terminal/help';
import { Monitor } from '../../live/monitor';
import { diagnostics, systemDefaultsIn } from '../../../diagnostics';
import { Reporter } from '../../terminal/output';
import { createHostPair, leftoverNamespaces, namespaceSupport, type HostPair } from './testhosts';
import { ConnectionWatcher, describeConnection } from '../../live/watcher';
import { interruptible, SignalGate } from '../../terminal/signals';
import { commandLine } from '../../terminal/invocation';

const execFileAsync = promisify(execFile);
const CLI = path.join(__dirname, '..', '..', 'main.js');
const PEER_PORT = 7000;
const DEMO_KEEPALIVE = { idle: 1000, interval: 1000, count: 3 };
const REMOVED = "; the demo's namespaces and processes were removed";
const NAMESPACED_SHOWS =
  'two namespaced test hosts and silences the peer: the connection with keepalive fails with ETIMEDOUT in about 4 s, while the one without stays ESTABLISHED (half-open)';

/** The last line of the loopback version: what the namespaced one adds, and how to get it from here. */
function namespacedHint(failure: string | null): string {
  const support = namespaceSupport();
  if (support.ok && failure === null) return `Without --loopback, the demo also runs ${NAMESPACED_SHOWS}.`;
  if (!support.ok && diagnostics.perNamespace && process.getuid?.() !== 0) {
    return `As root, the demo also runs ${NAMESPACED_SHOWS}. Run it with: sudo ${commandLine('demo')}`;
  }
  return `The namespaced version (${NAMESPACED_SHOWS}) cannot run here: ${support.ok ? failure : support.reason}.`;
}

type ChildEvent = Record<string, unknown> & { event: string; time: string };

/** A `tcp-keepalive ... --json` child of the demo, named in its lines. */
class DemoChild extends JsonLinesChild {
  /** The first event that matches (already seen or to come); a demo failure after `timeoutMs`. */
  async event(what: string, match: (e: ChildEvent) => boolean, timeoutMs: number): Promise<ChildEvent> {
    try {
      return (await this.waitFor((m) => match(m as ChildEvent), timeoutMs, what)) as ChildEvent;
    } catch (error) {
      const detail = this.stderr.trim().split('\n').pop() ?? '';
      const why = (error as Error).message.split('\n')[0]!;
      throw new CliError(`demo failed: ${why}${detail ? `: ${detail}` : ''}`, ExitCode.INTERNAL, 'DEMO');
    }
  }

  lastStatus(): ChildEvent | undefined {
    return [...this.messages].reverse().find((event) => event.event === 'status') as ChildEvent | undefined;
  }
}

async function namespacedDemo(reporter: Reporter, pair: HostPair): Promise<number> {
  const step = (name: string, text: string, fields: Record<string, unknown> = {}): void =>
    reporter.event('step', { step: name, message: text, ...fields }, text);

  reporter.line('tcp-keepalive demo: a peer goes silent; keepalive notices, a connection without it never does.');
  const hosts = pair;
  const cleanup = (): void => hosts.destroy();
  const work = async (): Promise<number> => {
    const { client, peer } = hosts;
    if (hosts.swept.length > 0) {
      step('sweep', `removed what a demo killed earlier left behind (its process is gone): ${hosts.swept.join(', ')}`, { removed: hosts.swept });
    }
    step(
      'hosts',
      `test hosts: client ${client.address} (namespace ${client.namespace}) and peer ${peer.address} (namespace ${peer.namespace}), joined by a veth pair`,
      { client, peer },
    );
    const defaults = systemDefaultsIn(`/run/netns/${client.namespace}`);
    if (defaults) {
      step(
        'defaults',
        `system defaults in the test hosts: idle ${formatSetting(defaults.idle)}, interval ${formatSetting(defaults.interval)}, count ${defaults.count}: left at those, a dead peer goes unnoticed for ${formatElapsed(defaults.idle + defaults.interval * defaults.count)}`,
        { defaults },
      );
    }
    // The children end when this process does, even if it is killed outright.
    const env: NodeJS.ProcessEnv = { ...process.env, TCP_KEEPALIVE_LIFELINE: '1' };
    delete env.NODE_OPTIONS;
    const startChild = (name: string, host: typeof client, args: string[]): DemoChild =>
      new DemoChild(hosts.spawn(host, process.execPath, [CLI, ...args, '--json'], env), name, (event) => forward(name, event as ChildEvent));

    // Events from the connections, shown as they come.
    const label: Record<string, string> = {};
    const forward = (childName: string, event: ChildEvent): void => {
      const at = Date.parse(event.time);
      const name = label[childName] ?? childName;
      const { event: kind, time: _time, elapsedMs: _elapsed, ...fields } = event;
      let text: string | null = null;
      if (kind === 'probe') {
        const how = event.source === 'capture' ? 'TCP Keep-Alive' : 'keepalive probe (inferred from TCP_INFO)';
        text = `${name}  -> ${how}, unanswered ${event.unanswered}/${DEMO_KEEPALIVE.count}${event.note ? ` (${event.note})` : ''}`;
      } else if (kind === 'answer') {
        const how = event.kind === 'RST' ? 'RST' : event.source === 'capture' ? 'TCP Keep-Alive ACK' : 'ACK (inferred)';
        text = `${name}  <- ${how}${typeof event.rttMs === 'number' ? `, answered in ${formatElapsed(event.rttMs)}` : ''}`;
      } else if (kind === 'end' && childName === 'peer') {
        // The client's kernel resets a connection it gives up on; the peer,
        // which still hears, learns of it that way.
        const why = event.reason === 'ECONNRESET' ? ' (a client gave up on it and reset it)' : '';
        text = `${name}  one of its connections ended: ${String(event.message)}${why}`;
      } else if (kind === 'end') {
        text = `${name}  connection ended: ${String(event.message)}`;
      } else if (kind === 'state') {
        text = `${name}  state ${String(event.from)} -> ${String(event.to)}`;
      }
      if (kind === 'status' || kind === 'packet') text = null;
      reporter.event(kind, { connection: childName, ...fields }, text, Number.isNaN(at) ? Date.now() : at);
    };

    const server = startChild('peer', peer, ['listen', `${peer.address}:${PEER_PORT}`, '--no-keepalive']);
    label.peer = 'peer'.padEnd(16);
    await server.event('listening event', (e) => e.event === 'listening', 10_000);
    step('peer', `peer: listening on ${peer.address}:${PEER_PORT} (keepalive left off; it just holds the connections)`);

    label.A = 'A (keepalive)'.padEnd(16);
    label.B = 'B (no keepalive)';
    const target = `${peer.address}:${PEER_PORT}`;
    const withKeepalive = startChild('A', client, ['connect', target, '-d', '1', '-i', '1', '-c', '3']);
    const withoutKeepalive = startChild('B', client, ['connect', target, '--no-keepalive']);
    const connectedA = await withKeepalive.event('connected event', (e) => e.event === 'connected', 10_000);
    const connectedB = await withoutKeepalive.event('connected event', (e) => e.event === 'connected', 10_000);
    const heldA = connectedA.keepalive as { idle: number; interval: number; count: number };
    const capture = connectedA.capture as { mode: string; reason: string | null };
    step(
      'connected',
      `${label.A}  connected; the kernel holds idle ${formatSetting(heldA.idle)}, interval ${formatSetting(heldA.interval)}, count ${heldA.count}: a silent peer is noticed within ${formatElapsed(heldA.idle + heldA.interval * heldA.count)}`,
      { keepalive: connectedA.keepalive },
    );
    step('connected', `${label.B}  connected; keepalive off`, { keepalive: connectedB.keepalive });
    step('capture', captureLine(capture.mode === 'packets' ? 'packets' : 'inferred', capture.reason), { capture });

    await withKeepalive.event('answered probe', (e) => e.event === 'answer' && e.kind === 'ACK', 10_000);
    await hosts.silencePeer();
    const silencedAt = Date.now();
    step('silence', `the peer goes silent: a blackhole route in its namespace drops everything it sends to the client (its sockets live on)`);

    const end = await withKeepalive.event('end of the connection', (e) => e.event === 'end', 15_000);
    const endedAt = Date.parse(end.time);
    // B: give it a moment to show that nothing happens, then look at it from
    // outside, as an operator would, with `inspect`.
    await sleep(1000);
    const bStatus = withoutKeepalive.lastStatus();
    const bPid = Number(connectedB.pid);
    let bState = String(bStatus?.state ?? 'unknown');
    let inspected: Record<string, unknown> | null = null;
    try {
      const { stdout } = await execFileAsync(process.execPath, [CLI, 'inspect', String(bPid), '--json'], { env, timeout: 10_000 });
      inspected =
        stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((event) => event.event === 'socket' && event.state !== 'LISTEN') ?? null;
      if (inspected) bState = String(inspected.state);
    } catch {
      // inspect is a bonus here; B's own status stands
    }
    const inspectText = inspected
      ? `, and \`tcp-keepalive inspect ${bPid}\` agrees: ${String(inspected.state)}, keepalive ${(inspected.keepalive as { enable: boolean }).enable ? 'on' : 'off'}`
      : '';
    step('half-open', `${label.B}  still claims ${bState} ${formatElapsed(Date.now() - silencedAt)} after the peer went silent${inspectText}`, {
      state: bState,
      inspected,
    });

    const detectedIn = endedAt - silencedAt;
    reporter.event(
      'result',
      {
        keepalive: { reason: end.reason, message: end.message, sinceLastAckMs: end.sinceLastAckMs, afterSilenceMs: detectedIn },
        noKeepalive: { state: bState },
      },
      null,
    );
    reporter.line('');
    reporter.line('What happened:');
    reporter.line(`  A (keepalive 1 s / 1 s / 3): ${String(end.message)}; ${formatElapsed(detectedIn)} after the peer went silent.`);
    reporter.line(`  B (no keepalive): still ${bState}. It is half-open: it would wait for ever, and a write would only fail after ~15 min of retransmissions.`);
    reporter.line('  Keepalive is how an idle connection learns that its peer is gone (host down, cable pulled, NAT mapping dropped).');
    return ExitCode.OK;
  };
  try {
    return await interruptible(work, REMOVED, cleanup);
  } finally {
    cleanup();
    const left = leftoverNamespaces();
    if (left.length > 0) {
      reporter.event('cleanup', { ok: false, left }, `cleanup incomplete: namespaces still present: ${left.join(', ')}`);
    } else {
      reporter.event('cleanup', { ok: true }, 'cleaned up: test hosts removed, their processes ended');
    }
  }
}

async function loopbackDemo(reporter: Reporter, why: string, failure: string | null = null): Promise<number> {
  reporter.event('demo', { mode: 'loopback', reason: why }, null);
  reporter.line(`tcp-keepalive demo, loopback version (${why}).`);
  const defaults = safeSystemDefaults();
  if (defaults) {
    reporter.line(`system defaults: idle ${formatSetting(defaults.idle)}, interval ${formatSetting(defaults.interval)}, count ${defaults.count} (${defaults.source})`);
  }
  const server = net.createServer();
  const sockets = new Set<net.Socket>();
  let monitor: Monitor | null = null;
  let watcher: ConnectionWatcher | null = null;
  const cleanup = (): void => {
    watcher?.stop('stopped');
    monitor?.stop();
    for (const socket of sockets) socket.destroy();
    server.close();
  };
  const work = async (): Promise<ConnectionWatcher> => {
    server.on('connection', (peer) => sockets.add(peer));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    const { capture, reason } = tryCapture(flowFilter('127.0.0.1', 0, '127.0.0.1', port));
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    sockets.add(socket);
    capture?.setFlow(flowFilter(socket.localAddress ?? '', socket.localPort ?? 0, '127.0.0.1', port));
    const held = setKeepalive(socket, DEMO_KEEPALIVE) ?? getKeepalive(socket);
    reporter.event(
      'connected',
      { local: { address: socket.localAddress, port: socket.localPort }, remote: { address: '127.0.0.1', port }, asked: DEMO_KEEPALIVE, keepalive: held, defaults },
      null,
    );
    reporter.line(`connected ${describeConnection(socket)}, keepalive set and read back:`);
    for (const line of settingsTable(DEMO_KEEPALIVE, held, defaults)) reporter.line(line);
    reporter.line(`  ${captureLine(capture ? 'packets' : 'inferred', reason)}`);

    monitor = new Monitor(reporter, capture);
    const watching = new ConnectionWatcher(socket, { id: 'A', prefix: '', reporter, captured: capture !== null });
    watcher = watching;
    monitor.add(watching);
    monitor.start();
    for (const deadline = Date.now() + 6000; Date.now() < deadline && watching.probes.sent < 3; ) await sleep(100);
    await sleep(200);
    monitor.tick();
    return watching;
  };
  let watched: ConnectionWatcher;
  try {
    watched = await interruptible(work, '; the demo closed its connection', cleanup);
  } finally {
    cleanup();
  }
  const { sent, unanswered } = watched.probes;
  reporter.event('result', { probesSent: sent, unanswered }, null);
  reporter.line(`${sent} probes sent and answered: the peer is alive, so the connection stays up.`);
  reporter.line(namespacedHint(failure));
  return ExitCode.OK;
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  const args = parseArgs('demo', argv, [
    { name: 'json', value: false },
    { name: 'loopback', value: false },
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(DEMO_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}' for 'demo'`);
  const reporter = new Reporter(args.options.has('json'));
  if (args.options.has('loopback')) return loopbackDemo(reporter, 'asked for with --loopback');
  const support = namespaceSupport();
  if (!support.ok) return loopbackDemo(reporter, support.reason);
  // A signal while the hosts are being made waits for them, then removes them.
  const gate = new SignalGate(REMOVED);
  const creating = createHostPair();
  let hosts: HostPair;
  try {
    hosts = await gate.race(creating);
  } catch (error) {
    if (error instanceof CliError) {
      (await creating.catch(() => null))?.destroy();
      throw error;
    }
    const failure = `network namespaces unavailable: ${(error as Error).message}`;
    return loopbackDemo(reporter, failure, failure);
  } finally {
    gate.dispose();
  }
  reporter.event('demo', { mode: 'namespaces' }, null);
  return namespacedDemo(reporter, hosts);
}
