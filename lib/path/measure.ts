// lib/path/: measureIdleTimeout(), which finds the idle time after which the
// path to a TCP server (a NAT, load balancer or firewall, or the server
// itself) forgets a connection, and how, with keepalive probes alone.
// May import: node:*, the library's own modules at the top of lib/ (never
// lib/cli/ or lib/diagnostics).
//
// Method (docs/path.md): a geometric ladder over connections opened together,
// each probed at a chosen moment (TCP_KEEPIDLE lowered below the idle already
// elapsed sends a probe at once), then a bisection between the longest idle
// answered and the shortest unanswered, on the connections whose idle is
// already there. Answers are read from TCP_INFO, idles from the kernel's own
// times. A control connection probed every second shows the path stays up.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { adviseKeepalive, type KeepaliveAdvice } from '../advice';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { capabilities } from '../keepalive';
import { connect, PathConnection, RETRY_INTERVAL_MS } from './connection';
import { Evidence, type FailureKind, type Reading } from './evidence';
import { abortError, pathError } from './errors';
import type { MeasureIdleTimeoutOptions, PathMeasurement, PathMode, PathProgress, PathTarget, Rfc5382Verdict } from './types';

/** RFC 5382 REQ-5: an established connection's idle timeout must not be less than 2 h 4 min. */
export const RFC5382_IDLE_MS = 7_440_000;
const DEFAULT_MAX_MS = 30 * 60_000;
const DEFAULT_CONNECTIONS = 16;
/** The shortest idle the kernel can probe at (TCP_KEEPIDLE's 1 s minimum) and a little. */
const MIN_PROBE_IDLE_MS = 1050;
const FIRST_RUNG_MS = 2000;
const LADDER_RATIO = 1.25;
/** --max must leave room for a rung above the first. */
const MIN_MAX_MS = 3000;
const MAX_CONNECTIONS = 64;
const CONNECT_TIMEOUT_MS = 5000;
const TICK_MS = 20;
/** Once the bracket is narrow, how long to wait for the evidence on keepalive refreshing the path. */
const REFRESH_WAIT_MS = 4000;

/** The bracket is narrow enough: at most max(3 % of the idle, 1 s) wide. */
export function precision(lowerMs: number): number {
  return Math.max(0.03 * lowerMs, 1000);
}

/** The ranges measureIdleTimeout() accepts, for callers that check first (the command does). */
export function idleTimeoutLimits() {
  return {
    max: { min: MIN_MAX_MS, max: capabilities().idle.max - 1000, default: DEFAULT_MAX_MS },
    connections: { min: 2, max: MAX_CONNECTIONS, default: DEFAULT_CONNECTIONS },
  };
}

function parseTarget(target: unknown, caller: Function): PathTarget {
  if (typeof target === 'string') {
    const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(target);
    const plain = /^([^:]+):(\d+)$/.exec(target);
    const match = bracketed ?? plain;
    if (!match) throw invalidArgValue('target', target, 'must be "host:port" or "[v6 address]:port"', caller);
    return { host: match[1]!, port: validatePort(Number(match[2]), 'target', caller) };
  }
  if (typeof target !== 'object' || target === null) {
    throw invalidArgType('target', 'of type string ("host:port") or an object { host, port }', target, caller);
  }
  const { host, port } = target as Record<string, unknown>;
  if (typeof host !== 'string' || host === '') throw invalidArgType('target.host', 'a non-empty string', host, caller);
  if (typeof port !== 'number') throw invalidArgType('target.port', 'of type number', port, caller);
  return { host, port: validatePort(port, 'target.port', caller) };
}

function validatePort(port: number, name: string, caller: Function): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw outOfRange(name, 'an integer >= 1 && <= 65535', port, caller);
  return port;
}

interface Settings {
  maxMs: number;
  connections: number;
  detectWithinMs: number | null;
  signal: AbortSignal | null;
  onProgress: ((progress: PathProgress) => void) | null;
}

function validateOptions(options: unknown, caller: Function): Settings {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options, caller);
  const { max, connections, detectWithin, signal, onProgress } = options as Record<string, unknown>;
  const limits = idleTimeoutLimits();
  const number = (value: unknown, name: string, range: { min: number; max: number }, integer: boolean): number => {
    if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value, caller);
    if (Number.isNaN(value) || (integer && !Number.isInteger(value)) || value < range.min || value > range.max) {
      throw outOfRange(name, `${integer ? 'an integer ' : ''}>= ${range.min} && <= ${range.max}`, value, caller);
    }
    return value;
  };
  const settings: Settings = {
    maxMs: max === undefined ? limits.max.default : number(max, 'options.max', limits.max, false),
    connections: connections === undefined ? limits.connections.default : number(connections, 'options.connections', limits.connections, true),
    detectWithinMs: detectWithin === undefined ? null : number(detectWithin, 'options.detectWithin', { min: 1, max: Number.MAX_SAFE_INTEGER }, false),
    signal: null,
    onProgress: null,
  };
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal, caller);
    settings.signal = signal;
  }
  if (onProgress !== undefined) {
    if (typeof onProgress !== 'function') throw invalidArgType('options.onProgress', 'of type function', onProgress, caller);
    settings.onProgress = onProgress as Settings['onProgress'];
  }
  return settings;
}

async function resolveHost(host: string): Promise<string> {
  if (net.isIP(host)) return host;
  return (await lookup(host)).address;
}

/**
 * Finds the idle time after which the path to `target` forgets a
 * connection, and how (see PathMeasurement), with keepalive probes alone:
 * no application bytes are sent. `target` is "host:port" or { host, port }.
 * Rejects with the connect error (ECONNREFUSED, ETIMEDOUT, ENOTFOUND, ...)
 * when the target cannot be reached, ERR_PATH_LOST / ERR_PATH_CHANGED when
 * the target or path fails during the run, an AbortError when `signal`
 * aborts, and ERR_FEATURE_UNAVAILABLE_ON_PLATFORM where the platform cannot
 * probe at a chosen moment (capabilities().probeAtChosenMoment).
 */
export async function measureIdleTimeout(target: string | PathTarget, options?: MeasureIdleTimeoutOptions): Promise<PathMeasurement> {
  const { host, port } = parseTarget(target, measureIdleTimeout);
  const settings = validateOptions(options, measureIdleTimeout);
  const caps = capabilities();
  if (!caps.probeAtChosenMoment || !caps.tcpInfo) {
    throw featureUnavailable('measureIdleTimeout() (a keepalive probe at a chosen moment, capabilities().probeAtChosenMoment)', measureIdleTimeout);
  }
  const { signal } = settings;
  if (signal?.aborted) throw abortError(signal.reason);
  const shown = typeof target === 'string' ? target : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const run = new Measurement(shown, port, settings);
  return run.start(host);
}

class Measurement {
  private readonly evidence = new Evidence();
  private readonly live: PathConnection[] = [];
  private readonly connecting = new Set<net.Socket>();
  private control: PathConnection | null = null;
  private address = '';
  private nextId = 1;
  private pending = 0;
  private opened = 0;
  private mostOpen = 0;
  private probes = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;
  private finished = false;
  private tightSince: number | null = null;
  private firstClosureAt: number | null = null;
  private resolve!: (result: PathMeasurement) => void;
  private reject!: (error: unknown) => void;
  private readonly onAbort = (): void => this.fail(abortError(this.settings.signal?.reason));

  constructor(
    private readonly target: string,
    private readonly port: number,
    private readonly settings: Settings,
  ) {}

  start(host: string): Promise<PathMeasurement> {
    const result = new Promise<PathMeasurement>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.settings.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.startedAt = performance.now();
    resolveHost(host)
      .then(async (address) => {
        this.address = address;
        if (this.finished) return;
        this.control = await this.open('control');
        const ladder = await Promise.allSettled(Array.from({ length: this.settings.connections - 1 }, () => this.open('ladder')));
        for (const outcome of ladder) if (outcome.status === 'fulfilled') this.live.push(outcome.value);
        const failed = ladder.find((outcome) => outcome.status === 'rejected');
        if (failed) throw (failed as PromiseRejectedResult).reason;
        if (this.finished) return;
        this.timer = setInterval(() => this.tick(), TICK_MS);
      })
      .catch((error: unknown) => this.fail(error));
    return result;
  }

  private async open(role: 'ladder' | 'control'): Promise<PathConnection> {
    this.pending++;
    this.mostOpen = Math.max(this.mostOpen, this.openCount());
    let socket: net.Socket;
    try {
      socket = await connect(this.address, this.port, CONNECT_TIMEOUT_MS, this.connecting);
    } finally {
      this.pending--;
    }
    if (this.finished) {
      socket.destroy();
      throw abortError(undefined);
    }
    this.opened++;
    return new PathConnection(this.nextId++, role, socket);
  }

  private openCount(): number {
    return this.live.filter((c) => !c.done).length + (this.control && !this.control.done ? 1 : 0) + this.pending;
  }

  private now(): number {
    return performance.now();
  }

  private tick(): void {
    if (this.finished) return;
    try {
      this.step();
    } catch (error) {
      this.fail(error);
    }
  }

  private reading(): Reading {
    return this.evidence.consistent('sinceAnswer') ? 'sinceAnswer' : 'sinceActivity';
  }

  private step(): void {
    this.ticks++;
    this.readControl();
    for (const c of this.live) if (!c.done) this.readLadder(c);
    if (this.finished) return;
    this.live.splice(0, this.live.length, ...this.live.filter((c) => !c.done));

    const readsAnswer = this.evidence.consistent('sinceAnswer');
    const readsActivity = this.evidence.consistent('sinceActivity');
    if (!readsAnswer && !readsActivity) {
      throw pathError('ERR_PATH_CHANGED', 'the probes contradict each other: connections survived idles longer than others that failed, counted either way; the target or the path changed during the run');
    }
    const reading: Reading = readsAnswer ? 'sinceAnswer' : 'sinceActivity';
    const now = this.now();
    const { lowerMs, upperMs, kind } = this.evidence.bracket(reading);

    // No answer while the control connection is being replaced: the path must be shown up first.
    const pathShownUp = this.control !== null && Number.isFinite(this.controlAck);
    if (this.settleClosed(upperMs, pathShownUp)) return;

    const tolerance = precision(lowerMs);
    if (upperMs === Number.POSITIVE_INFINITY) {
      const longest = Math.max(0, ...this.evidence.survivals.map((s) => s.sinceAnswer));
      if (longest >= this.settings.maxMs && pathShownUp) return this.finish('none', longest, null);
    } else if (upperMs - lowerMs <= tolerance) {
      this.tightSince ??= now;
      if (pathShownUp && (readsAnswer !== readsActivity || now - this.tightSince >= REFRESH_WAIT_MS)) return this.finish(kind!, lowerMs, upperMs);
    }
    if (now - this.startedAt > 2.5 * this.settings.maxMs + 60_000) {
      return this.finish(kind ?? 'none', lowerMs, Number.isFinite(upperMs) ? upperMs : null);
    }
    if (this.ticks % Math.round(1000 / TICK_MS) === 0) this.progress();

    this.maintainPool(reading, upperMs);
    if (this.live.some((c) => c.probe !== null)) return;
    const candidates = this.live.filter((c) => !c.done && c.probe === null && c.ending === null && c.idles(now).sinceAnswer >= MIN_PROBE_IDLE_MS);
    if (candidates.length === 0) return;
    const idle = (c: PathConnection): number => c.idles(now)[reading];
    if (upperMs === Number.POSITIVE_INFINITY) {
      const rung = Math.min(this.settings.maxMs, Math.max(FIRST_RUNG_MS, lowerMs * LADDER_RATIO));
      const oldest = candidates.reduce((a, b) => (idle(a) >= idle(b) ? a : b));
      if (idle(oldest) >= rung) this.probe(oldest);
      return;
    }
    if (upperMs - lowerMs <= tolerance) return;
    const middle = (lowerMs + upperMs) / 2;
    const inRange = candidates.filter((c) => idle(c) >= middle && idle(c) < upperMs - tolerance / 2);
    if (inRange.length > 0) this.probe(inRange.reduce((a, b) => (idle(a) <= idle(b) ? a : b)));
  }

  private probe(c: PathConnection): void {
    c.startProbe();
    this.probes++;
  }

  /** Closes connections that can no longer tell anything, and opens fresh ones up to the limit. */
  private maintainPool(reading: Reading, upperMs: number): void {
    const now = this.now();
    for (const c of this.live) {
      if (c.probe === null && !c.done && c.idles(now)[reading] >= upperMs) c.close();
    }
    this.live.splice(0, this.live.length, ...this.live.filter((c) => !c.done));
    while (this.openCount() < this.settings.connections) {
      this.open('ladder').then(
        (c) => {
          if (this.finished) c.close();
          else this.live.push(c);
        },
        (error: unknown) => this.lost('a new connection to the target failed', error),
      );
    }
    this.mostOpen = Math.max(this.mostOpen, this.openCount());
  }

  private readLadder(c: PathConnection): void {
    c.read();
    const p = c.probe;
    const ending = c.ending;
    if (p === null) {
      if (ending !== null) this.closure(c);
      return;
    }
    const slack = c.slackMs();
    if (ending !== null) {
      if (ending.kind === 'fin') return this.closure(c);
      const at = p.seenAt ?? ending.at;
      if (ending.kind === 'error') return this.lost(`connection ${c.id} failed`, (ending as { error: Error }).error);
      this.failure(c, ending.kind === 'reset' ? 'reset' : 'silent', at, slack);
      return;
    }
    // An answer puts the last ACK after the probe; readings without one differ by the jiffy
    // rounding only. Half-way between the ACK before and the probe tells them apart safely.
    if (c.lastAck > p.ackBefore + (p.setAt - p.ackBefore) / 2) {
      this.evidence.survivals.push({ connection: c.id, sinceAnswer: p.lowSinceAnswer, sinceActivity: p.lowSinceActivity });
      c.park();
      this.progress();
      return;
    }
    const now = this.now();
    if (c.probesOut >= 1) p.seenAt ??= now;
    if (c.probesOut >= 2) p.retrySeenAt ??= now;
    const wait = c.answerWaitMs();
    if ((p.retrySeenAt !== null && now - p.retrySeenAt >= wait) || (p.seenAt !== null && now - p.seenAt >= RETRY_INTERVAL_MS * 1.125 + 2 * wait + 250)) {
      this.failure(c, 'silent', p.seenAt!, slack);
    } else if (p.seenAt === null && now - p.setAt > 2000) {
      throw pathError('ERR_PATH_PROBE_NOT_SENT', `the kernel sent no probe on connection ${c.id} within 2 s of lowering its idle time`);
    }
  }

  private failure(c: PathConnection, kind: FailureKind, at: number, slack: number): void {
    const p = c.probe!;
    this.evidence.failures.push({ connection: c.id, kind, sinceAnswer: at - p.ackBefore + slack, sinceActivity: at - c.lastActivity + slack });
    c.probe = null;
    c.close();
    this.progress();
  }

  /** The far end closed a connection that was not being probed, or during a probe. */
  private closure(c: PathConnection): void {
    const ending = c.ending!;
    this.evidence.closures.push({
      connection: c.id,
      upperMs: ending.at - c.lastActivity + c.slackMs(),
      lowerMs: c.seenOpenAt - c.lastActivity,
      at: ending.at,
      openedAt: c.openedAt,
      how: ending.kind === 'fin' ? 'fin' : 'reset',
    });
    this.firstClosureAt ??= ending.at;
    c.probe = null;
    c.close();
    this.progress();
  }

  /**
   * The far end closes idle connections: settled once a connection opened
   * after the first closure was closed too (so the closures follow the idle,
   * not the clock). True while that is pending or done.
   */
  private settleClosed(probeUpperMs: number, pathShownUp: boolean): boolean {
    const openIdles = [...this.live, ...(this.control ? [this.control] : [])].filter((c) => !c.done && c.ending === null).map((c) => c.seenOpenAt - c.lastActivity);
    const closed = this.evidence.closedBracket(openIdles);
    if (closed === null || closed.upperMs > probeUpperMs) return false;
    const spread = Math.max(2000, 0.05 * closed.upperMs);
    const outlier = openIdles.find((idle) => idle > closed.upperMs + spread);
    if (outlier !== undefined) {
      throw pathError('ERR_PATH_CHANGED', `the far end closed a connection after ${Math.round(closed.upperMs)} ms idle while another stays open after ${Math.round(outlier)} ms: not an idle timeout (the target restarted or closed it for another reason)`);
    }
    const confirmed = this.evidence.closures.some((closure) => closure.openedAt > this.firstClosureAt!);
    if (confirmed && pathShownUp && closed.upperMs - closed.lowerMs <= precision(closed.lowerMs)) {
      this.finish('closed', closed.lowerMs, closed.upperMs);
      return true;
    }
    this.maintainPool('sinceActivity', Number.POSITIVE_INFINITY);
    if (this.ticks % Math.round(1000 / TICK_MS) === 0) this.progress();
    return true;
  }

  private controlAck = Number.NEGATIVE_INFINITY;
  private controlSeenAt: number | null = null;
  private controlRetrySeenAt: number | null = null;

  /** The control connection: its own probes every second, each answer a survival, its end a failure or a closure. */
  private readControl(): void {
    const c = this.control;
    if (c === null || c.done) return;
    c.read();
    const now = this.now();
    const slack = c.slackMs();
    if (c.ending !== null) {
      const ending = c.ending;
      if (ending.kind === 'fin') {
        this.closure(c);
      } else if (ending.kind === 'error') {
        return this.lost('the control connection failed', ending.error);
      } else {
        const at = this.controlSeenAt ?? ending.at;
        this.evidence.failures.push({ connection: c.id, kind: ending.kind === 'reset' ? 'reset' : 'silent', sinceAnswer: at - c.lastAck + slack, sinceActivity: at - c.lastActivity + slack });
        c.close();
      }
      this.replaceControl(ending.kind === 'fin' ? 'was closed by the far end' : ending.kind === 'reset' ? 'was reset' : 'timed out');
      return;
    }
    if (c.lastAck > this.controlAck) {
      if (Number.isFinite(this.controlAck)) {
        // The kernel's timer is never early: the probe left at least 1 s after the previous answer.
        const sent = Math.min(this.controlAck + 1000, c.lastAck);
        this.evidence.survivals.push({ connection: c.id, sinceAnswer: sent - this.controlAck, sinceActivity: Math.max(0, sent - c.lastActivity) });
      }
      this.controlAck = c.lastAck;
      this.controlSeenAt = null;
      this.controlRetrySeenAt = null;
      return;
    }
    if (c.probesOut >= 1) this.controlSeenAt ??= now;
    if (c.probesOut >= 2) this.controlRetrySeenAt ??= now;
    if (this.controlRetrySeenAt !== null && now - this.controlRetrySeenAt >= c.answerWaitMs()) {
      const at = this.controlSeenAt!;
      this.evidence.failures.push({ connection: c.id, kind: 'silent', sinceAnswer: at - c.lastAck + slack, sinceActivity: at - c.lastActivity + slack });
      c.close();
      this.replaceControl('went unanswered');
    }
  }

  /** A new control connection; if the target cannot be reached any more, the run ends with an error. */
  private replaceControl(what: string): void {
    this.control = null;
    this.controlAck = Number.NEGATIVE_INFINITY;
    this.controlSeenAt = null;
    this.controlRetrySeenAt = null;
    this.open('control').then(
      (c) => {
        if (this.finished) c.close();
        else this.control = c;
      },
      (error: unknown) => this.lost(`the control connection ${what} and a new connection to the target failed`, error),
    );
  }

  private lost(what: string, cause: unknown): void {
    if (this.finished) return;
    const code = (cause as NodeJS.ErrnoException)?.code ?? 'ERROR';
    this.fail(pathError('ERR_PATH_LOST', `${what} (${code}): the target or the path went down during the run`, cause));
  }

  private progress(): void {
    const onProgress = this.settings.onProgress;
    if (onProgress === null || this.finished) return;
    const reading = this.reading();
    const { lowerMs, upperMs } = this.evidence.bracket(reading);
    const now = this.now();
    const inFlight = this.live.find((c) => c.probe !== null)?.probe ?? null;
    const oldest = Math.max(0, ...this.live.map((c) => c.idles(now)[reading]));
    const phase: PathProgress['phase'] =
      this.firstClosureAt !== null || this.tightSince !== null ? 'confirm' : upperMs === Number.POSITIVE_INFINITY ? 'ladder' : 'refine';
    const worst =
      upperMs === Number.POSITIVE_INFINITY
        ? Math.max(0, this.settings.maxMs - oldest) + 2 * RETRY_INTERVAL_MS
        : this.firstClosureAt !== null
          ? upperMs + 2000
          : upperMs + REFRESH_WAIT_MS;
    const report: PathProgress = {
      phase,
      elapsedMs: Math.round(now - this.startedAt),
      lowerMs: Math.round(lowerMs),
      upperMs: Number.isFinite(upperMs) ? Math.round(upperMs) : null,
      tryingMs: inFlight ? Math.round(reading === 'sinceAnswer' ? inFlight.lowSinceAnswer : inFlight.lowSinceActivity) : null,
      open: this.openCount(),
      worstRemainingMs: Math.round(worst),
    };
    try {
      onProgress(report);
    } catch (error) {
      this.fail(error);
    }
  }

  private stop(): void {
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    for (const c of this.live) c.close();
    this.control?.close();
    for (const socket of this.connecting) socket.destroy();
    this.connecting.clear();
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.stop();
    this.reject(error);
  }

  private finish(mode: PathMode, lowerMs: number, upperMs: number | null): void {
    if (this.finished) return;
    const readsAnswer = this.evidence.consistent('sinceAnswer');
    const readsActivity = this.evidence.consistent('sinceActivity');
    this.stop();
    const refreshed = mode === 'closed' ? false : mode === 'none' ? null : readsAnswer && !readsActivity ? true : !readsAnswer && readsActivity ? false : null;
    const lower = Math.round(lowerMs);
    const upper = upperMs === null ? null : Math.round(upperMs);
    let advice: KeepaliveAdvice | null = null;
    let adviceNote = '';
    try {
      advice = adviseKeepalive({ detectWithinMs: this.settings.detectWithinMs ?? lower, idleTimeoutMs: lower, connections: 1, busy: false });
    } catch (error) {
      adviceNote = (error as Error).message;
    }
    const result: PathMeasurement = {
      target: this.target,
      address: this.address,
      port: this.port,
      mode,
      lowerMs: lower,
      upperMs: upper,
      refreshedByKeepalive: refreshed,
      connections: this.mostOpen,
      connectionsOpened: this.opened,
      probes: this.probes,
      elapsedMs: Math.round(performance.now() - this.startedAt),
      maxMs: this.settings.maxMs,
      precise: upper === null || upper - lower <= precision(lower),
      rfc5382: rfc5382(mode, lower, upper),
      advice,
      summary: summary(mode, lower, upper, refreshed, adviceNote),
    };
    this.resolve(result);
  }
}

function seconds(ms: number): string {
  return ms >= 120_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}

function rfc5382(mode: PathMode, lowerMs: number, upperMs: number | null): Rfc5382Verdict {
  const requirementMs = RFC5382_IDLE_MS;
  if (mode === 'closed') {
    return { requirementMs, verdict: 'not-applicable', text: 'RFC 5382 REQ-5 binds NATs; here the far end closes idle connections itself' };
  }
  if (mode === 'none') {
    return lowerMs >= requirementMs
      ? { requirementMs, verdict: 'meets', text: 'meets RFC 5382 REQ-5 (idle connections kept at least 2 h 4 min)' }
      : { requirementMs, verdict: 'untested', text: `RFC 5382 REQ-5 (2 h 4 min) not tested: nothing forgot a connection up to ${seconds(lowerMs)}; --max 2h5m tests it` };
  }
  return upperMs !== null && upperMs < requirementMs
    ? { requirementMs, verdict: 'violates', text: `violates RFC 5382 REQ-5: forgets idle connections after ${seconds(upperMs)} at most, below the 2 h 4 min it asks` }
    : { requirementMs, verdict: 'meets', text: 'meets RFC 5382 REQ-5 (idle connections kept at least 2 h 4 min)' };
}

function summary(mode: PathMode, lowerMs: number, upperMs: number | null, refreshed: boolean | null, adviceNote: string): string {
  const bracket = upperMs === null ? '' : `an idle between ${seconds(lowerMs)} and ${seconds(upperMs)}`;
  const keep =
    refreshed === false
      ? ' Keepalive probes do not keep a connection alive here: only an application heartbeat (data) does.'
      : refreshed === true
        ? ' Keepalive probes keep a connection alive through it.'
        : '';
  const note = adviceNote ? ` No keepalive advice: ${adviceNote}` : '';
  switch (mode) {
    case 'none':
      return `Nothing on the path forgot an idle connection in ${seconds(lowerMs)} (the longest tested).${note}`;
    case 'closed':
      return `The far end closes connections after ${bracket} (a server's or proxy's idle timeout).${keep}${note}`;
    case 'reset':
      return `The path forgets idle connections after ${bracket} and answers later packets with a reset.${keep}${note}`;
    default:
      return `The path forgets idle connections after ${bracket} and drops later packets silently.${keep}${note}`;
  }
}
