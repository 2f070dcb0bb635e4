// Finding and loading the native addon (a prebuild from prebuilds/ or a local
// build in build/, as node-gyp-build chooses), and the error that says what
// to do when no addon serves this platform. Imports Node and node-gyp-build only.
import fs from 'node:fs';
import path from 'node:path';
import nodeGypBuild from 'node-gyp-build';

/** The `code` of the error thrown when no addon serves this platform (docs/api.md). */
export const NO_ADDON = 'ERR_TCP_KEEPALIVE_NO_ADDON';

export interface NoAddonError extends Error {
  code: typeof NO_ADDON;
  /** Node's platform-arch, e.g. 'linux-x64'. */
  platform: string;
  /** On Linux, the C library whose build was looked for ('glibc' or 'musl'). */
  libc?: 'glibc' | 'musl';
  /** The directories searched, in order. */
  searched: string[];
  /** The addon that was found but failed to load, if any. */
  file?: string;
}

// node-gyp-build's own rule: LIBC names the C library, else Alpine means musl.
function libc(): 'glibc' | 'musl' | undefined {
  if (process.platform !== 'linux') return undefined;
  if (process.env.LIBC === 'musl' || process.env.LIBC === 'glibc') return process.env.LIBC;
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
}

const WHAT_TO_DO =
  'If the install script was skipped (--ignore-scripts), run `npm rebuild tcp-keepalive`; ' +
  'to build from source, install a C++ compiler and cmake, then `npm install --save-dev cmake-js node-addon-api` ' +
  'and `npm rebuild tcp-keepalive --build-from-source` (docs/install.md).';

function noAddonError(root: string, file: string | undefined, cause: unknown): NoAddonError {
  const platform = `${process.platform}-${process.arch}`;
  const c = libc();
  // node-gyp-build reads TCP_KEEPALIVE_PREBUILD as another place for prebuilds/.
  const prebuildRoot = process.env.TCP_KEEPALIVE_PREBUILD ?? root;
  const searched = [path.join(root, 'build', 'Release'), path.join(root, 'build', 'Debug'), path.join(prebuildRoot, 'prebuilds', platform)];
  const target = `${platform}${c ? ` (${c})` : ''}, Node ${process.version}`;
  const reason = (cause as Error | undefined)?.message?.split('\n')[0] ?? String(cause);
  const what = file
    ? `the tcp-keepalive native addon for ${target} failed to load from ${file}: ${reason}.`
    : `no tcp-keepalive native addon for ${target}: looked in ${searched.join(', ')}.`;
  const error = new Error(`${what} ${WHAT_TO_DO}`, { cause }) as NoAddonError;
  Object.defineProperty(error, 'code', { value: NO_ADDON, enumerable: true, writable: true, configurable: true });
  error.platform = platform;
  if (c) error.libc = c;
  error.searched = searched;
  if (file) error.file = file;
  return error;
}

/** The addon for this process, from `root` (the package's directory). */
export function loadAddon(root: string): unknown {
  let file: string;
  try {
    file = nodeGypBuild.resolve(root);
  } catch (cause) {
    throw noAddonError(root, undefined, cause);
  }
  try {
    return require(file);
  } catch (cause) {
    throw noAddonError(root, file, cause);
  }
}
