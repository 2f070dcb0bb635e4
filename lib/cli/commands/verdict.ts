// The verdict that ends `inspect` and `listen`: what the sockets of a process say about it,
// beyond the table. A pure function of plain records (no system calls), so that any way of
// gathering them (pidfd_getfd, sock_diag, the listen command's own sockets) can feed it.
//
// The story behind it: a server collects ESTABLISHED connections whose clients vanished
// (half-open: nothing ever tells it) and CLOSE_WAIT connections its own code never closed,
// until it runs out of descriptors or memory. Each finding names the sockets and what to do.
import { formatDuration } from '../../diagnostics';
import type { KeepaliveState, TcpInfo, TcpStateName } from '../../index';
import { parseDuration, type OptionSpec, type ParsedArgs } from '../terminal/args';
import type { Reporter } from '../terminal/output';

export interface VerdictSocket {
  /** How the finding names the socket, e.g. "fd 12" or "#3". */
  readonly id: string;
  readonly state: TcpStateName;
  /** The other end; null for a listening socket or when unknown. */
  readonly peer: { readonly address: string; readonly port: number } | null;
  /** Keepalive as the kernel holds it (ms, probes); null values when not readable. */
  readonly keepalive: {
    readonly enable: boolean;
    readonly idle: number | null;
    readonly interval: number | null;
    readonly count: number | null;
    readonly userTimeout: number | null;
  };
  /** ms since the kernel last received anything from the peer (data or ACK); null if unknown. */
  readonly silentMs: number | null;
  /** Segments sent and not acknowledged (tcp_info), null if unknown. */
  readonly unacked: number | null;
}

export interface VerdictOptions {
  /** Keepalive off and silent this long: a half-open candidate. */
  readonly silentAfterMs: number;
  /** CLOSE_WAIT this long (the peer closed at least that long ago): a leak. */
  readonly closeWaitAfterMs: number;
}

/** A record from what the kernel reports of a socket (TCP_INFO and the keepalive options). */
export function socketRecord(
  id: string,
  info: Pick<TcpInfo, 'state' | 'lastAckRecv' | 'lastDataRecv' | 'unacked'>,
  keepalive: KeepaliveState,
  peer: VerdictSocket['peer'],
): VerdictSocket {
  const { lastAckRecv: ack, lastDataRecv: data } = info;
  return {
    id,
    state: info.state,
    peer: info.state === 'LISTEN' ? null : peer,
    keepalive,
    // What keepalive counts its idle time from: the later of the last data and the last ACK.
    silentMs: ack === null ? data : data === null ? ack : Math.min(ack, data),
    unacked: info.unacked,
  };
}

/** Documented defaults of the command line (`--silent-after`, `--close-wait-after`). */
export const VERDICT_DEFAULTS: VerdictOptions = { silentAfterMs: 3_600_000, closeWaitAfterMs: 60_000 };

export type FindingKind =
  /** Keepalive on, silent longer than idle + interval x count (keepalive is held off: data in flight). */
  | 'silent-beyond-keepalive'
  /** Keepalive off, silent for longer than silentAfterMs. */
  | 'silent-without-keepalive'
  /** CLOSE_WAIT older than closeWaitAfterMs: the application never closed after the peer did. */
  | 'close-wait'
  /** Several connections from one peer address, only the most recently heard one live. */
  | 'reconnected-peer';

export interface Finding {
  readonly kind: FindingKind;
  /** The sockets concerned (ids). */
  readonly sockets: readonly string[];
  /** One line: what was seen. */
  readonly seen: string;
  /** One line: what to do. */
  readonly todo: string;
}

export interface Verdict {
  /** Sockets per TCP state, in the order states first appear. */
  readonly states: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
}

/** The default the advice proposes: a dead peer found within 50 s of its last packet. */
export const ADVISED = 'idle=30s,interval=5s,count=4';
const ADVISED_WITH_USER_TIMEOUT = `${ADVISED},userTimeout=60s`;

const keepaliveLine = (spec: string): string =>
  `set keepalive: TCP_KEEPALIVE="${spec}" node --require tcp-keepalive/register (Node), or the program's own keepalive settings`;

/** Slack over the kernel's own bound: timer granularity, a loaded machine (as the tests use). */
const beyond = (boundMs: number): number => boundMs * 1.15 + 1000;

/** The longest a peer may stay silent on this socket before keepalive ends it; null if unbounded. */
function keepaliveBound(k: VerdictSocket['keepalive']): number | null {
  if (!k.enable || k.idle === null || k.interval === null || k.count === null) return null;
  // A user timeout replaces count as the limit of unanswered probing (Linux).
  const probing = k.userTimeout ? Math.max(k.userTimeout, k.interval) : k.interval * k.count;
  return k.idle + probing;
}

const peerText = (s: VerdictSocket): string => (s.peer ? `${s.peer.address.includes(':') ? `[${s.peer.address}]` : s.peer.address}:${s.peer.port}` : 'unknown peer');

/** Human duration, whole seconds and above: 3 h 2 min, 75 s. */
export function roughDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function halfOpenCandidate(s: VerdictSocket, options: VerdictOptions): Omit<Finding, 'sockets'> | null {
  if (s.state !== 'ESTABLISHED' || s.silentMs === null) return null;
  const bound = keepaliveBound(s.keepalive);
  if (bound !== null) {
    if (s.silentMs <= beyond(bound)) return null;
    const inFlight = (s.unacked ?? 0) > 0;
    return {
      kind: 'silent-beyond-keepalive',
      seen:
        `${s.id} to ${peerText(s)}: silent ${roughDuration(s.silentMs)}, longer than its keepalive allows (${roughDuration(bound)})` +
        (inFlight ? `; ${s.unacked} segment(s) unacknowledged: keepalive does not probe while data is in flight` : ''),
      todo: inFlight
        ? `bound data in flight with a user timeout: TCP_KEEPALIVE="${ADVISED_WITH_USER_TIMEOUT}" (or setKeepalive(socket, { userTimeout: 60000 }))`
        : 'keepalive was changed or re-armed lately; look again after one more idle period',
    };
  }
  if (s.keepalive.enable || s.silentMs < options.silentAfterMs) return null;
  return {
    kind: 'silent-without-keepalive',
    seen: `${s.id} to ${peerText(s)} silent ${roughDuration(s.silentMs)}`,
    todo: keepaliveLine(ADVISED),
  };
}

/** The keepalive-off candidates not already in a group: one finding, the advice once. */
function withoutKeepalive(found: readonly [VerdictSocket, Omit<Finding, 'sockets'>][], options: VerdictOptions): Finding | null {
  if (found.length === 0) return null;
  return {
    kind: 'silent-without-keepalive',
    sockets: found.map(([s]) => s.id),
    seen:
      `${found.length} connection${found.length === 1 ? '' : 's'} with keepalive off, silent for ${formatDuration(options.silentAfterMs)} or more ` +
      `(${found.map(([, f]) => f.seen).join(', ')}): half-open candidates, nothing would tell this side its peer is gone`,
    todo: keepaliveLine(ADVISED),
  };
}

/** What the verdict keeps of one peer address's connections. */
interface PeerGroup {
  connections: number;
  /** Its half-open candidates, in the order they came. */
  readonly lingering: VerdictSocket[];
  live: number;
  /** The live connection heard from most recently (the first of equals). */
  newest: VerdictSocket | null;
}

/**
 * The verdict, built one socket at a time: it keeps only what a finding can
 * need (the candidates and a summary per peer), not every socket, so that a
 * process with 10,000 connections costs 10,000 small steps and no more.
 */
export class VerdictBuilder {
  private readonly states: Record<string, number> = {};
  /** Half-open candidates in socket order, with what was found. */
  private readonly candidates = new Map<VerdictSocket, Omit<Finding, 'sockets'>>();
  private readonly byPeer = new Map<string, PeerGroup>();
  private readonly closeWait: VerdictSocket[] = [];

  constructor(private readonly options: VerdictOptions = VERDICT_DEFAULTS) {}

  add(s: VerdictSocket): void {
    this.states[s.state] = (this.states[s.state] ?? 0) + 1;
    const found = halfOpenCandidate(s, this.options);
    if (found) this.candidates.set(s, found);
    if (s.state === 'CLOSE_WAIT' && s.silentMs !== null && s.silentMs >= this.options.closeWaitAfterMs) this.closeWait.push(s);
    if (s.state !== 'ESTABLISHED' || s.peer === null) return;
    let group = this.byPeer.get(s.peer.address);
    if (!group) this.byPeer.set(s.peer.address, (group = { connections: 0, lingering: [], live: 0, newest: null }));
    group.connections++;
    if (found) {
      group.lingering.push(s);
    } else {
      group.live++;
      if (group.newest === null || (s.silentMs ?? Infinity) < (group.newest.silentMs ?? Infinity)) group.newest = s;
    }
  }

  result(): Verdict {
    const { candidates, options } = this;
    const findings: Finding[] = [];
    // A peer address with both silent candidates and a live connection: it reconnected while its
    // old connections linger. One finding for the group instead of one per socket.
    const grouped = new Set<VerdictSocket>();
    for (const [address, { connections, lingering, live, newest }] of this.byPeer) {
      if (lingering.length === 0 || live === 0) continue;
      for (const s of lingering) grouped.add(s);
      const silent = lingering.reduce((least, s) => Math.min(least, s.silentMs ?? Infinity), Infinity);
      const anyInFlight = lingering.some((s) => candidates.get(s)!.kind === 'silent-beyond-keepalive' && (s.unacked ?? 0) > 0);
      findings.push({
        kind: 'reconnected-peer',
        sockets: lingering.map((s) => s.id),
        seen:
          `${connections} connections from ${address}: ${live === 1 ? `only ${newest!.id} is live` : `${live} live`}` +
          `, ${lingering.map((s) => s.id).join(', ')} silent ${roughDuration(silent)} or more: the client reconnected while its old connection${lingering.length === 1 ? '' : 's'} linger${lingering.length === 1 ? 's' : ''}`,
        todo: keepaliveLine(anyInFlight ? ADVISED_WITH_USER_TIMEOUT : ADVISED),
      });
    }
    const alone = [...candidates].filter(([s]) => !grouped.has(s));
    for (const [s, found] of alone) if (found.kind !== 'silent-without-keepalive') findings.push({ ...found, sockets: [s.id] });
    const off = withoutKeepalive(alone.filter(([, found]) => found.kind === 'silent-without-keepalive'), options);
    if (off) findings.push(off);
    const closeWait = closeWaitFinding(this.closeWait, options);
    if (closeWait) findings.push(closeWait);
    return { states: { ...this.states }, findings };
  }
}

function closeWaitFinding(closeWait: readonly VerdictSocket[], options: VerdictOptions): Finding | null {
  if (closeWait.length === 0) return null;
  // A loop, not Math.max(...): a spread of 100,000 arguments overflows the stack.
  const oldest = closeWait.reduce((most, s) => Math.max(most, s.silentMs!), 0);
  return {
    kind: 'close-wait',
    sockets: closeWait.map((s) => s.id),
    seen:
      `${closeWait.length} connection${closeWait.length === 1 ? '' : 's'} in CLOSE_WAIT for ${formatDuration(options.closeWaitAfterMs)} or more ` +
      `(oldest ${roughDuration(oldest)}; ${closeWait.map((s) => `${s.id} from ${peerText(s)}`).join(', ')}): the peer closed and this process never did, ` +
      'a leak in the application that keepalive cannot fix',
    todo: "close the socket when the peer ends it: in Node, socket.end() or socket.destroy() on 'end' (allowHalfOpen: true leaves that to you)",
  };
}

/** The verdict on a process' sockets. Pure: the same records give the same verdict. */
export function verdict(sockets: readonly VerdictSocket[], options: VerdictOptions = VERDICT_DEFAULTS): Verdict {
  const builder = new VerdictBuilder(options);
  for (const s of sockets) builder.add(s);
  return builder.result();
}

/** The verdict as text lines for the terminal. */
export function formatVerdict(v: Verdict): string[] {
  const counts = Object.entries(v.states).map(([state, n]) => `${n} ${state}`);
  const lines = [`verdict: ${counts.length > 0 ? counts.join(', ') : 'no TCP sockets'}`];
  if (v.findings.length === 0) {
    lines.push('  nothing stands out: no half-open candidates, no CLOSE_WAIT left behind');
    return lines;
  }
  for (const f of v.findings) {
    lines.push(`  ! ${f.seen}`);
    lines.push(`    do: ${f.todo}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Command-line glue shared by `inspect` and `listen`: the two thresholds, and the output.

/** `--silent-after` and `--close-wait-after`, with VERDICT_DEFAULTS when left out. */
export const VERDICT_OPTIONS: readonly OptionSpec[] = [
  { name: 'silent-after', value: true },
  { name: 'close-wait-after', value: true },
];

export function parseVerdictOptions(args: ParsedArgs): VerdictOptions {
  const read = (name: string, fallback: number): number => {
    const text = args.options.get(name);
    return text === undefined ? fallback : parseDuration(String(text), `--${name}`);
  };
  return {
    silentAfterMs: read('silent-after', VERDICT_DEFAULTS.silentAfterMs),
    closeWaitAfterMs: read('close-wait-after', VERDICT_DEFAULTS.closeWaitAfterMs),
  };
}

/** The verdict as one 'verdict' event (JSON) or its lines (terminal). */
export function reportVerdict(reporter: Reporter, v: Verdict, at: number): void {
  reporter.event('verdict', { states: v.states, findings: v.findings }, null, at);
  for (const line of formatVerdict(v)) reporter.line(line); // nothing in JSON mode
}
