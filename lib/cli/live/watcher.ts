// Watches one connection until it ends: its TCP state, the countdown to the
// next keepalive probe, each probe and its answer, and how it ended.
//
// Two sources, handed over by the Monitor when something is due: TCP_INFO
// with the socket's timer (state, probes the kernel counts, time since the
// last ACK, segment counters) and, where the process may capture, the
// connection's packets. Without packets, probes and answers are inferred
// from TCP_INFO and every such event says so. This class follows the
// socket's life; what it knows is kept in observation.ts, the rules are in
// ledger.ts and ending.ts, and what it prints is in connection-output.ts.
import type net from 'node:net';
import { socketInode } from '../../diagnostics';
import type { KeepaliveState } from '../../diagnostics';
import { ConnectionOutput } from './connection-output';
import type { ConnectionView } from './connection-view';
import { EndTracker, watchedFacts, type Outcome } from './ending';
import { formatEndpoint, unmapIPv4 } from '../terminal/format';
import type { Sample, TimerReading } from './ledger';
import { Observation } from './observation';
import { OnDemandProber, type ProbeTrigger } from './on-demand';
import type { Reporter } from '../terminal/output';
import { nextLookAt } from './schedule';
import { endpointKey, flowKey, type Segment, type SegmentLabel } from './wire/segments';

export interface WatcherOptions {
  /** Connection id in events (1, 2, ... for listen; 'A' in the demo). */
  readonly id: number | string;
  /** Put before each text line ('' for a single connection). */
  readonly prefix: string;
  readonly reporter: Reporter;
  /** Packets are captured for this connection (otherwise inferred). */
  readonly captured: boolean;
  /** Send one probe on demand once the connection is idle long enough. */
  readonly probeOnce?: boolean;
  /** Send a probe on demand this often, ms. */
  readonly probeEveryMs?: number | null;
}

/** What the Monitor gives the watcher: how to hand over packets and to ask for a look. */
export interface WatcherHooks {
  flushPackets(): void;
  lookSoon(): void;
}

export class ConnectionWatcher {
  readonly id: number | string;
  readonly localKey: string;
  /** The same for both directions: how the Monitor hands over packets. */
  readonly flowKey: string;
  readonly inode: number | null;
  readonly startedAt = Date.now();

  private readonly output: ConnectionOutput;
  private readonly observed: Observation;
  private readonly end = new EndTracker();
  private readonly prober: OnDemandProber;
  private hooks: WatcherHooks | null = null;
  private due = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly options: WatcherOptions,
  ) {
    this.id = options.id;
    this.localKey = endpointKey(socket.localAddress ?? '', socket.localPort ?? 0);
    this.flowKey = flowKey(this.localKey, endpointKey(socket.remoteAddress ?? '', socket.remotePort ?? 0));
    this.inode = socketInode(socket);
    this.output = new ConnectionOutput(options.reporter, options.id, options.prefix);
    this.observed = new Observation(socket, this.output, options.captured, this.startedAt);
    this.prober = new OnDemandProber(options.probeEveryMs ?? null, this.startedAt);

    // Segments captured before an event of the socket came before it: printed first.
    socket.on('data', (chunk: Buffer) => {
      this.hooks?.flushPackets();
      this.output.data(chunk.length);
      this.hooks?.lookSoon();
    });
    socket.on('end', () => {
      this.hooks?.flushPackets();
      this.end.finReceived();
      this.output.fin();
      this.hooks?.lookSoon();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.end.failed(error));
    socket.on('close', () => this.finish());
  }

  /** Starts what the options ask for beyond watching (--probe), once the connection has been reported. */
  begin(): void {
    if (this.options.probeOnce) void this.requestProbe('flag');
  }

  get ended(): boolean {
    return this.end.outcome !== null;
  }

  get keepalive(): KeepaliveState {
    return this.observed.settings;
  }

  /** Probes this side sent, and how many are unanswered now. */
  get probes(): { sent: number; unanswered: number } {
    return this.observed.probes;
  }

  attach(hooks: WatcherHooks): void {
    this.hooks = hooks;
  }

  onEnd(listener: (outcome: Outcome) => void): void {
    this.end.onEnd(listener);
  }

  /** Ends the watch from this side (Ctrl-C, --duration): the connection is closed. */
  stop(reason: 'interrupted' | 'stopped'): void {
    if (this.ended) return;
    this.end.markStopped(reason);
    this.socket.destroy();
    this.finish();
  }

  /** One captured segment of this connection, already labelled. */
  onSegment(segment: Segment, label: SegmentLabel): void {
    if (this.ended) return;
    const outgoing = endpointKey(segment.srcAddress, segment.srcPort) === this.localKey;
    this.output.packet(segment, label, outgoing);
    if (this.observed.segment(segment, label, outgoing)) this.refreshDue(Date.now());
  }

  /**
   * A look at the connection: TCP_INFO from the kernel's table (`sample`;
   * 'unchanged' when the table shows nothing new since the last one) or,
   * when null, read from the socket now; the socket's timer if the table
   * was read.
   */
  look(now: number, sample: Sample | 'unchanged' | null = null, timer: TimerReading | null = null): void {
    if (this.ended) return;
    // Segments captured before this look happened before anything it prints.
    this.hooks?.flushPackets();
    if (!this.observed.look(now, sample, timer, this.hooks)) return;
    this.output.status(now, this.observed, () => this.hooks?.flushPackets());
    if (now >= this.prober.dueAt) void this.requestProbe('timer');
    this.refreshDue(now);
  }

  /** When this watcher next needs a look, ms since the epoch (Infinity: only when something happens). */
  dueAt(): number {
    return this.ended ? Infinity : this.due;
  }

  /** Sends one keepalive probe now (see on-demand.ts). */
  async requestProbe(trigger: ProbeTrigger): Promise<void> {
    if (this.ended) return;
    this.observed.settings = await this.prober.run(this.socket, this.observed.settings, trigger, {
      ended: () => this.ended,
      report: (fields, text) => this.output.probeRequest(fields, text),
      pending: (on) => this.observed.probePending(on),
    });
    this.refreshDue(Date.now());
    this.hooks?.lookSoon();
  }

  /** What the watcher knows, for the status (watch-view.ts). */
  view(): ConnectionView {
    return this.observed.view();
  }

  private refreshDue(now: number): void {
    this.due = nextLookAt(this.observed.view(), this.prober.dueAt, now);
  }

  private finish(): void {
    if (this.ended) return;
    this.hooks?.flushPackets();
    const facts = watchedFacts(this.observed.view(), this.startedAt, this.options.captured, Date.now());
    this.end.settle(facts, (outcome) => this.output.end(outcome, facts));
  }
}

/** "127.0.0.1:5000 -> 127.0.0.1:8080" as Node reports the socket. */
export function describeConnection(socket: net.Socket): string {
  const local = formatEndpoint(unmapIPv4(socket.localAddress ?? '?'), socket.localPort ?? 0);
  return `${local} -> ${formatEndpoint(unmapIPv4(socket.remoteAddress ?? '?'), socket.remotePort ?? 0)}`;
}
