// Errors shaped like Node's own (lib/internal/errors.js), so that callers can
// branch on `code` exactly as they do for errors from `net` and `fs`.
import { inspect, getSystemErrorMap, getSystemErrorName } from 'node:util';

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

function withCode<E extends Error>(error: E, code: string, caller?: Function): E & { code: string } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  // The stack should point at the user's call, not at the library's checks.
  if (caller) Error.captureStackTrace(error, caller);
  return error as E & { code: string };
}

// How Node describes a received value in ERR_INVALID_ARG_TYPE.
function describeReceived(value: unknown): string {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? ` Received an instance of ${name}` : ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

function argLabel(name: string): string {
  return name.includes('.') ? `"${name}" property` : `"${name}" argument`;
}

export function invalidArgType(name: string, expected: string, value: unknown, caller?: Function) {
  return withCode(
    new TypeError(`The ${argLabel(name)} must be ${expected}.${describeReceived(value)}`),
    'ERR_INVALID_ARG_TYPE',
    caller,
  );
}

export function invalidArgValue(name: string, value: unknown, reason: string, caller?: Function) {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(`The ${kind} '${name}' ${reason}. Received ${inspect(value)}`),
    'ERR_INVALID_ARG_VALUE',
    caller,
  );
}

/** A bad environment variable: `TCP_KEEPALIVE="idle=x": bad part 'idle=x': ...`. */
export function invalidEnvironment(variable: string, text: string, reason: string, caller?: Function) {
  return withCode(new TypeError(`${variable}=${JSON.stringify(text)}: ${reason}`), 'ERR_INVALID_ARG_VALUE', caller);
}

export function outOfRange(name: string, range: string, value: unknown, caller?: Function) {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
    caller,
  );
}

export function socketClosed(caller?: Function) {
  return withCode(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED', caller);
}

export function socketNotConnected(caller?: Function) {
  return withCode(
    new Error("Socket is not connected yet: it has no file descriptor until 'connect'"),
    'ERR_SOCKET_NOT_CONNECTED',
    caller,
  );
}

export function featureUnavailable(feature: string, caller?: Function) {
  return withCode(
    new TypeError(`The feature ${feature} is unavailable on the current platform, which is being used to run Node.js`),
    'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
    caller,
  );
}

/**
 * A failed system call, as Node reports one: `code` is the errno name libuv
 * uses (ENOTSUP, not glibc's EOPNOTSUPP), `errno` is negative.
 */
let systemErrorMap: Map<number, [string, string]> | undefined;

export function systemError(errno: number, syscall: string, caller?: Function): SystemError {
  const code = getSystemErrorName(errno);
  // Node builds a new map on every call; the messages never change.
  systemErrorMap ??= getSystemErrorMap();
  const description = systemErrorMap.get(errno)?.[1];
  const error = new Error(description ? `${syscall} ${code}: ${description}` : `${syscall} ${code}`);
  withCode(error, code, caller);
  Object.assign(error, { errno, syscall });
  return error as SystemError;
}
