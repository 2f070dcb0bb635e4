// Helpers for the Windows suite, which runs inside the Windows node.exe under
// Wine (tools/windows/test.ts). Real loopback connections, and an independent
// view of the kernel: the Linux socket behind each Wine SOCKET, read from the
// Linux side by test/helpers/kernel-oracle.py (pidfd_getfd + CPython's socket
// module), never through the code under test.
//
// On real Windows (CI's windows runners) there is no oracle: the values are
// read with plain getsockopt of TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT
// (Windows 10 1709+) through getSockOpt, which shares none of the keepalive
// back end's logic. `oracle` says which view a run has.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { constants, getSockOpt, setSockOpt } from '../../lib/index';

/** Keepalive options as the Linux kernel holds them, in its own units. */
export interface KernelKeepalive {
  keepalive: number;
  idle: number; // seconds
  interval: number; // seconds
  count: number;
  userTimeout: number; // ms
}

const ORACLE = process.env.TKA_ORACLE_PORT;

type Endpoint = [string, number];

function endpoints(target: net.Socket | net.Server): { local: Endpoint; remote: Endpoint | null } {
  if (target instanceof net.Server) {
    const address = target.address() as net.AddressInfo;
    return { local: [address.address, address.port], remote: null };
  }
  return { local: [target.localAddress!, target.localPort!], remote: [target.remoteAddress!, target.remotePort!] };
}

async function ask<T>(op: object): Promise<T> {
  const body = JSON.stringify(op);
  const request = http.request({ host: '127.0.0.1', port: Number(ORACLE), method: 'POST', path: '/', agent: false, headers: { 'content-length': Buffer.byteLength(body) } });
  request.end(body);
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  let text = '';
  for await (const chunk of response) text += chunk;
  const reply = JSON.parse(text) as { ok?: T; error?: string };
  if (reply.error !== undefined) throw new Error(`kernel oracle: ${reply.error}`);
  return reply.ok as T;
}

/** True under Wine with the Linux-side oracle; false on real Windows. */
export const oracle = ORACLE !== undefined;

function readInProcess(target: net.Socket | net.Server): KernelKeepalive {
  const { SOL_SOCKET, SO_KEEPALIVE, IPPROTO_TCP, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT } = constants;
  return {
    keepalive: getSockOpt(target, SOL_SOCKET!, SO_KEEPALIVE!, 'bool') ? 1 : 0,
    idle: getSockOpt(target, IPPROTO_TCP!, TCP_KEEPIDLE!, 'int'),
    interval: getSockOpt(target, IPPROTO_TCP!, TCP_KEEPINTVL!, 'int'),
    count: getSockOpt(target, IPPROTO_TCP!, TCP_KEEPCNT!, 'int'),
    userTimeout: 0,
  };
}

/** What the kernel holds for the socket behind `target`. */
export async function kernelKeepalive(target: net.Socket | net.Server): Promise<KernelKeepalive> {
  if (!oracle) return readInProcess(target);
  return ask({ do: 'read', ...endpoints(target) });
}

/** Sets options behind the library's back (kernel units), then reads all. */
export async function kernelWrite(target: net.Socket | net.Server, values: Partial<KernelKeepalive>): Promise<KernelKeepalive> {
  if (!oracle) {
    const { SOL_SOCKET, SO_KEEPALIVE, IPPROTO_TCP, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT } = constants;
    if (values.idle !== undefined) setSockOpt(target, IPPROTO_TCP!, TCP_KEEPIDLE!, values.idle, 'int');
    if (values.interval !== undefined) setSockOpt(target, IPPROTO_TCP!, TCP_KEEPINTVL!, values.interval, 'int');
    if (values.count !== undefined) setSockOpt(target, IPPROTO_TCP!, TCP_KEEPCNT!, values.count, 'int');
    if (values.keepalive !== undefined) setSockOpt(target, SOL_SOCKET!, SO_KEEPALIVE!, values.keepalive === 1, 'bool');
    return readInProcess(target);
  }
  return ask({ do: 'write', values, ...endpoints(target) });
}

// Connections, servers and TLS: the main suite's helpers (test/helpers/loopback.ts).
export { accept, closeAll, connectedPair, listen, portOf, REPO, tlsOptions, track, type Pair } from './loopback';

/** Runs `fn` and returns what it threw (fails if it did not throw). */
export function thrown(fn: () => unknown): Error & { code?: string; errno?: number; syscall?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
