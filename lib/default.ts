// A process-wide default: every TCP connection the process makes or accepts
// from setDefaultKeepalive() on gets the options, in the manner of
// net.setDefaultAutoSelectFamily().
//
// Where the connections are seen:
// - accepted sockets: diagnostics_channel 'net.server.socket' (every version).
//   It fires after the server's 'connection' listeners but in the same tick,
//   before any I/O on the socket. On Linux the listening socket itself is
//   configured once and accepted sockets inherit the options for free.
// - outgoing sockets: 'net.client.socket', which Node 22+ publishes from
//   net.Socket.prototype.connect (so for net.connect, new Socket().connect(),
//   tls.connect, agents, undici). Node 20 publishes it from net.connect()
//   only, so there net.Socket.prototype.connect is wrapped instead.
// - a client library's later socket.setKeepAlive() (pg, ioredis, mysql2,
//   Node's agents, undici) would reset interval and count to 1 s and 10:
//   net.Socket.prototype.setKeepAlive is wrapped to apply the default again.
// - net.Socket.prototype._destroy is wrapped to read TCP_INFO of a socket the
//   kernel dropped (ETIMEDOUT, ECONNRESET) while its descriptor is still open,
//   for the 'tcp-keepalive:dead-peer' channel.
// Every wrap is removed again by setDefaultKeepalive(null) when nobody has
// wrapped the same method on top of it (then it stays, passing through).
import diagnosticsChannel from 'node:diagnostics_channel';
import * as net from 'node:net';
import path from 'node:path';
import { escapeText } from './escape';
import { invalidArgType } from './errors';
import { writeKeepaliveNoRollback, configuredExplicitly, getKeepalive, getTcpInfo, setKeepalive } from './keepalive';
import { binding, nativeError } from './native';
import { descriptorOf, NOT_YET } from './target';
import type { KeepaliveOptions, KeepaliveState, TcpInfo } from './types';
import { validateKeepaliveOptions, type KeepaliveRequest } from './validators';

/** The connection a `filter` is asked about. */
export interface ConnectionInfo {
  /** 'client': this process connected; 'server': this process accepted it. */
  side: 'client' | 'server';
  family: 'IPv4' | 'IPv6';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export interface DefaultKeepaliveOptions extends KeepaliveOptions {
  /**
   * Called once per connection when it is established; return `false` to
   * leave that connection alone. With a filter, accepted sockets are
   * configured one by one (a listening socket's options would reach every
   * connection, the exempted ones too).
   */
  filter?: (connection: ConnectionInfo) => boolean;
}

/** What the 'tcp-keepalive:dead-peer' channel carries. */
export interface DeadPeerMessage {
  /** The socket the error reached: the TLS socket for a TLS connection (STARTTLS and servers included). */
  socket: net.Socket;
  /** The error the kernel reported, which the socket is destroyed with: ETIMEDOUT or ECONNRESET. */
  error: NodeJS.ErrnoException;
  side: 'client' | 'server';
  /** The default the connection was under. */
  keepalive: KeepaliveOptions;
  /**
   * TCP_INFO read as the socket is destroyed, before its descriptor closes.
   * The kernel has already ended the connection then: `state` is 'CLOSE' and
   * unsent/unacknowledged data is purged (`unacked` 0), but the counters
   * stay: `probes` (keepalive probes that went unanswered; `count` of them
   * for a keepalive timeout), `retransmits` (RTO retransmissions of data: a
   * user or retransmission timeout), `lastAckRecv` / `lastDataRecv` (ms since
   * the peer last acknowledged / sent anything). null where the platform has
   * no TCP_INFO or the read failed.
   */
  tcpInfo: TcpInfo | null;
  /**
   * What ended it, from the error and tcpInfo: 'keepalive' (ETIMEDOUT after
   * `count` unanswered probes), 'retransmission' (ETIMEDOUT with data in
   * flight: a retransmission or user timeout), 'probe-reset' (ECONNRESET in
   * answer to a keepalive probe: the peer had lost the connection), 'reset'
   * (ECONNRESET while the connection was in use, no probe outstanding: the
   * peer or a middlebox reset a connection it still knew), 'unknown' (no
   * TCP_INFO on this platform).
   */
  cause: 'keepalive' | 'retransmission' | 'probe-reset' | 'reset' | 'unknown';
}

export const DEAD_PEER_CHANNEL = 'tcp-keepalive:dead-peer';
const deadPeerChannel = diagnosticsChannel.channel(DEAD_PEER_CHANNEL);

interface Installed {
  readonly request: KeepaliveRequest;
  readonly options: Readonly<KeepaliveOptions>;
  readonly filter: DefaultKeepaliveOptions['filter'];
  // The copy of the package whose setDefaultKeepalive() installed it.
  readonly from: string;
  // What a connection under it is marked with, per side.
  readonly under: Readonly<Record<'client' | 'server', Under>>;
}

interface Tracked {
  // The default that has decided about this socket (configured or exempted).
  [kSeen]?: Installed;
  // A 'connect' listener is waiting (dedupes net.connect on Node 20, where
  // both the channel and Socket#connect would see it).
  [kWaiting]?: Installed;
}
interface TrackedServer {
  // The default the listening socket holds (accepted sockets inherit it), or
  // ARMING until connections accepted before it was set are through.
  [kListener]?: Installed | typeof ARMING;
  // The default its prepended 'connection' listener applies.
  [kEarly]?: Installed;
}
const kSeen = Symbol('tcp-keepalive.defaultSeen');
const kWaiting = Symbol('tcp-keepalive.defaultWaiting');
const kListener = Symbol('tcp-keepalive.defaultListener');
const kEarly = Symbol('tcp-keepalive.defaultEarly');
const ARMING = 'arming';

let installed: Installed | null = null;
// Listening sockets configured for inheritance, with what they held before.
const listeners = new Map<net.Server, KeepaliveState>();
// Servers given a 'connection' listener that configures each accepted socket first.
const hooked = new Set<net.Server>();

const SocketProto = net.Socket.prototype as net.Socket & {
  _destroy(error: Error | null, callback: (error?: Error | null) => void): void;
};
// Published once a server listens (Node 20.?+; without it the first
// accepted connection sets the server up).
const LISTEN_CHANNEL = 'tracing:net.server.listen:asyncEnd';
// Node 22 moved the 'net.client.socket' publication into Socket#connect.
const CHANNEL_SEES_EVERY_CONNECT = Number(process.versions.node.split('.')[0]) >= 22;

interface Handle {
  _parent?: Handle | null;
  getpeername?: unknown;
}

/**
 * The libuv handle a socket's bytes travel on: its own, or, for a TLS socket,
 * the one its TLSWrap runs on (`_parent`). A STARTTLS socket
 * (`tls.connect({ socket })`) and a TLS server's socket share it with the
 * plain socket they wrap, so what is known of a connection is kept per
 * transport: whichever of its socket objects the application holds.
 */
function transportOf(socket: net.Socket): Handle | undefined {
  const handle = (socket as unknown as { _handle?: Handle | null })._handle;
  return (handle?._parent ?? handle) || undefined;
}

/** Whether the socket is TCP, from its libuv handle and without a system call: a TCP handle can name its peer, a pipe cannot. */
function isTcp(socket: net.Socket): boolean {
  return typeof transportOf(socket)?.getpeername === 'function';
}

/** A connection configured under a default: which one, and from which end (one object per default and side). */
interface Under {
  readonly state: Installed;
  readonly side: 'client' | 'server';
}
// On the transport handle (a property store: a WeakMap entry per connection
// cost more than the rest of the JavaScript around the configuration); a
// connection loses it once reported dead.
const kUnder = Symbol('tcp-keepalive.under');
type Marked = Handle & { [kUnder]?: Under | undefined };

function underOf(socket: net.Socket): Under | undefined {
  return (transportOf(socket) as Marked | undefined)?.[kUnder];
}

function markUnder(socket: net.Socket, under: Under): void {
  const transport = transportOf(socket) as Marked | undefined;
  if (transport !== undefined) transport[kUnder] = under;
}

/** Runs the filter; a throwing filter destroys the socket with its error. */
function admitted(state: Installed, socket: net.Socket, side: 'client' | 'server'): boolean {
  const { filter } = state;
  if (!filter) return true;
  try {
    return filter({
      side,
      family: socket.remoteFamily as 'IPv4' | 'IPv6',
      localAddress: socket.localAddress!,
      localPort: socket.localPort!,
      remoteAddress: socket.remoteAddress!,
      remotePort: socket.remotePort!,
    }) !== false;
  } catch (error) {
    socket.destroy(error as Error);
    return false;
  }
}

/**
 * The socket's descriptor, or NOT_YET where there is none to reach: a socket
 * Node connected after aborting it (tls.connect with a pre-aborted signal and
 * a host name) fires 'connect' on a handle it has already closed.
 */
function reachableDescriptor(socket: net.Socket): number {
  try {
    return descriptorOf(socket, configureConnection);
  } catch {
    return NOT_YET;
  }
}

/** Writes the default to a connection's descriptor; the kernel refusing destroys it with the error. */
function writeDefault(state: Installed, socket: net.Socket, fd: number): void {
  const rc = writeKeepaliveNoRollback(fd, state.request);
  if (rc < 0) socket.destroy(nativeError(rc));
}

/**
 * Configures one established connection under the default, if it is TCP,
 * admitted and not the app's own. Runs inside the socket's listeners, where
 * a throw would reach the application: nothing escapes (a connection without
 * a reachable descriptor is left alone).
 */
function configureConnection(state: Installed, socket: net.Socket & Tracked, side: 'client' | 'server'): void {
  socket[kSeen] = state;
  try {
    if (socket.destroyed || configuredExplicitly(socket) || !isTcp(socket) || !admitted(state, socket, side)) return;
    const fd = reachableDescriptor(socket);
    if (fd === NOT_YET) return;
    markUnder(socket, state.under[side]);
    writeDefault(state, socket, fd);
  } catch {
    // Left alone: the application's socket is not this package's to break.
  }
}

function onClientConnect(this: net.Socket & Tracked): void {
  const state = this[kWaiting];
  this[kWaiting] = undefined;
  if (state && state === installed) configureConnection(state, this, 'client');
}

/** A socket starting to connect: configure it once connected, before its 'connect' listeners. */
function watchClient(socket: net.Socket & Tracked): void {
  const state = installed;
  if (!state || socket[kWaiting] === state) return;
  socket[kWaiting] = state;
  socket.prependOnceListener('connect', onClientConnect);
}

function onClientSocket(message: unknown): void {
  watchClient((message as { socket: net.Socket }).socket);
}



/**
 * Configures the listening socket so that what it accepts from now on
 * inherits the default; false when it has no descriptor of its own (a
 * cluster worker under round-robin) or refuses. A connection the kernel
 * completed before the options were set is accepted in the next poll of the
 * event loop at the latest, so until the loop's check phase each accepted
 * socket is still configured on its own.
 */
function armListener(state: Installed, server: net.Server & TrackedServer): boolean {
  let fd: number;
  try {
    fd = descriptorOf(server, armListener);
  } catch {
    return false;
  }
  if (fd === NOT_YET) return false;
  if (!listeners.has(server)) {
    listeners.set(server, getKeepalive(fd));
    server.once('close', () => listeners.delete(server));
  }
  if (writeKeepaliveNoRollback(fd, state.request) < 0) return false;
  server[kListener] = ARMING;
  setImmediate(() => {
    if (server[kListener] === ARMING && installed === state) server[kListener] = state;
  });
  return true;
}

function onConnectionEarly(this: net.Server & TrackedServer, socket: net.Socket): void {
  const state = installed;
  if (state !== null && this[kEarly] === state) configureConnection(state, socket, 'server');
}

/**
 * A server that has just started listening: on Linux (without a filter) its
 * listening socket takes the default and accepted sockets inherit it at no
 * cost per connection; elsewhere a first 'connection' listener configures
 * each accepted socket before the application's listeners see it.
 */
function setUpServer(state: Installed, server: net.Server & TrackedServer): void {
  if (configuredExplicitly(server)) return;
  const address = server.address();
  if (address === null || typeof address === 'string') return; // a pipe
  if (binding.capabilities.listenerInheritance && !state.filter && armListener(state, server)) return;
  server[kEarly] = state;
  if (hooked.has(server)) return;
  hooked.add(server);
  server.prependListener('connection', onConnectionEarly);
  server.once('close', () => hooked.delete(server));
}

function onServerListening(message: unknown): void {
  const state = installed;
  if (state !== null) setUpServer(state, (message as { server: net.Server }).server);
}

/**
 * Every accepted socket, after the server's 'connection' listeners: catches
 * servers that were listening before the default was installed (or on a
 * Node without the listen channel). The first such connection sets the
 * server up for the ones after it.
 */
function onServerSocket(message: unknown): void {
  const state = installed;
  if (!state) return;
  const socket = (message as { socket: net.Socket & Tracked & { server?: net.Server } }).socket;
  if (socket[kSeen] === state) return;
  const server = socket.server as (net.Server & TrackedServer) | undefined;
  if (server && configuredExplicitly(server)) return;
  // Inherited from the listening socket: nothing to do per connection.
  if (server && server[kListener] === state) {
    socket[kSeen] = state;
    if (!configuredExplicitly(socket)) markUnder(socket, state.under.server);
    return;
  }
  configureConnection(state, socket, 'server');
  if (server && server[kListener] !== ARMING && server[kEarly] !== state) setUpServer(state, server);
}

/** After a library's socket.setKeepAlive(): the default again, if the socket is under it. */
function reapply(socket: net.Socket & Tracked & { server?: net.Server & TrackedServer }): void {
  if (installed === null || socket.connecting || socket.destroyed || configuredExplicitly(socket)) return;
  let state = underOf(socket)?.state;
  // Accepted under an inheriting listener, called from a 'connection'
  // listener before 'net.server.socket' has marked the socket.
  if (state === undefined) {
    const listener = socket.server?.[kListener];
    if (listener === undefined || listener === ARMING || configuredExplicitly(socket.server!)) return;
    state = listener;
  }
  try {
    const fd = reachableDescriptor(socket);
    if (fd !== NOT_YET) writeDefault(state, socket, fd);
  } catch {
    // As in configureConnection: never a throw out of the application's call.
  }
}

/**
 * What ended the connection, from the kernel's error and its counters:
 * ETIMEDOUT after unanswered probes is keepalive's finding; after
 * retransmissions, a retransmission or user timeout (data was in flight, so
 * keepalive was not probing); a reset with a probe outstanding answered that
 * probe (a peer that lost the connection); a reset with none came while the
 * connection was in use (the peer, or something on the path, reset it).
 */
function likelyCause(code: string, info: TcpInfo | null): DeadPeerMessage['cause'] {
  if (!info) return 'unknown';
  const probes = info.probes ?? 0;
  if (code === 'ECONNRESET') return probes > 0 ? 'probe-reset' : 'reset';
  if ((info.retransmits ?? 0) > 0 || (info.unacked ?? 0) > 0) return 'retransmission';
  if (probes > 0) return 'keepalive';
  return 'unknown';
}

/**
 * Whether the kernel reported the error: Node's errors from a read or write
 * carry the errno and the system call; one the application made itself
 * (`req.destroy(Object.assign(new Error(), { code: 'ETIMEDOUT' }))`) does
 * not, and its connection is still established in the kernel.
 */
function fromKernel(error: NodeJS.ErrnoException, info: TcpInfo | null): boolean {
  if (typeof error.errno !== 'number' || typeof error.syscall !== 'string') return false;
  return info === null || info.state === 'CLOSE';
}

/** Before the descriptor closes: publish a connection the kernel dropped, once. */
function reportDeadPeer(socket: net.Socket & Tracked, error: Error | null): void {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if ((code !== 'ETIMEDOUT' && code !== 'ECONNRESET') || installed === null || !deadPeerChannel.hasSubscribers) return;
  const transport = transportOf(socket) as Marked | undefined;
  const under = transport?.[kUnder];
  if (!under) return;
  let tcpInfo: TcpInfo | null = null;
  try {
    if (binding.capabilities.tcpInfo) tcpInfo = getTcpInfo(socket);
  } catch {
    // The descriptor is already gone: report without it.
  }
  if (!fromKernel(error as NodeJS.ErrnoException, tcpInfo)) return;
  transport![kUnder] = undefined;
  const message: DeadPeerMessage = {
    socket,
    error: error as NodeJS.ErrnoException,
    side: under.side,
    keepalive: under.state.options,
    tcpInfo,
    cause: likelyCause(code, tcpInfo),
  };
  deadPeerChannel.publish(message);
}

type Method = (this: net.Socket, ...args: unknown[]) => unknown;
type Wrapped = 'connect' | 'setKeepAlive' | '_destroy';
const methods = SocketProto as unknown as Record<Wrapped, Method>;

/**
 * One set of wraps, made per installation around whatever the methods are
 * then (perhaps another package's wraps). A set that cannot be taken off
 * because another package wrapped on top of it stays in place, passing
 * straight through: only the set of the installation in force acts.
 */
interface WrapSet {
  readonly wrapped: Partial<Record<Wrapped, Method>>;
  readonly originals: Partial<Record<Wrapped, Method>>;
}
let activeWraps: WrapSet | null = null;

function makeWraps(names: readonly Wrapped[]): WrapSet {
  const set: WrapSet = { wrapped: {}, originals: {} };
  const originals = set.originals as Record<Wrapped, Method>;
  for (const name of names) originals[name] = methods[name];
  const wrapped = set.wrapped as Record<Wrapped, Method>;
  wrapped.connect = function connectWatching(...args) {
    if (activeWraps === set) watchClient(this);
    return originals.connect.apply(this, args);
  };
  wrapped.setKeepAlive = function setKeepAliveReapplying(...args) {
    const result = originals.setKeepAlive.apply(this, args);
    if (activeWraps === set) reapply(this);
    return result;
  };
  wrapped._destroy = function destroyReporting(...args) {
    if (activeWraps === set) reportDeadPeer(this, args[0] as Error | null);
    return originals._destroy.apply(this, args);
  };
  for (const name of names) methods[name] = wrapped[name];
  return set;
}

function takeOffWraps(set: WrapSet): void {
  for (const [name, wrapped] of Object.entries(set.wrapped) as [Wrapped, Method][]) {
    if (set.originals[name] && methods[name] === wrapped) methods[name] = set.originals[name]!;
  }
}

function installWraps(): void {
  if (CHANNEL_SEES_EVERY_CONNECT) diagnosticsChannel.subscribe('net.client.socket', onClientSocket);
  diagnosticsChannel.subscribe('net.server.socket', onServerSocket);
  diagnosticsChannel.subscribe(LISTEN_CHANNEL, onServerListening);
  activeWraps = makeWraps(CHANNEL_SEES_EVERY_CONNECT ? ['setKeepAlive', '_destroy'] : ['connect', 'setKeepAlive', '_destroy']);
}

function removeWraps(): void {
  if (CHANNEL_SEES_EVERY_CONNECT) diagnosticsChannel.unsubscribe('net.client.socket', onClientSocket);
  diagnosticsChannel.unsubscribe('net.server.socket', onServerSocket);
  diagnosticsChannel.unsubscribe(LISTEN_CHANNEL, onServerListening);
  const set = activeWraps!;
  activeWraps = null;
  takeOffWraps(set);
}

/**
 * Puts listening sockets back as they were before the default and removes
 * the 'connection' listeners; returns the servers still listening.
 */
function releaseServers(): net.Server[] {
  const servers = new Set<net.Server>([...listeners.keys(), ...hooked]);
  for (const [server, before] of listeners) {
    (server as TrackedServer)[kListener] = undefined;
    if (!server.listening) continue;
    const { enable, idle, interval, count, userTimeout } = before;
    const restore: KeepaliveOptions = { enable };
    if (idle !== null) restore.idle = idle;
    if (interval !== null) restore.interval = interval;
    if (count !== null) restore.count = count;
    if (userTimeout !== null) restore.userTimeout = userTimeout;
    try {
      setKeepalive(descriptorOf(server, releaseServers), restore);
    } catch {
      // A listener closed under us has nothing left to restore.
    }
  }
  listeners.clear();
  for (const server of hooked) {
    (server as TrackedServer)[kEarly] = undefined;
    server.removeListener('connection', onConnectionEarly);
  }
  hooked.clear();
  return [...servers].filter((server) => server.listening);
}

/** Own properties only, each read once: a getter or a prototype cannot change what is installed. */
function snapshot(options: object): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(options)) copy[key] = (options as Record<string, unknown>)[key];
  return copy;
}

/**
 * From now on, every TCP connection the process makes or accepts gets
 * `options` (as setKeepalive() would apply them) when it is established;
 * `null` removes the default. Connections already open, Unix-domain sockets
 * and pipes are left alone, and so is a socket or server the application
 * configures itself with setKeepalive(). A later `socket.setKeepAlive()` by
 * a client library is followed by the default again. Validated as for
 * setKeepalive(): a bad option throws and nothing changes.
 */
export function setDefaultKeepalive(options: DefaultKeepaliveOptions | null): void {
  if (registry.owner !== COPY) {
    registry.setDefault(options, COPY);
    return;
  }
  setHere(options, COPY);
}

/** The default in force (a copy), or null. */
export function getDefaultKeepalive(): DefaultKeepaliveOptions | null {
  return registry.getDefault();
}

function setHere(options: DefaultKeepaliveOptions | null, from: string): void {
  if (options === null) {
    if (installed !== null) reportDisagreement(from, installed, null);
    if (installed === null) return;
    installed = null;
    removeWraps();
    releaseServers();
    return;
  }
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object or null', options, setDefaultKeepalive);
  }
  const { filter, ...keepalive } = snapshot(options);
  if (filter !== undefined && typeof filter !== 'function') {
    throw invalidArgType('options.filter', 'of type function', filter, setDefaultKeepalive);
  }
  const request = validateKeepaliveOptions(keepalive, setDefaultKeepalive);
  const first = installed === null;
  const under = { client: undefined as unknown as Under, server: undefined as unknown as Under };
  const state: Installed = Object.freeze({
    request,
    options: Object.freeze(keepalive as KeepaliveOptions),
    filter: filter as DefaultKeepaliveOptions['filter'],
    from,
    under,
  });
  under.client = Object.freeze({ state, side: 'client' });
  under.server = Object.freeze({ state, side: 'server' });
  Object.freeze(under);
  // The same default again (from this copy or another): nothing changes.
  if (sameOptions(installed, state)) return;
  if (installed !== null) reportDisagreement(from, installed, state);
  // Servers set up for the old default are set up again for the new one.
  const servers = releaseServers();
  installed = state;
  for (const server of servers) setUpServer(state, server);
  if (first) installWraps();
}

function getHere(): DefaultKeepaliveOptions | null {
  if (installed === null) return null;
  return installed.filter ? { ...installed.options, filter: installed.filter } : { ...installed.options };
}

// One default per process, however many copies of the package are loaded
// (an undeduplicated tree, a library with its own copy): the first copy to
// load registers itself on globalThis under a registry key every copy knows,
// and every copy's setDefaultKeepalive()/getDefaultKeepalive() goes to it.
// So there is one set of wraps and channel subscriptions: each connection is
// configured once and each death reported once. (The explicit mark is shared
// too: lib/keepalive.ts.) The registry's shape is versioned; a later version
// keeps setDefault/getDefault as they are.
interface Registry {
  readonly version: number;
  /** The copy that registered: its folder. */
  readonly owner: string;
  setDefault(options: DefaultKeepaliveOptions | null, from: string): void;
  getDefault(): DefaultKeepaliveOptions | null;
}
const REGISTRY_KEY = Symbol.for('tcp-keepalive.process-default');
const REGISTRY_VERSION = 1;
const COPY = path.dirname(__dirname);

function sameOptions(a: Installed | null, b: Installed | null): boolean {
  if (a === null || b === null) return a === b;
  const keys = (o: object) => Object.keys(o).sort();
  const ka = keys(a.options);
  const kb = keys(b.options);
  if (ka.join() !== kb.join() || a.filter !== b.filter) return false;
  return ka.every((key) => (a.options as Record<string, unknown>)[key] === (b.options as Record<string, unknown>)[key]);
}

const warnedCopies = new Set<string>();

function describeDefault(state: Installed | null): string {
  return state === null ? 'none' : JSON.stringify(state.options) + (state.filter ? ' with a filter' : '');
}

/** Once per copy: a copy replacing a default another copy installed with other values says so on stderr. */
function reportDisagreement(from: string, current: Installed, next: Installed | null): void {
  if (current.from === from || sameOptions(current, next) || warnedCopies.has(from)) return;
  warnedCopies.add(from);
  process.stderr.write(
    `tcp-keepalive: the copy at ${escapeText(from)} replaces the process default ${describeDefault(current)}, installed by the copy at ${escapeText(current.from)}, with ${describeDefault(next)}\n`,
  );
}

function findRegistry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  const found = holder[REGISTRY_KEY];
  if (found !== undefined) {
    if (found.version !== REGISTRY_VERSION && !warnedCopies.has(`version:${COPY}`)) {
      warnedCopies.add(`version:${COPY}`);
      process.stderr.write(
        `tcp-keepalive: the copy at ${escapeText(COPY)} (registry version ${REGISTRY_VERSION}) defers to the process default of the copy at ${escapeText(String(found.owner))} (version ${String(found.version)})\n`,
      );
    }
    return found;
  }
  const own: Registry = Object.freeze({ version: REGISTRY_VERSION, owner: COPY, setDefault: setHere, getDefault: getHere });
  Object.defineProperty(holder, REGISTRY_KEY, { value: own, enumerable: false, writable: false, configurable: false });
  return own;
}
const registry = findRegistry();
