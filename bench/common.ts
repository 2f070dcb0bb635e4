// What every part of the bench shares: the package under test, the peers,
// the configuration all cases apply, and a loopback connection to apply it to.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import * as ka from 'tcp-keepalive';
import type { Binding } from '../binding';

/** The package root: this file runs from build/bench/. */
export const ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const BUILD_DIR = path.join(ROOT, 'build', 'bench');

export { ka };

/** A TCP option number the benchmark needs; it runs on Linux, where each of these is defined. */
export function tcpOption(name: 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT' | 'TCP_USER_TIMEOUT'): number {
  const value = ka.constants[name];
  if (value === undefined) throw new Error(`the benchmark needs ${name}, which this platform does not define`);
  return value;
}

/**
 * The addon the library loaded (node-gyp-build returns the cached module), for
 * the rows that split the library's cost into its JavaScript and native parts.
 */
export const binding: Binding = createRequire(path.join(ROOT, 'package.json'))('node-gyp-build')(ROOT);

/** What every setter applies; idle alternates so that no layer can skip a call. */
export const IDLE_MS = [60_000, 61_000] as const;
export const INTERVAL_MS = 5_000;
export const COUNT = 4;
/** The binding's field mask for enable + idle + interval + count. */
export const FIELDS_ENABLE_IDLE_INTERVAL_COUNT = 0b1111;

export interface SockoptModule {
  getsockopt(socket: net.Socket | net.Server, level: number, name: number): number;
  setsockopt(socket: net.Socket | net.Server, level: number, name: number, value: number): void;
}

export interface NetKeepaliveModule {
  setKeepAliveInterval(socket: net.Socket, msecs: number): boolean;
  getKeepAliveInterval(socket: net.Socket): number;
  setKeepAliveProbes(socket: net.Socket, count: number): boolean;
  getKeepAliveProbes(socket: net.Socket): number;
  getUserTimeout(socket: net.Socket): number;
}

export interface Peers {
  sockopt: SockoptModule;
  netKeepalive: NetKeepaliveModule;
  versions: Record<string, string>;
}

/**
 * The peers from bench/node_modules (bench/package.json), which are neither
 * runtime nor dev dependencies of the package.
 */
export function loadPeers(): Peers {
  const requireFromBench = createRequire(path.join(BENCH_DIR, 'package.json'));
  const versions: Record<string, string> = {};
  const load = <T>(name: string): T => {
    try {
      versions[name] = (requireFromBench(`${name}/package.json`) as { version: string }).version;
      return requireFromBench(name) as T;
    } catch (error) {
      throw new Error(`peer '${name}' is not installed: run \`npm ci --prefix bench\` (${(error as Error).message})`);
    }
  };
  return { sockopt: load<SockoptModule>('sockopt'), netKeepalive: load<NetKeepaliveModule>('net-keepalive'), versions };
}

export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface Loopback {
  server: net.Server;
  /** The connected client end: the socket every per-socket case works on. */
  client: net.Socket;
  accepted: net.Socket;
  fd: number;
  serverFd: number;
}

/** The descriptor Node keeps on the libuv handle (no public accessor). */
export function fdOf(owner: net.Socket | net.Server): number {
  const fd = (owner as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no file descriptor');
  return fd;
}

/** A connected pair on 127.0.0.1 (this machine's localhost has no ::1). */
export async function openLoopback(): Promise<Loopback> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [socket] = await accepted;
  return { server, client, accepted: socket, fd: fdOf(client), serverFd: fdOf(server) };
}

export function closeLoopback(loopback: Loopback): void {
  loopback.client.destroy();
  loopback.accepted.destroy();
  loopback.server.close();
}

/** Forces full collections; the bench runs node with --expose-gc. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc');
  gc();
  gc();
}

/**
 * Raises this process's own open-file limit (children inherit it) when the
 * connections need more: prlimit on our own pid, never system-wide.
 */
export function ensureFdLimit(needed: number, log: (line: string) => void): number {
  const limit = (flag: string): number => Number(execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim());
  const soft = limit('-Sn');
  if (Number.isNaN(soft) || soft >= needed) return Number.isNaN(soft) ? Infinity : soft;
  const hard = limit('-Hn');
  const value = Number.isNaN(hard) || hard >= needed ? `${needed}:` : `${needed}:${needed}`;
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${value}`]);
  const raised = limit('-Sn');
  if (raised < needed) throw new Error(`open-file limit ${raised} < ${needed}; run with \`ulimit -n ${needed}\``);
  log(`  open-file limit raised from ${soft} to ${raised} for this process`);
  return raised;
}
