// Errors shaped like Node's own (lib/internal/errors.js), so that callers can
// branch on `code` exactly as they do for errors from `net` and `fs`.
import { inspect as utilInspect, getSystemErrorMap, getSystemErrorName, types } from 'node:util';

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

// Describing a value must not throw, whatever the value: no custom inspect
// functions (inspect shows proxies and getters without calling them), and
// where inspect still fails (a throwing constructor name, a DataView of a
// detached or shrunk buffer) a plain description instead: the error being
// built must not turn into another one.
function inspect(value: unknown, options: { depth?: number } = {}): string {
  try {
    return utilInspect(value, { ...options, customInspect: false, colors: false });
  } catch {
    if (typeof value !== 'object' || value === null) return typeof value;
    if (types.isProxy(value)) return '<Proxy>';
    const name = constructorName(value);
    return name ? `an instance of ${name}` : '<object that cannot be inspected>';
  }
}

// The name a function or class says it has, if it is a plain string; read
// without invoking getters or proxy traps.
function ownName(fn: unknown): string | undefined {
  if (typeof fn !== 'function' || types.isProxy(fn)) return undefined;
  const name = Object.getOwnPropertyDescriptor(fn, 'name')?.value;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

// The constructor found on the prototype chain as data properties only.
function constructorName(value: object): string | undefined {
  let object: object | null = value;
  for (let depth = 0; object !== null && depth < 32 && !types.isProxy(object); depth++) {
    const descriptor = Object.getOwnPropertyDescriptor(object, 'constructor');
    if (descriptor) return ownName(descriptor.value);
    object = Object.getPrototypeOf(object);
  }
  return undefined;
}

// How Node describes a received value in ERR_INVALID_ARG_TYPE.
function describeReceived(value: unknown): string {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${ownName(value) ?? '<anonymous>'}`;
  if (typeof value === 'object') {
    if (types.isProxy(value)) return ` Received ${inspect(value, { depth: -1 })}`;
    const name = constructorName(value);
    return name ? ` Received an instance of ${name}` : ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value);
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

/**
 * A bad environment variable: `TCP_KEEPALIVE="idle=x": bad part 'idle=x': ...`. `shownValue` is
 * the value as the message quotes it, already escaped and bounded by the caller (lib/escape.ts).
 */
export function invalidEnvironment(variable: string, shownValue: string, reason: string, caller?: Function) {
  // `reason` alone too, for a message that shows the value its own way (the command's inspect).
  return Object.assign(withCode(new TypeError(`${variable}=${shownValue}: ${reason}`), 'ERR_INVALID_ARG_VALUE', caller), { reason });
}

export function outOfRange(name: string, range: string, value: unknown, caller?: Function) {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
    caller,
  );
}

/**
 * Reading an argument threw (a getter, a proxy trap, a revoked proxy): the
 * call stops before any system call, with the reason as `cause`.
 */
export function unreadableArg(name: string, cause: unknown, caller?: Function) {
  const kind = name.includes('.') ? 'property' : 'argument';
  const reason = types.isNativeError(cause) ? describeError(cause as Error) : inspect(cause);
  const error = new TypeError(`The ${kind} '${name}' could not be read: ${reason}`, { cause });
  return withCode(error, 'ERR_INVALID_ARG_VALUE', caller);
}

// An error's message, read as data only (the error may be the caller's).
function describeError(error: Error): string {
  const message = Object.getOwnPropertyDescriptor(error, 'message')?.value;
  return typeof message === 'string' ? message : inspect(error, { depth: 0 });
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

/** Node's error for a server that is not listening (`server.address()` is null). */
export function serverNotRunning(caller?: Function) {
  return withCode(new Error('Server is not running.'), 'ERR_SERVER_NOT_RUNNING', caller);
}

/** An optional module the caller needs is not installed. */
export function moduleNotFound(message: string, cause: unknown) {
  return withCode(new Error(message, { cause }), 'ERR_MODULE_NOT_FOUND');
}

/**
 * A listening server with no listening socket in this process: a cluster
 * worker in round-robin mode, where the primary owns the socket and hands
 * each accepted connection over.
 */
export function serverWithoutDescriptor(caller?: Function) {
  return withCode(
    new Error(
      'This server has no listening socket in this process: in a cluster worker the primary process ' +
        'holds it and hands over each accepted connection. Read an accepted socket instead, or the ' +
        'server in the primary.',
    ),
    'ERR_SERVER_NO_DESCRIPTOR',
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

/** The JavaScript runtime running this, for errors that depend on it. */
function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.deno) return `Deno ${versions.deno}`;
  if (versions.bun) return `Bun ${versions.bun}`;
  return `Node.js ${process.version}`;
}

export function descriptorUnavailable(caller?: Function) {
  return withCode(
    new Error(`Cannot reach the file descriptor of this connected socket under ${runtimeName()}: its handle exposes none, so nothing can be configured`),
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
