// An independent view of the kernel: a Python process that gets the socket
// (inherited as descriptor 3 on Linux and macOS; on Windows a duplicate of the
// SOCKET handle) and calls getsockopt/setsockopt through CPython's own socket
// module, so that no assertion relies on the code under test.
//
// A field whose option this platform's Python does not define (TCP_USER_TIMEOUT
// outside Linux) reads as null: `readerHas` says which, and `onThisPlatform`
// turns a Linux-shaped expectation into this platform's.
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import net from 'node:net';
import { binding } from '../../lib/native';

export interface KernelKeepalive {
  keepalive: number;
  idle: number; // seconds
  interval: number; // seconds
  count: number;
  userTimeout: number; // ms
}
/** What the reader returns: null for a field this platform's Python cannot name. */
export type KernelRead = { [K in keyof KernelKeepalive]: KernelKeepalive[K] | null };

export interface KernelTcpInfo {
  /** The platform's own state number (Linux ESTABLISHED 1, macOS 4). */
  state: number;
  /** Unanswered keepalive probes; null where the platform's struct has none (macOS). */
  probes: number | null;
  bytesReceived: number;
  length: number;
}

/** Linux tcp_info, as a session reads it (see openKernelSession). */
export interface KernelTcpInfoLinux extends KernelTcpInfo {
  probes: number;
  /** Segments sent and not yet acknowledged (tcpi_unacked). */
  unacked: number;
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
// The reader is not code under test: npm run test:asan's preloaded sanitizer
// runtime would only slow it down.
const READER_ENV = { ...process.env };
delete READER_ENV.LD_PRELOAD;

type Target = net.Socket | net.Server | number;

export function fdOf(socket: Target): number {
  if (typeof socket === 'number') return socket;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no descriptor');
  return fd;
}

/** Windows: the SOCKET behind a Node socket or server, found by its addresses. */
function windowsSocket(target: Target): number {
  if (typeof target === 'number') return target;
  const family = (name: string | number | undefined) => (name === 'IPv6' || name === 6 ? 6 : 4);
  let rc: number;
  if (target instanceof net.Server) {
    const address = target.address() as net.AddressInfo;
    rc = binding.findSocket!(family(address.family), address.address, address.port, 0, '', 0, 0);
  } else {
    const f = family(target.remoteFamily);
    rc = binding.findSocket!(f, target.localAddress!, target.localPort!, f, target.remoteAddress!, target.remotePort!, 0);
  }
  if (rc < 0) throw new Error(`no SOCKET found for the target (${rc})`);
  return rc;
}

function run<T>(target: Target | null, op: Record<string, unknown>): T {
  let stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
  if (target !== null && binding.findSocket) Object.assign(op, { socket: windowsSocket(target), pid: process.pid });
  else if (target !== null) stdio = ['ignore', 'pipe', 'pipe', fdOf(target)];
  const result = spawnSync(PYTHON, [READER, JSON.stringify(op)], { stdio, encoding: 'utf8', env: READER_ENV });
  if (result.status !== 0) throw new Error(`independent reader failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * Linux: a reader that holds duplicates of sockets of other processes from its start: reads
 * answer at once (no process to start) and still work after a process closed its socket.
 */
export interface KernelSession {
  tcpInfo(): Promise<KernelTcpInfoLinux[]>;
  keepalive(): Promise<KernelKeepalive[]>;
  close(): void;
}

export async function openKernelSession(targets: readonly RemoteSocket[]): Promise<KernelSession> {
  const child = spawn(PYTHON, [READER, JSON.stringify({ do: 'session', targets })], { stdio: ['pipe', 'pipe', 'pipe'], env: READER_ENV });
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
    tcpInfo: () => ask<KernelTcpInfoLinux[]>({ do: 'tcpinfo' }),
    keepalive: () => ask<KernelKeepalive[]>({ do: 'read' }),
    close: () => child.stdin.end(),
  };
}

let options: Record<keyof KernelKeepalive, boolean> | undefined;

/** Whether the reader can read and write `field` here (Python defines its option). */
export function readerHas(field: keyof KernelKeepalive): boolean {
  const known = (options ??= run<Record<keyof KernelKeepalive, boolean>>(null, { do: 'options' }));
  return known[field];
}

/** `values` as the reader reports them here: fields it cannot read become null. */
export function onThisPlatform<T extends Partial<KernelKeepalive>>(values: T): { [K in keyof T]: T[K] | null } {
  const out = { ...values } as { [K in keyof T]: T[K] | null };
  for (const field of Object.keys(values) as (keyof KernelKeepalive & keyof T)[]) {
    if (!readerHas(field)) out[field] = null;
  }
  return out;
}

/** `values` without the fields the reader cannot write here (a preset for kernelWrite). */
export function writable<T extends Partial<KernelKeepalive>>(values: T): Partial<T> {
  const out: Partial<T> = {};
  for (const field of Object.keys(values) as (keyof KernelKeepalive & keyof T)[]) {
    if (readerHas(field)) out[field] = values[field];
  }
  return out;
}

/** What getKeepalive() should say for a kernel read: ms for times, null where unread. */
export function stateOf(kernel: KernelRead): { enable: boolean; idle: number | null; interval: number | null; count: number | null; userTimeout: number | null } {
  const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1_000);
  return { enable: kernel.keepalive === 1, idle: ms(kernel.idle), interval: ms(kernel.interval), count: kernel.count, userTimeout: kernel.userTimeout };
}

/** Keepalive options as the kernel holds them, in the kernel's own units. */
export function kernelKeepalive(target: Target): KernelRead {
  return run(target, { do: 'read' });
}

/** Sets options behind the library's back (kernel units), then reads all. */
export function kernelWrite(target: Target, values: Partial<KernelKeepalive>): KernelRead {
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
