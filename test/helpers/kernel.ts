// An independent view of the kernel: a Python process that inherits the
// socket's descriptor and calls getsockopt/setsockopt through CPython's own
// socket module, so that no assertion relies on the code under test.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type net from 'node:net';

export interface KernelKeepalive {
  keepalive: number;
  idle: number; // seconds
  interval: number; // seconds
  count: number;
  userTimeout: number; // ms
}

export interface KernelTcpInfo {
  state: number;
  probes: number;
  /** Segments sent and not yet acknowledged (tcpi_unacked). */
  unacked: number;
  bytesReceived: number;
  length: number;
  /** Date.now() of the moment the kernel last heard from the peer (last data or ACK). */
  lastPacketAt: number;
  /** Local port (TCP), to tell the connection read from a successor reusing its descriptor. */
  localPort: number | null;
}

/** Descriptor `fd` of another process (read through a pidfd_getfd duplicate). */
export interface RemoteSocket {
  readonly pid: number;
  readonly fd: number;
}

const PYTHON = process.env.PYTHON ?? 'python3';

const READER = path.join(__dirname, 'kernel-reader.py');

export function fdOf(socket: net.Socket | net.Server | number): number {
  if (typeof socket === 'number') return socket;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no descriptor');
  return fd;
}

type Target = net.Socket | net.Server | number | RemoteSocket;

const isRemote = (target: Target): target is RemoteSocket =>
  typeof target === 'object' && 'pid' in target && typeof target.pid === 'number';

function spawnReader<T>(op: object, fd?: number): T {
  const result = spawnSync(PYTHON, [READER, JSON.stringify(op)], {
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', fd],
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`independent reader failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as T;
}

function run<T>(target: Target, op: object): T {
  if (isRemote(target)) return spawnReader<T[]>({ ...op, targets: [target] })[0]!;
  return spawnReader<T>(op, fdOf(target));
}

/** tcp_info of several sockets of other processes, read by one reader at (nearly) one moment. */
export function kernelTcpInfoMany(targets: readonly RemoteSocket[]): KernelTcpInfo[] {
  return targets.length === 0 ? [] : spawnReader<KernelTcpInfo[]>({ do: 'tcpinfo', targets });
}

/** Keepalive options as the kernel holds them, in the kernel's own units. */
export function kernelKeepalive(target: Target): KernelKeepalive {
  return run(target, { do: 'read' });
}

/** Sets options behind the library's back (kernel units), then reads all. */
export function kernelWrite(target: net.Socket | net.Server | number, values: Partial<KernelKeepalive>): KernelKeepalive {
  return run(target, { do: 'write', values });
}

export function kernelTcpInfo(target: net.Socket | number | RemoteSocket): KernelTcpInfo {
  return run(target, { do: 'tcpinfo' });
}

export function kernelInt(target: net.Socket | number | RemoteSocket, level: number, name: number): number {
  return run(target, { do: 'int', level, name });
}
