// Loads the addon (a prebuild from prebuilds/ or the local build/, chosen by
// node-gyp-build) and turns its numeric results into objects and errors.
import path from 'node:path';
import nodeGypBuild from 'node-gyp-build';
import type { Binding, NativeFieldName } from '../binding';
import { systemError } from './errors';

// lib/ (sources under the test runner) and dist/ (the published build) are
// both one level below the package root. TCP_KEEPALIVE_ADDON names another
// build of the addon to load instead (npm run test:asan's sanitizer build).
const override = process.env.TCP_KEEPALIVE_ADDON;
export const binding = (override ? require(path.resolve(override)) : nodeGypBuild(path.join(__dirname, '..'))) as Binding;

export const FIELDS: readonly NativeFieldName[] = ['enable', 'idle', 'interval', 'count', 'userTimeout'];
export const FIELD_BIT: Readonly<Record<NativeFieldName, number>> = {
  enable: 1 << 0,
  idle: 1 << 1,
  interval: 1 << 2,
  count: 1 << 3,
  userTimeout: 1 << 4,
};

const results = binding.results;
const SYSCALL_SLOT = results.length - 1;

/** Throws the system error a failed native call (rc < 0) reported. */
export function throwIfFailed(rc: number, caller: Function): void {
  if (rc < 0) throw nativeError(rc, caller);
}

export function nativeError(rc: number, caller?: Function) {
  return systemError(rc, binding.syscalls[results[SYSCALL_SLOT]] ?? 'unknown', caller);
}

export { results };
