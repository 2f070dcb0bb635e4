// The live view's engine: every tick it reads the capture (if any) and hands
// each connection its packets, reads /proc/net/tcp once for every timer,
// lets each watcher look at TCP_INFO, and redraws the status line.
import type { PacketCapture } from './capture';
import type { Reporter } from './output';
import { procNetAvailable, readProcTcp } from './procnet';
import { FlowAnalyzer, segmentFlowKey } from './segments';
import type { ConnectionWatcher, ProbeTrigger } from './watcher';

const TICK_MS = 100;
// Flows seen on the wire but never claimed by a connection are forgotten.
const UNCLAIMED_FLOW_TTL_MS = 30_000;

export class Monitor {
  private readonly watchers = new Set<ConnectionWatcher>();
  private readonly byFlow = new Map<string, ConnectionWatcher>();
  private readonly analyzers = new Map<string, FlowAnalyzer>();
  private timer: NodeJS.Timeout | null = null;
  private capture: PacketCapture | null;

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
    watcher.setPacketFlush(() => this.readPackets(Date.now()));
    watcher.onEnd(() => {
      this.watchers.delete(watcher);
      this.byFlow.delete(watcher.flowKey);
    });
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops ticking and closes the capture; the watchers are left as they are. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.capture?.close();
    this.capture = null;
    this.reporter.endStatus();
  }

  probeAll(trigger: ProbeTrigger): void {
    for (const watcher of this.watchers) void watcher.requestProbe(trigger);
  }

  /** One look at everything; also called once more before the end is reported. */
  tick(): void {
    const now = Date.now();
    this.readPackets(now);
    const procTable = procNetAvailable && this.watchers.size > 0 ? readProcTcp() : null;
    for (const watcher of [...this.watchers]) watcher.tick(now, procTable);
    this.drawStatus(now);
  }

  private readPackets(now: number): void {
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
      parts.push(watchers.length > 1 || header ? `#${watcher.id} ${watcher.statusText(now)}` : watcher.statusText(now));
    }
    if (watchers.length > 3) parts.push(`+${watchers.length - 3} more`);
    parts.push('[p] probe  [q] quit');
    this.reporter.status(parts.join('  ||  '));
  }
}

/** Why the user ended the command: a signal, or the q key (a chosen quit, exit code 0). */
export type QuitReason = NodeJS.Signals | 'key';

export interface ControlHandlers {
  probe(trigger: ProbeTrigger): void;
  quit(reason: QuitReason): void;
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
        else if (key === 'q' || key === 'Q') this.handlers.quit('key');
        else if (key === '\u0003') this.handlers.quit('SIGINT');
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
