// The live view's engine. It does work when something is due, not on a
// fast tick: a connection's next keepalive probe (from its settings,
// TCP_INFO and the kernel's timer), a packet or an event of the socket, and
// one slow look at everything for the status. The slow look reads the
// kernel's socket table for the watched ports once (sock_diag, filtered by
// port in the kernel, like `ss`), so other sockets on the host cost nothing
// here; a due look reads only the connections that are due.
import { diagnostics, SocketTable } from '../diagnostics';
import type { PacketCapture } from './capture';
import type { Reporter } from './output';
import { FlowAnalyzer, segmentFlowKey } from './segments';
import { statusText } from './watch-view';
import type { ConnectionWatcher, ProbeTrigger } from './watcher';

// Every connection is looked at this often, and --json status events follow it.
export const SLOW_LOOK_MS = 1000;
// The status line of a terminal is redrawn this often (from what is known;
// nothing is read for it).
const REDRAW_MS = 250;
// Looks falling due closer together than this are taken in one wake.
const MIN_WAKE_GAP_MS = 20;
// A look asked for by an event (data, FIN, the end of a probe on demand) waits this long for others.
const SOON_MS = 20;
// Flows seen on the wire but never claimed by a connection are forgotten.
const UNCLAIMED_FLOW_TTL_MS = 30_000;

export class Monitor {
  private readonly watchers = new Set<ConnectionWatcher>();
  private readonly byFlow = new Map<string, ConnectionWatcher>();
  private readonly analyzers = new Map<string, FlowAnalyzer>();
  private readonly schedule = new Schedule();
  private capture: PacketCapture | null;
  private table: SocketTable | null = null;
  private nextSlowLookAt = 0;
  /** What each connection's record showed at the last read of the table. */
  private readonly fingerprints = new WeakMap<ConnectionWatcher, number>();
  private redraw: NodeJS.Timeout | null = null;

  constructor(
    private readonly reporter: Reporter,
    capture: PacketCapture | null,
    /** Text before the connections' status (listen: what is listening). */
    private readonly statusHeader: () => string | null = () => null,
  ) {
    this.capture = capture;
  }

  get connections(): readonly ConnectionWatcher[] {
    return [...this.watchers];
  }

  add(watcher: ConnectionWatcher): void {
    this.watchers.add(watcher);
    this.byFlow.set(watcher.flowKey, watcher);
    watcher.attach({ flushPackets: () => this.readPackets(), lookSoon: () => this.schedule.at(Date.now() + SOON_MS, () => this.wake()) });
    watcher.onEnd(() => {
      this.watchers.delete(watcher);
      this.byFlow.delete(watcher.flowKey);
      this.analyzers.delete(watcher.flowKey);
    });
    this.schedule.at(Date.now(), () => this.wake());
  }

  start(): void {
    if (!this.table && diagnostics.socketTable) {
      try {
        this.table = SocketTable.open();
      } catch {
        this.table = null; // TCP_INFO per connection instead
      }
    }
    this.schedule.at(Date.now(), () => this.wake());
    if (this.reporter.mode === 'tty') this.redraw ??= setInterval(() => this.drawStatus(Date.now()), REDRAW_MS);
  }

  /** Stops looking and closes the capture; the watchers are left as they are. */
  stop(): void {
    this.schedule.cancel();
    if (this.redraw) clearInterval(this.redraw);
    this.redraw = null;
    this.capture?.close();
    this.capture = null;
    this.table?.close();
    this.table = null;
    this.reporter.endStatus();
  }

  probeAll(trigger: ProbeTrigger): void {
    for (const watcher of this.watchers) void watcher.requestProbe(trigger);
  }

  /** One look at everything now (also before the end is reported). */
  tick(): void {
    this.nextSlowLookAt = 0;
    this.wake();
  }

  private wake(): void {
    const now = Date.now();
    this.readPackets();
    if (now >= this.nextSlowLookAt) {
      this.nextSlowLookAt = now + SLOW_LOOK_MS;
      this.pruneFlows(now);
      this.lookAtAll(now);
    } else {
      for (const watcher of this.watchers) if (watcher.dueAt() <= now) watcher.look(now);
    }
    let next = this.nextSlowLookAt;
    for (const watcher of this.watchers) next = Math.min(next, watcher.dueAt());
    if (this.watchers.size > 0 || this.capture) this.schedule.at(Math.max(next, now + MIN_WAKE_GAP_MS), () => this.wake());
  }

  /**
   * Every watcher, from one read of the kernel's table per watched port
   * where there is one; a connection whose record shows no change since
   * the last read is not decoded again.
   */
  private lookAtAll(now: number): void {
    const watchers = [...this.watchers];
    const byPort = new Map<number, ConnectionWatcher[]>();
    for (const watcher of watchers) {
      if (watcher.inode === null) continue;
      const port = watcher.socket.localPort ?? 0;
      const group = byPort.get(port);
      if (group) group.push(watcher);
      else byPort.set(port, [watcher]);
    }
    const looked = new Set<ConnectionWatcher>();
    try {
      for (const [port, group] of this.table ? byPort : []) {
        const readAt = Date.now();
        const table = this.table!;
        const indexes = table.find({ localPort: port }, new Set(group.map((watcher) => watcher.inode!)));
        for (const watcher of group) {
          const index = indexes.get(watcher.inode!);
          if (index === undefined) continue;
          looked.add(watcher);
          const timer = table.timerOf(index, readAt);
          const fingerprint = table.fingerprint(index);
          if (this.fingerprints.get(watcher) === fingerprint) {
            watcher.look(now, 'unchanged', timer);
          } else {
            this.fingerprints.set(watcher, fingerprint);
            watcher.look(now, { info: table.record(index).info, at: readAt }, timer);
          }
        }
      }
    } catch {
      this.table?.close();
      this.table = null; // TCP_INFO per connection from now on
    }
    for (const watcher of watchers) if (!looked.has(watcher)) watcher.look(now);
  }

  private readPackets(): void {
    if (!this.capture) return;
    let segments;
    try {
      segments = this.capture.read();
    } catch (error) {
      // ENETDOWN is reported once when an interface goes away; carry on.
      if ((error as NodeJS.ErrnoException).code === 'ENETDOWN') return;
      this.reporter.note(`packet capture stopped: ${(error as Error).message}; inferring from TCP_INFO from now on`);
      this.capture.close();
      this.capture = null;
      return;
    }
    for (const segment of segments) {
      const key = segmentFlowKey(segment);
      let analyzer = this.analyzers.get(key);
      if (!analyzer) {
        analyzer = new FlowAnalyzer();
        this.analyzers.set(key, analyzer);
      }
      const label = analyzer.classify(segment);
      this.byFlow.get(key)?.onSegment(segment, label);
    }
  }

  /** Forgets flows seen on the wire that no connection claims (on the slow look: there may be many). */
  private pruneFlows(now: number): void {
    for (const [key, analyzer] of this.analyzers) {
      if (!this.byFlow.has(key) && now - analyzer.lastSeenMs > UNCLAIMED_FLOW_TTL_MS) this.analyzers.delete(key);
    }
  }

  private drawStatus(now: number): void {
    if (this.reporter.mode !== 'tty') return;
    const parts: string[] = [];
    const header = this.statusHeader();
    if (header) parts.push(header);
    const watchers = [...this.watchers];
    for (const watcher of watchers.slice(0, 3)) {
      const text = statusText(watcher.view(), now);
      parts.push(watchers.length > 1 || header ? `#${watcher.id} ${text}` : text);
    }
    if (watchers.length > 3) parts.push(`+${watchers.length - 3} more`);
    parts.push('[p] probe  [q] quit');
    this.reporter.status(parts.join('  ||  '));
  }
}

/** One timer for the earliest wake asked for. */
class Schedule {
  private timer: NodeJS.Timeout | null = null;
  private when = Infinity;

  at(when: number, run: () => void): void {
    if (this.timer && this.when <= when) return;
    this.cancel();
    this.when = when;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.when = Infinity;
      run();
    }, Math.max(0, when - Date.now()));
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.when = Infinity;
  }
}

export interface ControlHandlers {
  probe(trigger: ProbeTrigger): void;
  quit(signal: NodeJS.Signals): void;
}

/**
 * Ctrl-C and SIGTERM end the command; on a terminal, `p` sends a probe and
 * `q` quits; SIGUSR2 sends a probe (for scripts). A parent may also set
 * TCP_KEEPALIVE_LIFELINE=1 so that this process ends when its stdin closes
 * (the demo does, so that no child can outlive it).
 */
export class Controls {
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly handlers: ControlHandlers,
    private readonly keys: boolean,
  ) {}

  start(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const onSignal = (): void => this.handlers.quit(signal);
      process.on(signal, onSignal);
      this.disposers.push(() => process.removeListener(signal, onSignal));
    }
    if (process.platform !== 'win32') {
      const onProbeSignal = (): void => this.handlers.probe('signal');
      process.on('SIGUSR2', onProbeSignal);
      this.disposers.push(() => process.removeListener('SIGUSR2', onProbeSignal));
    }
    const stdin = process.stdin;
    if (this.keys && stdin.isTTY) {
      stdin.setRawMode(true);
      const onKey = (data: Buffer): void => {
        const key = data.toString('utf8');
        if (key === 'p' || key === 'P') this.handlers.probe('key');
        // Raw mode turns Ctrl-C into a byte instead of SIGINT.
        else if (key === 'q' || key === 'Q' || key === '\u0003') this.handlers.quit('SIGINT');
      };
      stdin.on('data', onKey);
      stdin.resume();
      this.disposers.push(() => {
        stdin.removeListener('data', onKey);
        stdin.setRawMode(false);
        stdin.pause();
      });
    } else if (process.env.TCP_KEEPALIVE_LIFELINE === '1') {
      const onEnd = (): void => this.handlers.quit('SIGTERM');
      stdin.on('end', onEnd);
      stdin.on('error', onEnd);
      stdin.resume();
      this.disposers.push(() => {
        stdin.removeListener('end', onEnd);
        stdin.pause();
      });
    }
  }

  dispose(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}
