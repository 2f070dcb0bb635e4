// Loads the addon (a prebuild from prebuilds/ or the local build/, chosen by
// node-gyp-build: addon-load.ts) and turns its numeric results into objects
// and errors.
import path from 'node:path';
import { loadAddon } from './addon-load';
import type { Binding, NativeFieldKind, NativeFieldName } from '../binding';
import type { SystemDefaults } from './types';
import { systemError } from './errors';

// lib/ (sources under the test runner) and dist/ (the published build) are
// both one level below the package root. TCP_KEEPALIVE_ADDON names another
// build of the addon to load instead (npm run test:asan's sanitizer build).
const override = process.env.TCP_KEEPALIVE_ADDON;
export const binding = (override ? require(path.resolve(override)) : loadAddon(path.join(__dirname, '..'))) as Binding;

/** The keepalive fields, as the addon defines them: index = bit = slot. */
export const FIELDS: readonly NativeFieldName[] = binding.keepaliveFields;
/** Each field's bit in the masks the binding takes and reports. */
export const FIELD_BIT = Object.freeze(
  Object.fromEntries(FIELDS.map((field, index) => [field, 1 << index])),
) as Readonly<Record<NativeFieldName, number>>;
/** The socket option behind each field, named in errors. */
export const FIELD_OPTION = Object.freeze(
  Object.fromEntries(FIELDS.map((field, index) => [field, binding.keepaliveOptions[index]!])),
) as Readonly<Record<NativeFieldName, string>>;

/** How each field's value is given and checked (flag, time in ms, count). */
export const FIELD_KIND = Object.freeze(
  Object.fromEntries(FIELDS.map((field, index) => [field, binding.keepaliveFieldKinds[index]!])),
) as Readonly<Record<NativeFieldName, NativeFieldKind>>;

/** Where each value sits in `slots` (native/core/addon.cc, TCPKA_SLOTS). */
export const SLOT = binding.slotIndex;
const slots = binding.slots;

/** Throws the system error a failed native call (rc < 0) reported. */
export function throwIfFailed(rc: number, caller: Function): void {
  if (rc < 0) throw nativeError(rc, caller);
}

export function nativeError(rc: number, caller?: Function) {
  return systemError(rc, binding.syscalls[slots[SLOT.failedSyscall]!] ?? 'unknown', caller);
}

/** The system defaults (net)systemDefaults() just wrote to `slots`. */
export function defaultsFromSlots(source: string): SystemDefaults {
  return { idle: slots[SLOT.defaultsIdle]!, interval: slots[SLOT.defaultsInterval]!, count: slots[SLOT.defaultsCount]!, source };
}

export { slots };
