// Argument checks, all done before any system call, with Node's error shapes.
import { types } from 'node:util';
import type { NativeFieldKind, NativeFieldLimits, NativeRefusedOption } from '../binding';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange, unreadableArg } from './errors';
import { binding, FIELDS, FIELD_BIT, FIELD_KIND, FIELD_OPTION } from './native';
import type { KeepaliveField } from './types';

/**
 * A validated change, in the kernel's units rounded up, ready for the
 * binding: `values[i]` is field i's (FIELDS order, which is the order of the
 * addon's slots; a flag as 1 or 0), changed where bit i of `fields` is set.
 */
export interface KeepaliveRequest {
  fields: number;
  values: number[];
}

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

/** A switch: the slots hold it as 1 or 0. */
function validateFlag(value: unknown, name: string, _limits: NativeFieldLimits, caller: Function): number {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value, caller);
  return value ? 1 : 0;
}

const hasOwn = Object.prototype.hasOwnProperty;

type FieldCheck = (value: unknown, name: string, limits: NativeFieldLimits, caller: Function) => number;
const CHECK_OF_KIND: Readonly<Record<NativeFieldKind, FieldCheck>> = { flag: validateFlag, time: validateTime, count: validateCount };

/** How one field is checked, built once from the addon's facts about it. */
interface FieldRule {
  readonly field: KeepaliveField;
  /** The name errors give it ("options.idle"). */
  readonly name: string;
  readonly bit: number;
  readonly limits: NativeFieldLimits;
  /** The check of the field's kind: the value for its slot, or a throw. */
  readonly check: FieldCheck;
  /** Its value when the options leave it out: keepalive on; 0 for the rest, whose bit stays clear. */
  readonly unset: number;
}
// Index i is field i: the request's value i, slot i. An addon with a kind
// the facade cannot check, or without the switch it turns on by default, is
// another build's, refused at load as a TCP_INFO mismatch is.
const RULES: readonly FieldRule[] = FIELDS.map((field) => {
  const check = hasOwn.call(CHECK_OF_KIND, FIELD_KIND[field]) ? CHECK_OF_KIND[FIELD_KIND[field]] : undefined;
  if (!check) throw new Error(`tcp-keepalive: the native keepalive field ${field} has an unknown kind ${JSON.stringify(FIELD_KIND[field])}`);
  return { field, name: `options.${field}`, bit: FIELD_BIT[field], limits: binding.capabilities[field], check, unset: field === 'enable' ? 1 : 0 };
});
if (FIELD_KIND.enable !== 'flag') throw new Error(`tcp-keepalive: the native keepalive fields (${FIELDS.join()}) lack the flag enable`);
// Without options, and under every request: keepalive on.
const ALWAYS_CHANGED = FIELD_BIT.enable;

function requireSettable(rule: FieldRule, caller: Function): void {
  if (!rule.limits.settable) throw featureUnavailable(`${rule.name} (${FIELD_OPTION[rule.field]})`, caller);
}

function unknownOption(key: string, value: unknown, caller: Function) {
  return invalidArgValue(`options.${key}`, value, `is not a keepalive option (${FIELDS.join(', ')})`, caller);
}

const UNSET_VALUES = RULES.map((rule) => rule.unset);

/**
 * The options as they are now, read once, each at its field's position:
 * each own enumerable property once (a getter runs once, a proxy is asked
 * once), nothing inherited (a polluted Object.prototype changes nothing).
 * Whatever the caller's object does afterwards, the snapshot stays. A getter
 * or trap that throws becomes ERR_INVALID_ARG_VALUE, before any system call;
 * so does the first key that is not a field.
 */
function snapshotOptions(options: object, caller: Function): unknown[] {
  const given: unknown[] = new Array(FIELDS.length);
  let unknownKey: string | undefined;
  let unknownValue: unknown;
  try {
    // for-in walks inherited keys too; only own ones count. No array of keys allocated.
    for (const key in options) {
      if (!hasOwn.call(options, key)) continue;
      const value = (options as Record<string, unknown>)[key];
      // A scan of a handful of names: faster than any lookup table, and "__proto__" finds nothing.
      const index = FIELDS.indexOf(key as KeepaliveField);
      if (index < 0) {
        unknownKey = key;
        unknownValue = value;
        break;
      }
      given[index] = value;
    }
  } catch (error) {
    throw unreadableArg('options', error, caller);
  }
  if (unknownKey !== undefined) throw unknownOption(unknownKey, unknownValue, caller);
  return given;
}

/**
 * Reads `options` once (see snapshotOptions), checks each given field in the
 * addon's order and returns the change to make: plain numbers, which nothing
 * the caller does later can alter.
 */
export function validateKeepaliveOptions(options: unknown, caller: Function): KeepaliveRequest {
  if (options === undefined) return { fields: ALWAYS_CHANGED, values: UNSET_VALUES.slice() };
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options, caller);
  let isArray: boolean;
  try {
    isArray = Array.isArray(options); // throws for a revoked proxy
  } catch (error) {
    throw unreadableArg('options', error, caller);
  }
  if (isArray) throw invalidArgType('options', 'of type object', options, caller);
  const given = snapshotOptions(options, caller);
  const values: number[] = new Array(RULES.length);
  let fields = ALWAYS_CHANGED;
  for (let index = 0; index < RULES.length; index++) {
    const rule = RULES[index]!;
    const value = given[index];
    if (value === undefined) {
      values[index] = rule.unset;
      continue;
    }
    requireSettable(rule, caller);
    values[index] = rule.check(value, rule.name, rule.limits, caller);
    fields |= rule.bit;
  }
  return { fields, values };
}

/** Later requests win field by field, as if each had been applied in turn. */
export function mergeRequests(earlier: KeepaliveRequest, later: KeepaliveRequest): KeepaliveRequest {
  const values = earlier.values.slice();
  for (let index = 0; index < RULES.length; index++) {
    if (later.fields & RULES[index]!.bit) values[index] = later.values[index]!;
  }
  return { fields: earlier.fields | later.fields, values };
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
