// From what the caller passes (a socket, a server, a descriptor number) to the
// descriptor the kernel knows, or to "not yet": a socket still connecting or a
// server not yet listening.
import * as net from 'node:net';
import { types } from 'node:util';
import { descriptorUnavailable, invalidArgType, outOfRange, socketClosed, systemError } from './errors';
import { binding, nativeError } from './native';

export type KeepaliveTarget = net.Socket | net.Server | number;

/** Returned by descriptorOf() for a socket or server that has no descriptor yet. */
export const NOT_YET = -1;

interface HandleOwner {
  _handle?: { fd?: number; fdForIpc?: () => number } | null;
}

// Node keeps the descriptor on the libuv handle (TCP, or TLSWrap, which
// forwards `fd` to the TCP handle under it) and offers no public accessor.
// Deno's node:net handle has no `fd`; it hands out the same descriptor for
// passing the socket to a child process (fdForIpc).
function handleFd(owner: HandleOwner): number {
  const handle = owner._handle;
  let fd = handle?.fd;
  if (fd === undefined && typeof handle?.fdForIpc === 'function') {
    try {
      fd = handle.fdForIpc();
    } catch {
      fd = undefined;
    }
  }
  return typeof fd === 'number' && fd >= 0 ? fd : NOT_YET;
}

// Windows: Node reports `fd` -1 for every handle, so the SOCKET is found by
// the addon (native/win/socket_lookup.cc): it walks this thread's libuv loop
// through libuv's exported API and matches each TCP handle's addresses.
// A handle keeps its SOCKET for life, so each one is looked up once; the
// handle object is only used as a key, never looked into.
const findSocket = binding.findSocket;
const sockets = new WeakMap<object, number>();
const UV_ENOTSOCK = -4050; // libuv's number for ENOTSOCK on Windows

function family(name: string | number | undefined): number {
  return name === 'IPv6' || name === 6 ? 6 : 4;
}

function lookupSocket(target: net.Socket | net.Server, caller: Function): number {
  const key = (target as unknown as HandleOwner)._handle ?? target;
  const cached = sockets.get(key);
  if (cached !== undefined) return cached;
  let rc: number;
  if (target instanceof net.Server) {
    const address = target.address();
    // A pipe, or a cluster worker's stand-in handle: nothing of its own here.
    if (address === null || typeof address === 'string') return NOT_YET;
    rc = findSocket!(family(address.family), address.address, address.port, 0, '', 0, 0);
    if (rc < 0) return NOT_YET;
  } else {
    const { localAddress, localPort, remoteAddress, remotePort, remoteFamily } = target;
    // A named pipe (net.connect(path)) has no TCP addresses: not a socket.
    if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) {
      throw systemError(UV_ENOTSOCK, 'getsockname', caller);
    }
    const fam = family(remoteFamily);
    rc = findSocket!(fam, localAddress, localPort, fam, remoteAddress, remotePort, 0);
    if (rc < 0) throw nativeError(rc, caller);
  }
  sockets.set(key, rc);
  return rc;
}

/**
 * The descriptor behind `target`, NOT_YET for a socket still connecting or a
 * server not listening yet. Throws for a destroyed socket and for anything
 * that is not a socket, a server or a descriptor number.
 */
export function descriptorOf(target: unknown, caller: Function): number {
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < 0 || target > 2147483647) {
      throw outOfRange('target', 'a file descriptor (an integer >= 0 && <= 2147483647)', target, caller);
    }
    return target;
  }
  // A proxy can answer anything for `_handle.fd` (or throw, once revoked):
  // only the real object is trusted to name its descriptor.
  if (types.isProxy(target)) {
    throw invalidArgType('target', 'an instance of net.Socket or net.Server (not a Proxy), or of type number', target, caller);
  }
  if (target instanceof net.Socket) {
    const fd = handleFd(target as unknown as HandleOwner);
    if (fd !== NOT_YET) return fd;
    if (target.destroyed) throw socketClosed(caller);
    const settled = !target.connecting && (target as unknown as HandleOwner)._handle;
    if (settled && findSocket) return lookupSocket(target, caller);
    // Connected, yet no descriptor (a runtime whose handle exposes none):
    // an error, never a silent no-op.
    if (settled) throw descriptorUnavailable(caller);
    return NOT_YET;
  }
  if (target instanceof net.Server) {
    if (!target.listening) return NOT_YET;
    const fd = handleFd(target as unknown as HandleOwner);
    if (fd === NOT_YET && findSocket) return lookupSocket(target, caller);
    return fd;
  }
  throw invalidArgType('target', 'an instance of net.Socket or net.Server, or of type number', target, caller);
}
