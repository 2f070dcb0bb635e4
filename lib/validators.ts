// Argument checks, all done before any system call, with Node's error shapes.
import { types } from 'node:util';
import type { NativeFieldLimits, NativeRefusedOption } from '../binding';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange, unreadableArg } from './errors';
import { binding, FIELDS, FIELD_BIT, FIELD_OPTION } from './native';
import type { KeepaliveField, KeepaliveOptions } from './types';

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
  if (!limits.settable) throw featureUnavailable(`options.${field} (${FIELD_OPTION[field]})`, caller);
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
  // Plain locals and one object literal: this runs on every setKeepalive().
  let enable: unknown, idle: unknown, interval: unknown, count: unknown, userTimeout: unknown;
  let unknownKey: string | undefined;
  let unknownValue: unknown;
  try {
    // for-in walks inherited keys too; only own ones count. No array allocated.
    for (const key in options) {
      if (!hasOwn.call(options, key)) continue;
      const value = (options as Record<string, unknown>)[key];
      switch (key) {
        case 'enable': enable = value; break;
        case 'idle': idle = value; break;
        case 'interval': interval = value; break;
        case 'count': count = value; break;
        case 'userTimeout': userTimeout = value; break;
        default:
          unknownKey = key;
          unknownValue = value;
      }
      if (unknownKey !== undefined) break;
    }
  } catch (error) {
    throw unreadableArg('options', error, caller);
  }
  if (unknownKey !== undefined) {
    throw invalidArgValue(`options.${unknownKey}`, unknownValue, `is not a keepalive option (${FIELDS.join(', ')})`, caller);
  }
  return { enable, idle, interval, count, userTimeout } as KeepaliveOptions;
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
  for (const field of FIELDS) {
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

// --- The generic option functions (getSockOpt / setSockOpt) ---------------

const REFUSED: readonly NativeRefusedOption[] = binding.refusedOptions;

/** Why the generic functions refuse an entry of the platform's list. */
export function refusalReason(entry: NativeRefusedOption): string {
  return `is ${entry.label} (level ${entry.level}), which getSockOpt/setSockOpt refuse on this platform: ${entry.reason}`;
}

/**
 * Throws ERR_INVALID_ARG_VALUE for an option whose payload holds a pointer
 * or whose length is not a byte count on this platform (the addon's list,
 * which the addon also enforces for direct calls).
 */
export function validateOptionAllowed(level: number, name: number, caller: Function): void {
  for (const entry of REFUSED) {
    if (entry.level === level && name >= entry.first && name <= entry.last) {
      throw invalidArgValue('name', name, refusalReason(entry), caller);
    }
  }
}

// The engine's own accessors, taken once: a view's `byteLength` property can
// be redefined on the view or its prototype, these cannot be.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const { apply } = Reflect;
const accessor = (prototype: object, key: string) => Object.getOwnPropertyDescriptor(prototype, key)!.get!;
const typedArrayByteLength = accessor(TypedArrayPrototype, 'byteLength');
// Throws for a detached or out-of-bounds typed array, which otherwise just
// reports 0 bytes, like an empty one; DataView's accessor throws by itself.
const typedArrayKeys = (TypedArrayPrototype as { keys: Function }).keys;
const dataViewByteLength = accessor(DataView.prototype, 'byteLength');

/**
 * The true byte length of an ArrayBufferView value for setSockOpt: a coded
 * error for anything else, a detached or out-of-bounds view (a resizable
 * buffer shrunk under it), or more than `max` bytes. The addon reads the
 * bytes from the engine, never through the view's properties.
 */
export function validateOptionBytes(value: unknown, name: string, max: number, caller: Function): number {
  let length: number;
  try {
    if (types.isTypedArray(value)) {
      apply(typedArrayKeys, value, []);
      length = apply(typedArrayByteLength, value, []) as number;
    } else if (types.isDataView(value)) {
      length = apply(dataViewByteLength, value, []) as number;
    } else {
      throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value, caller);
    }
  } catch (error) {
    if ((error as { code?: unknown }).code !== undefined) throw error;
    throw invalidArgValue(name, value, 'is backed by a detached ArrayBuffer or lies outside its resized buffer', caller);
  }
  if (length > max) throw outOfRange(`${name}.byteLength`, `<= ${max}`, length, caller);
  return length;
}
