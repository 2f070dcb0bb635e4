// A keepalive probe sent now, on request (p, SIGUSR2, --probe): once the
// connection has been idle for the kernel's minimum idle time, the idle time
// is lowered to that minimum so that the timer fires at once, and put back as
// soon as the probe has left. The answer shows up like any other.
import type net from 'node:net';
import { capabilities, getKeepalive, getTcpInfo, setKeepalive, type KeepaliveState } from '../../index';
import { formatElapsed } from '../terminal/format';
import { KEEPALIVE_STATES } from './timers';
import { setTimeout as sleep } from 'node:timers/promises';

export type ProbeTrigger = 'key' | 'flag' | 'signal' | 'timer';

export interface OnDemandHooks {
  ended(): boolean;
  /** A 'probe-request' event (text null: JSON only). */
  report(fields: Record<string, unknown>, text: string | null): void;
  /** The probe is about to be triggered: the next probe seen is this one. */
  pending(on: boolean): void;
}

// Idle this much past the minimum before lowering the idle time, so that
// the timer fires on the first expiry rather than re-arming.
const IDLE_MARGIN_MS = 20;
// How long the kernel may take to send the probe once the idle time is lowered.
const SEND_TIMEOUT_MS = 250;
const SEND_POLL_MS = 2;


/** Sends one probe; returns the settings held afterwards (the idle time put back). */
export async function probeOnDemand(socket: net.Socket, settings: KeepaliveState, trigger: ProbeTrigger, hooks: OnDemandHooks): Promise<KeepaliveState> {
  const refuse = (reason: string): KeepaliveState => {
    hooks.report({ trigger, result: 'refused', reason }, `probe on demand not sent: ${reason}`);
    return settings;
  };
  if (!settings.enable) return refuse('keepalive is off on this connection');
  const minimumIdle = capabilities().idle.min;
  let announced = false;
  let info = getTcpInfo(socket);
  for (;;) {
    if (!KEEPALIVE_STATES.has(info.state)) return refuse(`the connection is ${info.state}`);
    if ((info.unacked ?? 0) > 0) return refuse('data is unacknowledged, so keepalive is suspended');
    const idleFor = Math.min(info.lastAckRecv ?? 0, info.lastDataRecv ?? 0);
    if (idleFor >= minimumIdle + IDLE_MARGIN_MS) break;
    if (!announced) {
      announced = true;
      const waitMs = minimumIdle - idleFor;
      hooks.report({ trigger, result: 'waiting', waitMs }, `probe on demand: waiting ${formatElapsed(waitMs)} until the connection has been idle ${formatElapsed(minimumIdle)}`);
    }
    await sleep(minimumIdle + IDLE_MARGIN_MS + 10 - idleFor);
    if (hooks.ended()) return settings;
    info = getTcpInfo(socket);
  }
  const savedIdle = getKeepalive(socket).idle;
  const segmentsBefore = info.segsOut ?? 0;
  hooks.pending(true);
  setKeepalive(socket, { idle: minimumIdle });
  // The timer fires within a tick of the kernel's clock; put the idle time
  // back only once the probe has gone, or it would be re-armed.
  let sent = false;
  for (const deadline = Date.now() + SEND_TIMEOUT_MS; !sent && Date.now() < deadline; ) {
    await sleep(SEND_POLL_MS);
    const now = getTcpInfo(socket);
    sent = (now.segsOut ?? 0) > segmentsBefore || (now.probes ?? 0) > 0;
  }
  const held = savedIdle !== null ? (setKeepalive(socket, { idle: savedIdle }) ?? getKeepalive(socket)) : settings;
  if (sent) {
    hooks.report({ trigger, result: 'sent' }, null);
  } else {
    hooks.pending(false);
    refuse(`the kernel did not send it within ${SEND_TIMEOUT_MS} ms`);
  }
  return held;
}

/** Probes on demand of one connection: one at a time, and every `everyMs` if asked (--probe-every). */
export class OnDemandProber {
  private probing = false;
  private lastAt: number;

  constructor(
    private readonly everyMs: number | null,
    startedAt: number,
  ) {
    this.lastAt = startedAt;
  }

  /** When the next periodic probe is due, ms since the epoch; Infinity if none. */
  get dueAt(): number {
    return this.everyMs && !this.probing ? this.lastAt + this.everyMs : Infinity;
  }

  /** Sends one probe unless one is under way; returns the settings held afterwards. */
  async run(socket: net.Socket, settings: KeepaliveState, trigger: ProbeTrigger, hooks: OnDemandHooks): Promise<KeepaliveState> {
    if (this.probing) return settings;
    this.probing = true;
    this.lastAt = Date.now();
    try {
      return await probeOnDemand(socket, settings, trigger, hooks);
    } catch (error) {
      // The connection ended meanwhile: its end is reported on its own.
      const reason = (error as Error).message;
      if (!hooks.ended() && !socket.destroyed) hooks.report({ trigger, result: 'refused', reason }, `probe on demand not sent: ${reason}`);
      return settings;
    } finally {
      this.probing = false;
      this.lastAt = Date.now();
    }
  }
}
