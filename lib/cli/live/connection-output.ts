// What one watched connection prints: each event as a line for people (after
// the connection's prefix) and as a JSON event (with its id).
import type { KeepaliveState, TcpStateName } from '../../diagnostics';
import type { ConnectionView } from './connection-view';
import { endFields, type Outcome, type WatchedFacts } from './ending';
import { plural } from '../terminal/format';
import type { LedgerEvent } from './ledger';
import type { Reporter } from '../terminal/output';
import { ledgerOutput, packetFields, statusFields } from './watch-view';
import type { Segment, SegmentLabel } from './wire/segments';

// Emitted at most this often per connection in --json mode.
export const STATUS_EVERY_MS = 1000;

// Segments reported as 'packet' events; data and its ACKs would flood the
// output of a busy connection, and show up as 'data' events instead.
const REPORTED_LABELS = new Set<SegmentLabel>(['TCP Keep-Alive', 'TCP Keep-Alive ACK', 'RST', 'FIN', 'SYN', 'SYN-ACK']);

export class ConnectionOutput {
  private lastStatusAt = 0;
  /** The time of the latest event printed. */
  private lastAt = 0;

  constructor(
    private readonly reporter: Reporter,
    private readonly id: number | string,
    /** Put before each text line ('' for a single connection). */
    private readonly prefix: string,
  ) {}

  data(bytes: number): void {
    this.emit('data', { bytes }, `<- ${plural(bytes, 'byte')} of data (keepalive timer restarts)`);
  }

  fin(): void {
    this.emit('fin', {}, '<- FIN: the peer closed the connection');
  }

  state(from: TcpStateName, to: TcpStateName, at: number): void {
    this.emit('state', { from, to }, `state ${from} -> ${to}`, at);
  }

  /** A captured segment, JSON only; only the kinds that matter to keepalive. */
  packet(segment: Segment, label: SegmentLabel, outgoing: boolean): void {
    if (REPORTED_LABELS.has(label)) this.emit('packet', packetFields(segment, label, outgoing), null, segment.timeMs);
  }

  /** The probe ledger's events: probes, answers, notes. */
  ledger(events: readonly LedgerEvent[], settings: KeepaliveState): void {
    for (const event of events) {
      const output = ledgerOutput(event, settings);
      if (output.name === null) this.reporter.note(`${this.prefix}${output.text}`, output.at);
      else this.emit(output.name, output.fields, output.text, output.at);
    }
  }

  probeRequest(fields: Record<string, unknown>, text: string | null): void {
    this.emit('probe-request', fields, text);
  }

  /**
   * In --json mode, the connection's status, at most every STATUS_EVERY_MS.
   * `flushPackets` hands over the segments captured so far: those captured
   * before the status's moment come out before it.
   */
  status(now: number, connection: { view(): ConnectionView }, flushPackets?: () => void): void {
    if (!this.reporter.json || now - this.lastStatusAt < STATUS_EVERY_MS) return;
    this.lastStatusAt = now;
    // As of this moment, not of the wake (`now`): TCP_INFO and the timer were
    // read after the wake, and a countdown from it would be longer than the
    // timer the kernel armed by however late this process ran. The moment is
    // taken before the capture is read, so that every segment stamped earlier
    // is in the capture's buffer by then (a slow look under load made a status
    // come out before a probe sent just before it).
    const at = Math.max(Date.now(), this.lastAt);
    flushPackets?.();
    this.emit('status', statusFields(connection.view(), at), null, Math.max(at, this.lastAt));
  }

  end(outcome: Outcome, facts: WatchedFacts): void {
    // Last, also in time (see emit): the FIN sent while closing may carry a
    // later capture time within the same millisecond.
    this.emit('end', endFields(outcome, facts), `connection ended: ${outcome.message}`, Math.max(facts.now, this.lastAt));
  }

  /** `at` not given: now, and not before the latest event (Date.now() has whole milliseconds, a capture time microseconds). */
  private emit(event: string, fields: Record<string, unknown>, text: string | null, given?: number): void {
    const at = given ?? Math.max(Date.now(), this.lastAt);
    this.lastAt = Math.max(this.lastAt, at);
    this.reporter.event(event, { id: this.id, ...fields }, text === null ? null : `${this.prefix}${text}`, at);
  }
}
