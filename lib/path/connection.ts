// One connection of a path measurement: opened, parked (no probe until one
// is chosen), probed at a chosen moment by lowering TCP_KEEPIDLE below the
// idle already elapsed, and read through TCP_INFO. Times are
// performance.now() milliseconds, taken from what the kernel reports.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { getTcpInfo, setKeepalive, capabilities } from '../keepalive';
import type { TcpInfo } from '../types';

/** The kernel's retry after an unanswered probe, ms: one lost probe or answer is survived. */
export const RETRY_INTERVAL_MS = 1000;
/** Unanswered probes before the kernel drops a connection under test (we conclude long before). */
const TEST_COUNT = 5;
/** tcpi_last_ack_recv counts jiffies: at HZ=100 a reading may be up to 10 ms short. */
export const JIFFY_SLACK_MS = 10;

export type ConnectionRole = 'ladder' | 'control';

export interface ProbeInFlight {
  /** When TCP_KEEPIDLE was lowered. */
  setAt: number;
  /** The last ACK before the probe. */
  ackBefore: number;
  /** The idles at setAt: the probe left at or after it. */
  lowSinceAnswer: number;
  lowSinceActivity: number;
  /** First reading with the probe out (tcpi_probes >= 1). */
  seenAt: number | null;
  /** First reading with a second, unanswered probe out. */
  retrySeenAt: number | null;
}

export type Ending =
  | { kind: 'fin'; at: number }
  | { kind: 'reset'; at: number; code: string }
  | { kind: 'timeout'; at: number; code: string }
  | { kind: 'error'; at: number; code: string; error: Error };

/** A connect that failed (held in `connecting` meanwhile), as Node reports it (ECONNREFUSED, EHOSTUNREACH, ...), or ETIMEDOUT after `timeoutMs`. */
export function connect(address: string, port: number, timeoutMs: number, connecting: Set<net.Socket>): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port, family: net.isIPv6(address) ? 6 : 4 });
    // Held while connecting, so that an abort can close it too.
    connecting.add(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      const error = Object.assign(new Error(`connect ETIMEDOUT ${address}:${port}`), {
        code: 'ETIMEDOUT',
        errno: -110,
        syscall: 'connect',
        address,
        port,
      });
      reject(error);
    }, timeoutMs);
    // Destroyed while connecting (an abort): the timer goes too.
    socket.once('close', () => {
      connecting.delete(socket);
      clearTimeout(timer);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      connecting.delete(socket);
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

export class PathConnection {
  /** Last segment received, a keepalive answer included. */
  lastAck = Number.NEGATIVE_INFINITY;
  /** Last segment received that was not a keepalive answer: the handshake, or data. */
  lastActivity: number;
  /** Last reading that found the connection open (no FIN, no reset). */
  seenOpenAt: number;
  /** When it was opened. */
  readonly openedAt: number;
  probe: ProbeInFlight | null = null;
  /** Data arrived since the last reading: the next ACK time is activity too. */
  private dataSeen = false;
  ending: Ending | null = null;
  /** Given up: destroyed, or spent by a probe that failed. */
  done = false;
  /** Smoothed RTT and its variation, ms. */
  rttMs = 0;
  rttVarMs = 0;
  private info: TcpInfo | null = null;

  constructor(
    readonly id: number,
    readonly role: ConnectionRole,
    readonly socket: net.Socket,
  ) {
    const now = performance.now();
    this.openedAt = now;
    this.lastActivity = now;
    this.seenOpenAt = now;
    socket.on('data', () => {
      this.dataSeen = true;
    });
    socket.on('end', () => this.end({ kind: 'fin', at: performance.now() }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const at = performance.now();
      const code = error.code ?? 'ERROR';
      if (code === 'ECONNRESET' || code === 'EPIPE') this.end({ kind: 'reset', at, code });
      else if (code === 'ETIMEDOUT') this.end({ kind: 'timeout', at, code });
      else this.end({ kind: 'error', at, code, error });
    });
    const idleMax = capabilities().idle.max;
    // The control connection probes itself every second; the others wait for a chosen moment.
    if (role === 'control') setKeepalive(socket, { enable: true, idle: 1000, interval: RETRY_INTERVAL_MS, count: 3 });
    else setKeepalive(socket, { enable: true, idle: idleMax, interval: RETRY_INTERVAL_MS, count: TEST_COUNT });
    this.read();
    if (Number.isFinite(this.lastAck)) this.lastActivity = this.lastAck;
  }

  private end(ending: Ending): void {
    if (this.ending === null) this.ending = ending;
  }

  /** TCP_INFO now; updates lastAck, the RTT and seenOpenAt. Null once the socket is gone. */
  read(): TcpInfo | null {
    if (this.done || this.socket.destroyed) return null;
    let info: TcpInfo;
    try {
      info = getTcpInfo(this.socket);
    } catch {
      return null;
    }
    const at = performance.now();
    if (info.lastAckRecv !== null) {
      const ack = at - info.lastAckRecv;
      // Only forward: two readings of the same ACK differ by the jiffy rounding.
      if (ack > this.lastAck + JIFFY_SLACK_MS / 2) this.lastAck = ack;
    }
    if (this.dataSeen) {
      this.dataSeen = false;
      this.lastActivity = Math.max(this.lastActivity, this.lastAck);
    }
    if (info.rtt !== null) this.rttMs = info.rtt / 1000;
    if (info.rttvar !== null) this.rttVarMs = info.rttvar / 1000;
    if (info.state === 'ESTABLISHED' && this.ending === null) this.seenOpenAt = at;
    else if (info.state === 'CLOSE_WAIT') this.end({ kind: 'fin', at });
    else if (info.state === 'CLOSE') this.end({ kind: 'reset', at, code: 'ECONNRESET' });
    this.info = info;
    return info;
  }

  get probesOut(): number {
    return this.info?.probes ?? 0;
  }

  /** The idles a probe sent now would test. */
  idles(now: number): { sinceAnswer: number; sinceActivity: number } {
    return { sinceAnswer: now - this.lastAck, sinceActivity: now - this.lastActivity };
  }

  /** How long an answer may take, ms: a generous multiple of the RTT, at least 250 ms. */
  answerWaitMs(): number {
    return Math.max(250, 4 * (this.rttMs + 4 * this.rttVarMs));
  }

  /** What an upper bound must add: the path's share of the RTT, and the jiffy rounding. */
  slackMs(): number {
    return this.rttMs + 4 * this.rttVarMs + JIFFY_SLACK_MS;
  }

  /** Sends a probe now: TCP_KEEPIDLE lowered to the kernel's minimum, below the idle elapsed. */
  startProbe(): void {
    this.read();
    const setAt = performance.now();
    const { sinceAnswer, sinceActivity } = this.idles(setAt);
    this.probe = { setAt, ackBefore: this.lastAck, lowSinceAnswer: sinceAnswer, lowSinceActivity: sinceActivity, seenAt: null, retrySeenAt: null };
    setKeepalive(this.socket, { idle: capabilities().idle.min });
  }

  /** After an answer: no probe until the next chosen moment. */
  park(): void {
    this.probe = null;
    try {
      setKeepalive(this.socket, { idle: capabilities().idle.max });
    } catch {
      // The connection ended meanwhile: its ending is read in the next round.
    }
  }

  close(): void {
    this.done = true;
    this.socket.destroy();
  }
}
