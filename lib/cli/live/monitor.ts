// lib/cli/live/: the live view of watched connections (connect, listen,
// demo): the Monitor (when to look), a ConnectionWatcher per connection,
// what it knows (observation, connection-view) and the pure rules and text
// beside it (ledger, ending, watch-view, schedule, timers), probes on
// demand, and the wire/ it reads.
// May import: ../terminal/, ./wire/, ../../index.ts, ../../diagnostics;
// never ../commands/. A file lower in the chain never imports one above it
// (monitor -> watcher -> outputs -> connection-view -> ledger, timers).
//
// The live view's engine. It does work when something is due, not on a
// fast tick: a connection's next keepalive probe (from its settings,
// TCP_INFO and the kernel's timer), a packet or an event of the socket, and
// one slow look at everything for the status (slow-look.ts: one read of the
// kernel's socket table per watched port, so other sockets on the host cost
// nothing here); a due look reads only the connections that are due.
import os from 'node:os';
import type { PacketCapture } from './wire/capture';
import type { Reporter } from '../terminal/output';
import type { ProbeTrigger } from './on-demand';
import { PacketFeed, type FlowOwner } from './wire/packet-feed';
import { Schedule } from './schedule';
import { SlowLook, type LookedAt } from './slow-look';
import { statusLine, type StatusEntry } from './watch-view';

// Every connection is looked at this often, and --json status events follow it.
export const SLOW_LOOK_MS = 1000;
// The status line of a terminal is redrawn this often (from what is known;
// nothing is read for it).
const REDRAW_MS = 250;
// Looks falling due closer together than this are taken in one wake.
const MIN_WAKE_GAP_MS = 20;
// A look asked for by an event (data, FIN, the end of a probe on demand) waits this long for others.
const SOON_MS = 20;

/** A watched connection as the Monitor runs it (a ConnectionWatcher, watcher.ts). */
export interface WatchedConnection extends FlowOwner, LookedAt, StatusEntry {
  /** The same for both directions: how packets are handed over. */
  readonly flowKey: string;
  attach(hooks: { flushPackets(): void; lookSoon(): void }): void;
  onEnd(listener: () => void): void;
  /** When it next needs a look, ms since the epoch. */
  dueAt(): number;
  requestProbe(trigger: ProbeTrigger): Promise<void>;
}

export class Monitor<Watched extends WatchedConnection = WatchedConnection> {
  private readonly watchers = new Set<Watched>();
  private readonly byFlow = new Map<string, Watched>();
  private readonly schedule = new Schedule();
  private readonly packets: PacketFeed;
  private readonly slowLook = new SlowLook();
  private nextSlowLookAt = 0;
  private redraw: NodeJS.Timeout | null = null;

  constructor(
    private readonly reporter: Reporter,
    capture: PacketCapture | null,
    /** Text before the connections' status (listen: what is listening). */
    private readonly statusHeader: () => string | null = () => null,
  ) {
    this.packets = new PacketFeed(capture, (key) => this.byFlow.get(key), (text) => reporter.note(text));
  }

  get connections(): readonly Watched[] {
    return [...this.watchers];
  }

  add(watcher: Watched): void {
    this.watchers.add(watcher);
    this.byFlow.set(watcher.flowKey, watcher);
    watcher.attach({ flushPackets: () => this.packets.read(), lookSoon: () => this.schedule.at(Date.now() + SOON_MS, () => this.wake()) });
    watcher.onEnd(() => {
      this.watchers.delete(watcher);
      this.byFlow.delete(watcher.flowKey);
      this.packets.forget(watcher.flowKey);
    });
    this.schedule.at(Date.now(), () => this.wake());
  }

  start(): void {
    this.slowLook.open();
    this.schedule.at(Date.now(), () => this.wake());
    if (this.reporter.mode === 'tty') this.redraw ??= setInterval(() => this.drawStatus(Date.now()), REDRAW_MS);
  }

  /** Stops looking and closes the capture; the watchers are left as they are. */
  stop(): void {
    this.schedule.cancel();
    if (this.redraw) clearInterval(this.redraw);
    this.redraw = null;
    this.packets.close();
    this.slowLook.close();
    this.reporter.endStatus();
  }

  probeAll(trigger: ProbeTrigger): void {
    for (const watcher of this.watchers) void watcher.requestProbe(trigger);
  }

  /**
   * Hands over the packets captured so far: a connection's handshake, read
   * before the connection is announced, so that events come out in time order.
   */
  readPackets(): void {
    this.packets.read();
  }

  /** One look at everything now (also before the end is reported). */
  tick(): void {
    this.nextSlowLookAt = 0;
    this.wake();
  }

  private wake(): void {
    const now = Date.now();
    this.packets.read();
    if (now >= this.nextSlowLookAt) {
      this.nextSlowLookAt = now + SLOW_LOOK_MS;
      this.packets.prune(now);
      this.slowLook.lookAtAll([...this.watchers], now);
    } else {
      for (const watcher of this.watchers) if (watcher.dueAt() <= now) watcher.look(now);
    }
    let next = this.nextSlowLookAt;
    for (const watcher of this.watchers) next = Math.min(next, watcher.dueAt());
    if (this.watchers.size > 0 || this.packets.capturing) this.schedule.at(Math.max(next, now + MIN_WAKE_GAP_MS), () => this.wake());
  }

  private drawStatus(now: number): void {
    if (this.reporter.mode !== 'tty') return;
    this.reporter.status(statusLine(this.statusHeader(), [...this.watchers], now));
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
    // Where the OS has the signal (not Windows); Node lists the ones it has.
    if (os.constants.signals.SIGUSR2 !== undefined) {
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
