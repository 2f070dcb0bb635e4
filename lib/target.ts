// From what the caller passes (a socket, a server, a descriptor number) to the
// descriptor the kernel knows, or to "not yet": a socket still connecting or a
// server not yet listening.
import net from 'node:net';
import { invalidArgType, outOfRange, socketClosed } from './errors';

export type KeepaliveTarget = net.Socket | net.Server | number;

/** Returned by descriptorOf() for a socket or server that has no descriptor yet. */
export const NOT_YET = -1;

interface HandleOwner {
  _handle?: { fd?: number } | null;
}

// Node keeps the descriptor on the libuv handle (TCP, or TLSWrap, which
// forwards `fd` to the TCP handle under it) and offers no public accessor.
function handleFd(owner: HandleOwner): number {
  const fd = owner._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : NOT_YET;
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
  if (target instanceof net.Socket) {
    const fd = handleFd(target as unknown as HandleOwner);
    if (fd !== NOT_YET) return fd;
    if (target.destroyed) throw socketClosed(caller);
    return NOT_YET;
  }
  if (target instanceof net.Server) return target.listening ? handleFd(target as unknown as HandleOwner) : NOT_YET;
  throw invalidArgType('target', 'an instance of net.Socket or net.Server, or of type number', target, caller);
}
