// The core functions: every one talks to the kernel directly, and what it
// returns is what the kernel holds after the call, read back with getsockopt.
import * as net from 'node:net';
import {
  featureUnavailable,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  serverNotRunning,
  serverWithoutDescriptor,
  socketNotConnected,
} from './errors';
import { binding, defaultsFromSlots, FIELDS, FIELD_BIT, FIELD_KIND, nativeError, SLOT, slots, throwIfFailed } from './native';
import { descriptorOf, NOT_YET, type KeepaliveTarget } from './target';
import { slotReader } from './slot-reader';
import type {
  Capabilities,
  KeepaliveField,
  KeepaliveOptions,
  KeepaliveState,
  SocketConstants,
  SockOptType,
  SystemDefaults,
  TcpInfo,
} from './types';
import {
  mergeRequests,
  validateInt32,
  validateKeepaliveOptions,
  validateOptionAllowed,
  validateOptionBytes,
  type KeepaliveRequest,
} from './validators';

const MAX_BUFFER_OPTION = binding.maxOptionLength;

// A request waiting for a socket to connect or a server to listen, and the
// request a server applies to each accepted connection where the OS does not
// copy the listener's options (see capabilities().listenerInheritance).
const kPending = Symbol('tcp-keepalive.pending');
const kPerConnection = Symbol('tcp-keepalive.perConnection');
// Set on a socket or server the application configured itself: the process
// default (setDefaultKeepalive) leaves it alone from then on. A registered
// symbol, so that every copy of the package loaded in the process (and the
// one whose default is in force) sees the same mark.
const kExplicit = Symbol.for('tcp-keepalive.explicit.v1');
interface Configurable {
  [kPending]?: KeepaliveRequest;
  [kPerConnection]?: KeepaliveRequest;
  [kExplicit]?: true;
}

/** Whether setKeepalive() was called on this socket or server. */
export function configuredExplicitly(target: object): boolean {
  return (target as Configurable)[kExplicit] === true;
}

function fieldsIn(mask: number): KeepaliveField[] {
  return FIELDS.filter((field) => mask & FIELD_BIT[field]);
}

// The state's fields, one property per field of the addon's list (a flag as a boolean).
const readKeepaliveFields = slotReader<KeepaliveState>(
  FIELDS,
  FIELDS.map((field) => (FIELD_KIND[field] === 'flag' ? 'flag' : 'number')),
);

/**
 * The state in `s` from slot `at` on, laid out as getKeepalive writes it:
 * what the binding just wrote to `slots` by default; lib/diagnostics/ reads
 * many at once from processKeepalive's records.
 */
export function keepaliveFromSlots(s: Float64Array = slots, at = 0): KeepaliveState {
  const state = readKeepaliveFields(s, at);
  const unsupported = s[at + SLOT.stateUnsupported]!;
  if (unsupported !== 0) {
    // Every platform reports the switch; any other field may be null.
    for (const field of fieldsIn(unsupported)) {
      if (FIELD_KIND[field] !== 'flag') (state as Record<KeepaliveField, unknown>)[field] = null;
    }
  }
  const remembered = s[at + SLOT.stateRemembered]!;
  if (remembered !== 0) state.remembered = fieldsIn(remembered);
  return state;
}

/** Puts the request's values in the slots the binding reads them from: value i in slot i. */
function loadRequest(request: KeepaliveRequest): number {
  // Locals: the imported `slots` would be loaded again on every pass.
  const { values } = request;
  const to = slots;
  for (let slot = 0; slot < values.length; slot++) to[slot] = values[slot]!;
  return request.fields;
}

function apply(fd: number, request: KeepaliveRequest, caller: Function): KeepaliveState {
  throwIfFailed(binding.setKeepalive(fd, loadRequest(request)), caller);
  return keepaliveFromSlots();
}

/**
 * Applies a request to a socket that has just got its descriptor. Nobody is
 * on the stack to catch a throw, so a failure destroys the socket with the
 * error: it must not carry on with options other than those asked for. As
 * the socket is gone then, the write-only call does (no snapshot, rollback
 * or read-back to pay for on every connection).
 */
export function applyOrDestroy(socket: net.Socket, request: KeepaliveRequest): void {
  const rc = writeKeepaliveNoRollback(descriptorOf(socket, applyOrDestroy), request);
  if (rc < 0) socket.destroy(nativeError(rc));
}

/**
 * Writes the request to a descriptor without snapshot, rollback or
 * read-back: the binding's rc, < 0 on failure (the caller destroys the
 * socket then).
 */
export function writeKeepaliveNoRollback(fd: number, request: KeepaliveRequest): number {
  return binding.writeKeepaliveNoRollback(fd, loadRequest(request));
}

/**
 * Merges `request` into the one already waiting in `slot` (the later wins
 * field by field). Returns true when nothing was waiting, so the caller
 * installs its one listener.
 */
function enqueue(owner: Configurable, slot: typeof kPending | typeof kPerConnection, request: KeepaliveRequest): boolean {
  const waiting = owner[slot];
  owner[slot] = waiting ? mergeRequests(waiting, request) : request;
  return waiting === undefined;
}

function takePending(owner: Configurable): KeepaliveRequest | undefined {
  const pending = owner[kPending];
  owner[kPending] = undefined;
  return pending;
}

function deferUntilConnected(socket: net.Socket & Configurable, request: KeepaliveRequest): void {
  if (!enqueue(socket, kPending, request)) return;
  // Prepended, so that 'connect' callbacks (net.connect(port, cb)) already
  // see the options in place.
  socket.prependOnceListener('connect', () => {
    const pending = takePending(socket);
    if (pending) applyOrDestroy(socket, pending);
  });
}

function configurePerConnection(server: net.Server & Configurable, request: KeepaliveRequest): void {
  if (!enqueue(server, kPerConnection, request)) return;
  server.prependListener('connection', (socket: net.Socket) => {
    const perConnection = server[kPerConnection];
    if (perConnection) applyOrDestroy(socket, perConnection);
  });
}

function deferUntilListening(server: net.Server & Configurable, request: KeepaliveRequest): void {
  if (!enqueue(server, kPending, request)) return;
  server.prependOnceListener('listening', () => {
    const pending = takePending(server);
    if (!pending) return;
    try {
      configureServer(server, pending, deferUntilListening);
    } catch (error) {
      server.emit('error', error);
    }
  });
}

function configureServer(server: net.Server, request: KeepaliveRequest, caller: Function): KeepaliveState | null {
  const fd = descriptorOf(server, caller);
  if (!server.listening) {
    deferUntilListening(server, request);
    return null;
  }
  // A listening server without a descriptor of its own (a cluster worker
  // sharing the primary's socket) can only configure what it accepts.
  if (fd === NOT_YET) {
    configurePerConnection(server, request);
    return null;
  }
  const state = apply(fd, request, caller);
  if (!binding.capabilities.listenerInheritance) configurePerConnection(server, request);
  return state;
}

/**
 * Configures TCP keepalive and returns what the kernel holds afterwards.
 *
 * `target` is a `net.Socket` (or `tls.TLSSocket`, configured through to its
 * TCP socket), a `net.Server` (or http/https/tls server), or a socket
 * descriptor. Options left out are left as they are, except `enable`, which
 * defaults to `true`. Times are ms, rounded up to the kernel's unit.
 *
 * All or nothing: every option is validated before any system call, and if a
 * system call fails the options already changed are restored before the
 * error is thrown.
 *
 * Returns `null` when nothing could be applied yet: a socket still
 * connecting gets the options as soon as it connects (before its 'connect'
 * listeners run; a failure then destroys the socket with the error), and a
 * server not yet listening gets them on 'listening' (a failure is emitted as
 * the server's 'error'). A listening server's accepted connections inherit
 * the options where the OS guarantees it (Linux); elsewhere each accepted
 * connection is configured as it arrives.
 */
export function setKeepalive(target: number, options?: KeepaliveOptions): KeepaliveState;
export function setKeepalive(target: net.Socket | net.Server, options?: KeepaliveOptions): KeepaliveState | null;
export function setKeepalive(target: KeepaliveTarget, options?: KeepaliveOptions): KeepaliveState | null;
export function setKeepalive(target: KeepaliveTarget, options?: KeepaliveOptions): KeepaliveState | null {
  // Options first, completely: a getter run later could close the socket and
  // let another one take its descriptor number before the call is made.
  const request = validateKeepaliveOptions(options, setKeepalive);
  return applyRequest(target, request, setKeepalive);
}

/**
 * setKeepalive() with options already read and checked. Called later (on a
 * connection) it is its own `caller`: stack traces then start where it was
 * called, not at a function no longer on the stack. The socket or server is
 * then configured explicitly: the process default no longer touches it.
 */
export function applyRequest(target: KeepaliveTarget, request: KeepaliveRequest, caller: Function): KeepaliveState | null {
  const fd = descriptorOf(target, caller);
  // The application's own choice (also through configureAgent/undiciConnect):
  // the process default leaves this socket or server alone from now on.
  if (typeof target === 'object') (target as Configurable)[kExplicit] = true;
  if (target instanceof net.Server) return configureServer(target, request, caller);
  if (fd === NOT_YET) {
    deferUntilConnected(target as net.Socket, request);
    return null;
  }
  return apply(fd, request, caller);
}

/** The descriptor of a target that must already have one. */
function connectedDescriptor(target: unknown, caller: Function): number {
  const fd = descriptorOf(target, caller);
  if (fd !== NOT_YET) return fd;
  if (target instanceof net.Server) {
    // Listening through a cluster primary: there is no socket here to read.
    throw target.listening ? serverWithoutDescriptor(caller) : serverNotRunning(caller);
  }
  throw socketNotConnected(caller);
}

/**
 * The keepalive state the kernel holds for `target`. An option never set on
 * the socket reports the system default in force for it.
 */
export function getKeepalive(target: KeepaliveTarget): KeepaliveState {
  const fd = connectedDescriptor(target, getKeepalive);
  throwIfFailed(binding.getKeepalive(fd), getKeepalive);
  return keepaliveFromSlots();
}

/**
 * The system-wide defaults that sockets without their own settings follow,
 * read now (on Linux from /proc/sys/net/ipv4 of the caller's network
 * namespace; on macOS from sysctl). Times in ms.
 */
export function systemDefaults(): SystemDefaults {
  if (!binding.capabilities.systemDefaults) throw featureUnavailable('systemDefaults()', systemDefaults);
  const source = binding.systemDefaults();
  if (typeof source === 'number') throw nativeError(source, systemDefaults);
  return defaultsFromSlots(source);
}

// TCP_INFO as an object with a fixed shape, from the binding's own list of
// names (native/core/keepalive.h, TCPKA_TCP_INFO_FIELDS): the state named through
// the binding's state names, every other slot a number, NaN (not reported
// here) becoming null.
if (!binding.tcpInfoFields.includes('state')) throw new Error('tcp-keepalive: the native TCP_INFO fields lack state');
const readTcpInfo = slotReader<TcpInfo>(
  binding.tcpInfoFields,
  binding.tcpInfoFields.map((name) => (name === 'state' ? 'state' : 'nullable')),
  binding.tcpStates,
);

/** TCP_INFO in `s` from slot `at` on, laid out as getTcpInfo writes it (a sock_diag record's too, lib/diagnostics/). */
export function tcpInfoFromSlots(s: Float64Array, at: number): TcpInfo {
  return readTcpInfo(s, at);
}

/** TCP_INFO (Linux) / TCP_CONNECTION_INFO (macOS) for a connected socket. */
export function getTcpInfo(target: KeepaliveTarget): TcpInfo {
  if (!binding.capabilities.tcpInfo) throw featureUnavailable('getTcpInfo()', getTcpInfo);
  const fd = connectedDescriptor(target, getTcpInfo);
  throwIfFailed(binding.getTcpInfo(fd), getTcpInfo);
  return readTcpInfo(slots, 0);
}

function validateType(type: unknown, caller: Function): SockOptType {
  if (type === 'int' || type === 'bool' || type === 'buffer') return type;
  if (typeof type !== 'string') throw invalidArgType('type', 'of type string', type, caller);
  throw invalidArgValue('type', type, "must be one of 'int', 'bool', 'buffer'", caller);
}

/**
 * Reads any socket option. `level` and `name` are this platform's numbers
 * (see `constants`). For 'buffer', `length` bytes are offered to the kernel
 * (default 256, at most 65536) and the bytes it wrote are returned.
 *
 * Options whose payload holds a pointer or whose length is not a byte count
 * on this platform are refused with ERR_INVALID_ARG_VALUE (docs/security.md
 * lists them). The kernel writes into private memory that ends at a guard
 * page, so an option that overruns anyway fails with EFAULT.
 */
export function getSockOpt(target: KeepaliveTarget, level: number, name: number, type: 'int'): number;
export function getSockOpt(target: KeepaliveTarget, level: number, name: number, type: 'bool'): boolean;
export function getSockOpt(target: KeepaliveTarget, level: number, name: number, type: 'buffer', length?: number): Buffer;
export function getSockOpt(target: KeepaliveTarget, level: number, name: number, type: SockOptType, length?: number): number | boolean | Buffer;
export function getSockOpt(
  target: KeepaliveTarget,
  level: number,
  name: number,
  type: SockOptType,
  length = 256,
): number | boolean | Buffer {
  const fd = connectedDescriptor(target, getSockOpt);
  validateInt32(level, 'level', getSockOpt);
  validateInt32(name, 'name', getSockOpt);
  const kind = validateType(type, getSockOpt);
  validateOptionAllowed(level, name, getSockOpt);
  if (kind === 'buffer') {
    validateInt32(length, 'length', getSockOpt, 1);
    if (length > MAX_BUFFER_OPTION) throw outOfRange('length', `>= 1 && <= ${MAX_BUFFER_OPTION}`, length, getSockOpt);
    const buffer = Buffer.alloc(length);
    const written = binding.getSockOptBuffer(fd, level, name, buffer);
    throwIfFailed(written, getSockOpt);
    return buffer.subarray(0, written);
  }
  throwIfFailed(binding.getSockOptInt(fd, level, name), getSockOpt);
  const value = slots[SLOT.intValue]!;
  return kind === 'bool' ? value !== 0 : value;
}

/**
 * Sets any socket option: an int32 for 'int', a boolean for 'bool', a Buffer
 * or other ArrayBufferView (at most 65536 bytes, passed with its exact
 * length) for 'buffer'. A view's bytes are the ones it truly covers
 * (SharedArrayBuffer and resizable buffers included); a detached or
 * out-of-bounds view is refused before any system call. The same options
 * as for getSockOpt are refused.
 */
export function setSockOpt(target: KeepaliveTarget, level: number, name: number, value: number, type: 'int'): void;
export function setSockOpt(target: KeepaliveTarget, level: number, name: number, value: boolean, type: 'bool'): void;
export function setSockOpt(target: KeepaliveTarget, level: number, name: number, value: ArrayBufferView, type: 'buffer'): void;
export function setSockOpt(target: KeepaliveTarget, level: number, name: number, value: number | boolean | ArrayBufferView, type: SockOptType): void;
export function setSockOpt(
  target: KeepaliveTarget,
  level: number,
  name: number,
  value: number | boolean | ArrayBufferView,
  type: SockOptType,
): void {
  const fd = connectedDescriptor(target, setSockOpt);
  validateInt32(level, 'level', setSockOpt);
  validateInt32(name, 'name', setSockOpt);
  const kind = validateType(type, setSockOpt);
  validateOptionAllowed(level, name, setSockOpt);
  let rc: number;
  if (kind === 'buffer') {
    validateOptionBytes(value, 'value', MAX_BUFFER_OPTION, setSockOpt);
    rc = binding.setSockOptBuffer(fd, level, name, value as ArrayBufferView);
  } else if (kind === 'bool') {
    if (typeof value !== 'boolean') throw invalidArgType('value', 'of type boolean', value, setSockOpt);
    rc = binding.setSockOptInt(fd, level, name, value ? 1 : 0);
  } else {
    rc = binding.setSockOptInt(fd, level, name, validateInt32(value, 'value', setSockOpt));
  }
  throwIfFailed(rc, setSockOpt);
}

function freezeCapabilities(): Readonly<Capabilities> {
  const native = binding.capabilities;
  const copy = { ...native } as { -readonly [K in keyof Capabilities]: Capabilities[K] };
  for (const field of FIELDS) copy[field] = Object.freeze({ ...native[field] });
  return Object.freeze(copy);
}
const CAPABILITIES = freezeCapabilities();

/**
 * What this platform and kernel support: which fields can be set and read,
 * their ranges and units, TCP_INFO, system defaults, and whether accepted
 * sockets inherit a listener's options. Branch on this, not on
 * `process.platform`.
 */
export function capabilities(): Readonly<Capabilities> {
  return CAPABILITIES;
}

/** This platform's socket option numbers, for getSockOpt/setSockOpt. */
// The addon's table (native/core/constants.cc) under the names SocketConstants
// lists (test/public-types.test.ts checks them against it).
export const constants: SocketConstants = Object.freeze({ ...binding.constants }) as unknown as SocketConstants;
