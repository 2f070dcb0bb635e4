// An independent view of the kernel: a Python process that inherits the
// socket's descriptor and calls getsockopt/setsockopt through CPython's own
// socket module, so that no assertion relies on the code under test.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
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
  /** Local port (TCP), null for other families. */
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

function run<T>(target: net.Socket | net.Server | number, op: object): T {
  const result = spawnSync(PYTHON, [READER, JSON.stringify(op)], {
    stdio: ['ignore', 'pipe', 'pipe', fdOf(target)],
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`independent reader failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * A reader that holds duplicates of sockets of other processes from its start: reads answer
 * at once (no process to start) and still work after a process closed its socket.
 */
export interface KernelSession {
  tcpInfo(): Promise<KernelTcpInfo[]>;
  keepalive(): Promise<KernelKeepalive[]>;
  close(): void;
}

export async function openKernelSession(targets: readonly RemoteSocket[]): Promise<KernelSession> {
  const child = spawn(PYTHON, [READER, JSON.stringify({ do: 'session', targets })], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  const failAll = (why: string): void => {
    for (const w of waiting.splice(0)) w.reject(new Error(`independent reader session: ${why}${stderr ? `: ${stderr}` : ''}`));
  };
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('close', (code) => failAll(`exited (${code})`));
  child.on('error', (err) => failAll(err.message));
  const next = <T>(): Promise<T> => new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as (v: unknown) => void, reject }));
  const ask = <T>(op: object): Promise<T> => {
    const answer = next<T>();
    child.stdin.write(`${JSON.stringify(op)}\n`);
    return answer;
  };
  await next<string>();
  return {
    tcpInfo: () => ask<KernelTcpInfo[]>({ do: 'tcpinfo' }),
    keepalive: () => ask<KernelKeepalive[]>({ do: 'read' }),
    close: () => child.stdin.end(),
  };
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
