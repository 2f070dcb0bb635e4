// The prebuilds a published package carries: one file per platform, and on
// Linux one per C library (node-gyp-build loads a file tagged .glibc or .musl
// only under that libc, so a musl system never loads a glibc build).
// npm run prebuild makes them on Linux x64; npm pack refuses to run without
// them (check.ts); npm run test:packed -- --all checks each one.
import fs from 'node:fs';
import { describeBinary } from '../binary-format';

export interface Prebuild {
  /** Path under prebuilds/. */
  file: string;
  platform: 'linux' | 'darwin' | 'win32';
  arch: 'x64' | 'arm64';
  libc?: 'glibc' | 'musl';
}

export const PREBUILDS: readonly Prebuild[] = [
  { file: 'linux-x64/tcp-keepalive.glibc.node', platform: 'linux', arch: 'x64', libc: 'glibc' },
  { file: 'linux-x64/tcp-keepalive.musl.node', platform: 'linux', arch: 'x64', libc: 'musl' },
  { file: 'linux-arm64/tcp-keepalive.glibc.node', platform: 'linux', arch: 'arm64', libc: 'glibc' },
  { file: 'linux-arm64/tcp-keepalive.musl.node', platform: 'linux', arch: 'arm64', libc: 'musl' },
  { file: 'darwin-x64/tcp-keepalive.node', platform: 'darwin', arch: 'x64' },
  { file: 'darwin-arm64/tcp-keepalive.node', platform: 'darwin', arch: 'arm64' },
  { file: 'win32-x64/tcp-keepalive.node', platform: 'win32', arch: 'x64' },
];

/**
 * The C library an ELF addon links against, from the names in its dynamic
 * string table: glibc's versioned symbols (GLIBC_2.x) or musl's unversioned
 * libc.so. A musl build must link libc.so dynamically: a second, static libc
 * inside the addon would not share the process's heap and threads.
 */
export function linkedLibc(file: string): 'glibc' | 'musl' | 'none' {
  const bytes = fs.readFileSync(file);
  if (bytes.includes('GLIBC_2.')) return 'glibc';
  if (bytes.includes('\0libc.so\0') || bytes.includes('\0libc.musl-')) return 'musl';
  return 'none';
}

/** What is wrong with the prebuild at `path`, or undefined when it is what its name says. */
export function prebuildProblem(prebuild: Prebuild, path: string): string | undefined {
  if (!fs.existsSync(path)) return 'missing';
  const info = describeBinary(path);
  if (info.platform !== prebuild.platform || info.arch !== prebuild.arch || !info.shared) {
    return `is a ${info.format} ${info.platform}-${info.arch}${info.shared ? '' : ' (not a shared object)'} file`;
  }
  if (prebuild.libc && linkedLibc(path) !== prebuild.libc) return `links ${linkedLibc(path)}, not ${prebuild.libc}`;
  return undefined;
}
