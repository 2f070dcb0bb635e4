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
  bytesReceived: number;
  length: number;
}

const PYTHON = process.env.PYTHON ?? 'python3';

const READER = path.join(__dirname, 'kernel-reader.py');
// The reader is not code under test: npm run test:asan's preloaded sanitizer
// runtime would only slow it down.
const READER_ENV = { ...process.env };
delete READER_ENV.LD_PRELOAD;

export function fdOf(socket: net.Socket | net.Server | number): number {
  if (typeof socket === 'number') return socket;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no descriptor');
  return fd;
}

function run<T>(target: net.Socket | net.Server | number, op: object): T {
  const result = spawnSync(PYTHON, [READER, JSON.stringify(op)], {
    stdio: ['ignore', 'pipe', 'pipe', fdOf(target)],
    encoding: 'utf8',
    env: READER_ENV,
  });
  if (result.status !== 0) throw new Error(`independent reader failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as T;
}

/** Keepalive options as the kernel holds them, in the kernel's own units. */
export function kernelKeepalive(target: net.Socket | net.Server | number): KernelKeepalive {
  return run(target, { do: 'read' });
}

/** Sets options behind the library's back (kernel units), then reads all. */
export function kernelWrite(target: net.Socket | net.Server | number, values: Partial<KernelKeepalive>): KernelKeepalive {
  return run(target, { do: 'write', values });
}

export function kernelTcpInfo(target: net.Socket | number): KernelTcpInfo {
  return run(target, { do: 'tcpinfo' });
}

export function kernelInt(target: net.Socket | number, level: number, name: number): number {
  return run(target, { do: 'int', level, name });
}

/** getsockopt with a `length`-byte buffer, as CPython does it. */
export function kernelBytes(target: net.Socket | number, level: number, name: number, length: number): Buffer {
  return Buffer.from(run<string>(target, { do: 'bytes', level, name, length }), 'hex');
}

/** setsockopt with these bytes, behind the library's back. */
export function kernelSetBytes(target: net.Socket | number, level: number, name: number, bytes: Uint8Array): void {
  run(target, { do: 'setbytes', level, name, hex: Buffer.from(bytes).toString('hex') });
}

/** Attaches a classic BPF filter of `instructions` instructions that accepts everything (Linux). */
export function kernelAttachFilter(target: net.Socket | number, instructions: number): void {
  run(target, { do: 'attach-filter', instructions });
}

/** The attached socket filter's length in instructions, 0 for none (Linux). */
export function kernelFilterLength(target: net.Socket | number): number {
  return run(target, { do: 'filter-length' });
}
