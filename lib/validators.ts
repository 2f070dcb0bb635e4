// Argument checks, all done before any system call, with Node's error shapes.
import type { NativeFieldLimits } from '../binding';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange, unreadableArg } from './errors';
import { binding, FIELD_BIT } from './native';
import type { KeepaliveField, KeepaliveOptions } from './types';
import { types } from 'node:util';

/** A validated change, in the kernel's units rounded up, ready for the binding. */
export interface KeepaliveRequest {
  fields: number;
  enable: boolean;
  idle: number;
  interval: number;
  count: number;
  userTimeout: number;
}

// Looked up once: the hot path reads these objects directly.
const { idle: IDLE, interval: INTERVAL, count: COUNT, userTimeout: USER_TIMEOUT } = binding.capabilities;
const OPTION_NAMES: readonly KeepaliveField[] = ['enable', 'idle', 'interval', 'count', 'userTimeout'];
const SYSCALL_OPTION: Record<KeepaliveField, string> = {
  enable: 'SO_KEEPALIVE',
  idle: 'TCP_KEEPIDLE',
  interval: 'TCP_KEEPINTVL',
  count: 'TCP_KEEPCNT',
  userTimeout: 'TCP_USER_TIMEOUT',
};

function describeTimeRange(limits: NativeFieldLimits): string {
  const { min, max, unitMs } = limits;
  const lower = min - unitMs >= 0 ? `> ${min - unitMs}` : `>= ${min}`;
  if (unitMs >= 1000) {
    return `${lower} && <= ${max} (milliseconds, rounded up to whole seconds: ${min / 1000} s to ${max / 1000} s)`;
  }
  return `${lower} && <= ${max} (milliseconds)`;
}

/** A time in ms, rounded up to the kernel's unit and checked against its range. */
function validateTime(value: unknown, name: string, limits: NativeFieldLimits, caller: Function): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value, caller);
  const unit = limits.unitMs || 1;
  const rounded = Math.ceil(value / unit) * unit;
  // NaN fails every comparison and lands here too, as in Node's validateNumber.
  if (!(value >= 0 && rounded >= limits.min && rounded <= limits.max)) {
    throw outOfRange(name, describeTimeRange(limits), value, caller);
  }
  return rounded;
}

function validateCount(value: unknown, name: string, limits: NativeFieldLimits, caller: Function): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value, caller);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value, caller);
  if (value < limits.min || value > limits.max) {
    throw outOfRange(name, `>= ${limits.min} && <= ${limits.max}`, value, caller);
  }
  return value;
}

function requireSettable(field: KeepaliveField, limits: NativeFieldLimits, caller: Function): void {
  if (!limits.settable) throw featureUnavailable(`options.${field} (${SYSCALL_OPTION[field]})`, caller);
}

function isOption(key: string): boolean {
  return key === 'enable' || key === 'idle' || key === 'interval' || key === 'count' || key === 'userTimeout';
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The options as they are now, read once: each own enumerable property once
 * (a getter runs once, a proxy is asked once), nothing inherited (a polluted
 * Object.prototype changes nothing). Whatever the caller's object does
 * afterwards, the snapshot stays. A getter or trap that throws becomes
 * ERR_INVALID_ARG_VALUE, before any system call.
 */
function snapshotOptions(options: object, caller: Function): KeepaliveOptions {
  const snapshot: Record<string, unknown> = Object.create(null); // nothing inherited on this side either
  let unknownKey: string | undefined;
  try {
    // for-in walks inherited keys too; only own ones count. No array allocated.
    for (const key in options) {
      if (!hasOwn.call(options, key)) continue;
      snapshot[key] = (options as Record<string, unknown>)[key];
      if (!isOption(key)) {
        unknownKey = key;
        break;
      }
    }
  } catch (error) {
    throw unreadableArg('options', error, caller);
  }
  if (unknownKey !== undefined) {
    throw invalidArgValue(`options.${unknownKey}`, snapshot[unknownKey], `is not a keepalive option (${OPTION_NAMES.join(', ')})`, caller);
  }
  return snapshot as KeepaliveOptions;
}

/**
 * Reads `options` once (see snapshotOptions), checks it completely and
 * returns the change to make: plain numbers, which nothing the caller does
 * later can alter.
 */
export function validateKeepaliveOptions(options: unknown, caller: Function): KeepaliveRequest {
  const request: KeepaliveRequest = { fields: FIELD_BIT.enable, enable: true, idle: 0, interval: 0, count: 0, userTimeout: 0 };
  if (options === undefined) return request;
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options, caller);
  let isArray: boolean;
  try {
    isArray = Array.isArray(options); // throws for a revoked proxy
  } catch (error) {
    throw unreadableArg('options', error, caller);
  }
  if (isArray) throw invalidArgType('options', 'of type object', options, caller);
  const { enable, idle, interval, count, userTimeout } = snapshotOptions(options, caller);
  if (enable !== undefined) {
    if (typeof enable !== 'boolean') throw invalidArgType('options.enable', 'of type boolean', enable, caller);
    request.enable = enable;
  }
  if (idle !== undefined) {
    requireSettable('idle', IDLE, caller);
    request.idle = validateTime(idle, 'options.idle', IDLE, caller);
    request.fields |= FIELD_BIT.idle;
  }
  if (interval !== undefined) {
    requireSettable('interval', INTERVAL, caller);
    request.interval = validateTime(interval, 'options.interval', INTERVAL, caller);
    request.fields |= FIELD_BIT.interval;
  }
  if (count !== undefined) {
    requireSettable('count', COUNT, caller);
    request.count = validateCount(count, 'options.count', COUNT, caller);
    request.fields |= FIELD_BIT.count;
  }
  if (userTimeout !== undefined) {
    requireSettable('userTimeout', USER_TIMEOUT, caller);
    request.userTimeout = validateTime(userTimeout, 'options.userTimeout', USER_TIMEOUT, caller);
    request.fields |= FIELD_BIT.userTimeout;
  }
  return request;
}

/** Later requests win field by field, as if each had been applied in turn. */
export function mergeRequests(earlier: KeepaliveRequest, later: KeepaliveRequest): KeepaliveRequest {
  const merged = { ...earlier, fields: earlier.fields | later.fields };
  for (const field of OPTION_NAMES) {
    if (later.fields & FIELD_BIT[field]) (merged as Record<string, unknown>)[field] = later[field];
  }
  return merged;
}

export function validateInt32(value: unknown, name: string, caller: Function, min = -2147483648): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value, caller);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value, caller);
  if (value < min || value > 2147483647) throw outOfRange(name, `>= ${min} && <= 2147483647`, value, caller);
  return value;
}

// The engine's own accessors: a view's own `byteOffset`/`byteLength`/`buffer`
// properties (or a subclass's getters) may lie; these cannot.
function intrinsicGetter(prototype: object, name: string): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(prototype, name)!.get!;
}
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayBuffer = intrinsicGetter(TypedArrayPrototype, 'buffer');
const typedArrayByteOffset = intrinsicGetter(TypedArrayPrototype, 'byteOffset');
const typedArrayByteLength = intrinsicGetter(TypedArrayPrototype, 'byteLength');
const dataViewBuffer = intrinsicGetter(DataView.prototype, 'buffer');
const dataViewByteOffset = intrinsicGetter(DataView.prototype, 'byteOffset');
const dataViewByteLength = intrinsicGetter(DataView.prototype, 'byteLength');

/**
 * A private copy of the bytes an ArrayBufferView shows, read through the
 * engine's accessors, at most `maxLength` bytes. The copy is a plain
 * Uint8Array on its own ArrayBuffer: the binding never sees a shared,
 * resizable or detached buffer, an offset, or bytes another thread changes
 * during the call. A detached view is ERR_INVALID_ARG_VALUE.
 */
export function copyViewBytes(value: unknown, name: string, maxLength: number, caller: Function): Uint8Array {
  // ArrayBuffer.isView looks at the object itself, never at a proxy's target.
  if (!ArrayBuffer.isView(value)) throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value, caller);
  const isDataView = types.isDataView(value);
  let bytes: Uint8Array;
  try {
    // Reading a DataView's length throws once its buffer is detached; a
    // typed array reports 0, and the Uint8Array constructor throws instead.
    const buffer = (isDataView ? dataViewBuffer : typedArrayBuffer).call(value) as ArrayBufferLike;
    const offset = (isDataView ? dataViewByteOffset : typedArrayByteOffset).call(value) as number;
    const length = (isDataView ? dataViewByteLength : typedArrayByteLength).call(value) as number;
    bytes = new Uint8Array(buffer, offset, length);
  } catch {
    throw invalidArgValue(name, value, 'is a view of a detached ArrayBuffer', caller);
  }
  if (bytes.byteLength > maxLength) throw outOfRange(`${name}.byteLength`, `<= ${maxLength}`, bytes.byteLength, caller);
  return bytes.slice();
}
