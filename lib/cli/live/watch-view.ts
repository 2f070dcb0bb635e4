// What the live view prints for one connection, as pure functions: the
// ledger's events as lines and JSON fields, and the connection's status
// (state, countdown to the next probe, unanswered probes, last ACK).
import type { KeepaliveState } from '../../diagnostics';
import { formatCountdown, formatElapsed } from '../terminal/format';
import { nextProbeAt, unansweredNow, type ConnectionView } from './connection-view';
import type { LedgerEvent } from './ledger';
import { describeFlags, type Segment, type SegmentLabel } from './wire/segments';

export interface Output {
  /** The event's name; null: a line for people only (no JSON). */
  readonly name: string | null;
  readonly fields: Record<string, unknown>;
  /** null: JSON only. */
  readonly text: string | null;
  readonly at: number;
}

function limitText(settings: KeepaliveState): string {
  const userTimeout = settings.userTimeout ?? 0;
  if (userTimeout > 0) return ` (dropped at the user timeout, ${formatElapsed(userTimeout)} after the last ACK)`;
  return settings.count !== null ? `/${settings.count}` : '';
}

export function ledgerOutput(event: LedgerEvent, settings: KeepaliveState): Output {
  const { at } = event;
  if (event.kind === 'note') return { name: null, fields: {}, text: event.text, at };
  if (event.kind === 'peer-probe') return { name: 'peer-probe', fields: { source: event.source }, text: event.text, at };
  if (event.kind === 'answer') {
    const detail = event.answer === 'RST' ? 'the peer answered the probe with a reset' : event.rttMs !== null ? `answered in ${formatElapsed(event.rttMs)}` : 'probe answered';
    const fields = { kind: event.answer, rttMs: event.rttMs, answeredProbes: event.answeredProbes, source: event.source };
    return { name: 'answer', fields, text: `${event.text}  ${detail}`, at };
  }
  const { probe, unanswered, source, onDemand, seq, note } = event;
  // Two counts: unanswered since the last answer (what drops the connection), and all probes so far.
  const parts = [`unanswered in a row: ${unanswered}${limitText(settings)}`, `probes sent so far: ${probe}`];
  if (onDemand) parts.push('sent on demand');
  if (note) parts.push(note);
  const fields = { probe, unanswered, source, onDemand, ...(seq !== undefined ? { seq } : {}), ...(note ? { note } : {}) };
  return { name: 'probe', fields, text: `${event.text ?? '-> keepalive probe'}  ${parts.join(', ')}`, at };
}

/** The JSON-only 'packet' event of a captured segment (the text view shows what it meant). */
export function packetFields(segment: Segment, label: SegmentLabel, outgoing: boolean): Record<string, unknown> {
  return { direction: outgoing ? 'out' : 'in', label, seq: segment.seq, ack: segment.ack, length: segment.payloadLength, window: segment.window, flags: describeFlags(segment.flags) };
}

export function statusFields(view: ConnectionView, now: number): Record<string, unknown> {
  const next = nextProbeAt(view);
  const unacked = view.sample?.info.unacked ?? 0;
  return {
    state: view.state,
    keepalive: view.settings.enable,
    nextProbeInMs: next === null ? null : Math.max(0, Math.round(next - now)),
    unanswered: unansweredNow(view),
    count: view.settings.count,
    lastAckAgoMs: Math.round(now - view.ledger.lastAckAt),
    ...(unacked > 0 ? { suspended: 'unacknowledged data: retransmission governs, not keepalive' } : {}),
  };
}

export function statusText(view: ConnectionView, now: number): string {
  const fields = statusFields(view, now);
  const { settings } = view;
  const parts = [String(fields.state)];
  if (!settings.enable) parts.push('keepalive off');
  else if (fields.suspended) parts.push('keepalive suspended: data unacknowledged');
  else if (fields.nextProbeInMs !== null) parts.push(`next probe in ${formatCountdown(fields.nextProbeInMs as number)}`);
  if (settings.enable) parts.push(`unanswered ${fields.unanswered}${settings.count !== null ? `/${settings.count}` : ''}`);
  parts.push(`last ACK ${formatElapsed(fields.lastAckAgoMs as number)} ago`);
  return parts.join(' | ');
}

/** A connection as the status line shows it. */
export interface StatusEntry {
  readonly id: number | string;
  view(): ConnectionView;
}

/** The terminal's status line: the header, the first three connections, and the keys. */
export function statusLine(header: string | null, connections: readonly StatusEntry[], now: number): string {
  const parts: string[] = [];
  if (header) parts.push(header);
  for (const connection of connections.slice(0, 3)) {
    const text = statusText(connection.view(), now);
    parts.push(connections.length > 1 || header ? `#${connection.id} ${text}` : text);
  }
  if (connections.length > 3) parts.push(`+${connections.length - 3} more`);
  parts.push('[p] probe  [q] quit');
  return parts.join('  ||  ');
}
