// How the parts call the addon's diagnostics: a missing capability and a
// failed call become Node-style errors.
import { nativeError } from '../native';

export function unsupported(what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${what} is not available on this system`), { code: 'ENOTSUP' });
}

/** Throws the Node-style system error of a failed call, else returns its value. */
export function checked(rc: number): number {
  if (rc < 0) throw nativeError(rc);
  return rc;
}
