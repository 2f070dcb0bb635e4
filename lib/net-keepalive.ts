/**
 * A drop-in for `net-keepalive` 4.x: the same exports, argument checks, error
 * messages, return values and units, running on this package's addon instead
 * of FFI. Change `require('net-keepalive')` to
 * `require('tcp-keepalive/net-keepalive')`.
 *
 * Differences, all where net-keepalive does nothing or the wrong thing:
 * - Windows: net-keepalive's setters return `false` and its getters nothing,
 *   silently. Here they configure and read the socket for real (through
 *   SIO_KEEPALIVE_VALS where the TCP_KEEP* options are missing).
 * - macOS: net-keepalive's setUserTimeout writes milliseconds into
 *   TCP_RXT_CONNDROPTIME, which counts seconds. Here user timeouts are
 *   Linux-only and other platforms get 'setUserTimeout called on unsupported
 *   platform', as net-keepalive says on FreeBSD.
 */
import assert from 'node:assert';
import * as net from 'node:net';
import { getSystemErrorName, types } from 'node:util';
import { getKeepalive, setKeepalive } from './keepalive';
import { binding, SLOT, slots } from './native';
import { descriptorOf, NOT_YET } from './target';

type Field = 'interval' | 'count' | 'userTimeout';

const caps = binding.capabilities;
const { IPPROTO_TCP } = binding.constants;
const OPTION: Record<Field, number | undefined> = {
  interval: binding.constants.TCP_KEEPINTVL,
  count: binding.constants.TCP_KEEPCNT,
  userTimeout: binding.constants.TCP_USER_TIMEOUT,
};

/** The error shape of Node's internal errnoException, which net-keepalive uses. */
function errnoException(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  const error: NodeJS.ErrnoException = new Error(`${syscall} ${code}`);
  error.errno = errno;
  error.code = code;
  error.syscall = syscall;
  return error;
}

/** net-keepalive's descriptor rule, plus a real lookup where `fd` is -1 (Windows). */
function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd === 'number' && fd !== 0 && fd !== -1) return fd;
  const located = socket.destroyed ? NOT_YET : descriptorOf(socket, socketFd);
  assert(located !== NOT_YET, 'Unable to get socket fd');
  return located;
}

// A proxy is not a socket here: it could answer anything for `_handle.fd`,
// and a revoked one throws from `instanceof`.
function checkSocket(socket: unknown, name: string): asserts socket is net.Socket {
  assert(!types.isProxy(socket) && socket instanceof net.Socket, `${name} expects an instance of socket as its first argument`);
}

/**
 * net-keepalive's check (`value.constructor === Number`), then the number,
 * without running the caller's code: a getter or proxy that throws fails the
 * same assertion, and only a real number or Number object yields its value
 * (anything else that passes the check is NaN, which truncates to 0).
 */
function checkNumber(value: unknown, message: string): number {
  let constructor: unknown;
  try {
    constructor = value != null && !types.isProxy(value) ? (value as object).constructor : void 0;
  } catch {
    constructor = void 0;
  }
  assert.strictEqual(constructor, Number, message);
  if (typeof value === 'number') return value;
  return types.isNumberObject(value) ? Number.prototype.valueOf.call(value) : NaN;
}

/**
 * Writes the raw kernel value as net-keepalive does, so that the kernel
 * judges it (an interval of 0 s is its EINVAL, not ours). Where this system
 * has no such option, the portable back end does the real thing.
 */
function write(fd: number, field: Field, kernelValue: number, unitMs: number): true {
  const option = OPTION[field];
  if (option !== undefined) {
    const rc = binding.setSockOptInt(fd, IPPROTO_TCP, option, kernelValue);
    if (rc === 0) return true;
    if (getSystemErrorName(rc) !== 'ENOPROTOOPT' || !caps[field].settable) throw errnoException(rc, 'setsockopt');
  }
  setKeepalive(fd, { enable: getKeepalive(fd).enable, [field]: kernelValue * unitMs });
  return true;
}

function read(fd: number, field: Field, unitMs: number): number {
  const option = OPTION[field];
  if (option !== undefined) {
    const rc = binding.getSockOptInt(fd, IPPROTO_TCP, option);
    if (rc === 0) return slots[SLOT.intValue]! * unitMs;
    if (getSystemErrorName(rc) !== 'ENOPROTOOPT' || !caps[field].readable) throw errnoException(rc, 'getsockopt');
  }
  return getKeepalive(fd)[field] ?? 0;
}

/** Sets TCP_KEEPINTVL, in ms (truncated to whole seconds); returns true. */
export function setKeepAliveInterval(socket: net.Socket, msecs: number): boolean {
  assert.strictEqual(arguments.length, 2, 'setKeepAliveInterval requires two arguments');
  checkSocket(socket, 'setKeepAliveInterval');
  const seconds = ~~(checkNumber(msecs, 'setKeepAliveInterval requires msec to be a Number') / 1000);
  return write(socketFd(socket), 'interval', seconds, 1000);
}

/** Returns TCP_KEEPINTVL in ms. */
export function getKeepAliveInterval(socket: net.Socket): number {
  assert.strictEqual(arguments.length, 1, 'getKeepAliveInterval requires one arguments');
  checkSocket(socket, 'getKeepAliveInterval');
  return read(socketFd(socket), 'interval', 1000);
}

/** Sets TCP_KEEPCNT (truncated to an integer); returns true. */
export function setKeepAliveProbes(socket: net.Socket, cnt: number): boolean {
  assert.strictEqual(arguments.length, 2, 'setKeepAliveProbes requires two arguments');
  checkSocket(socket, 'setKeepAliveProbes');
  const count = ~~checkNumber(cnt, 'setKeepAliveProbes requires cnt to be a Number');
  return write(socketFd(socket), 'count', count, 1);
}

/** Returns TCP_KEEPCNT. */
export function getKeepAliveProbes(socket: net.Socket): number {
  assert.strictEqual(arguments.length, 1, 'getKeepAliveProbes requires one arguments');
  checkSocket(socket, 'getKeepAliveProbes');
  return read(socketFd(socket), 'count', 1);
}

/** Sets TCP_USER_TIMEOUT in ms (truncated); returns true. Linux only. */
export function setUserTimeout(socket: net.Socket, msecs: number): boolean {
  assert.strictEqual(arguments.length, 2, 'setUserTimeout requires two arguments');
  assert(caps.userTimeout.settable, 'setUserTimeout called on unsupported platform');
  checkSocket(socket, 'setUserTimeout');
  const timeout = ~~checkNumber(msecs, 'setUserTimeout requires msec to be a Number');
  return write(socketFd(socket), 'userTimeout', timeout, 1);
}

/** Returns TCP_USER_TIMEOUT in ms. Linux only. */
export function getUserTimeout(socket: net.Socket): number {
  assert.strictEqual(arguments.length, 1, 'getUserTimeout requires one arguments');
  assert(caps.userTimeout.readable, 'getUserTimeout called on unsupported platform');
  checkSocket(socket, 'getUserTimeout');
  return read(socketFd(socket), 'userTimeout', 1);
}
