// Sockets of processes: this process's socket inodes (which name them in
// the kernel's tables), another process's sockets read through duplicates
// (pidfd_getfd; native/diagnostics/linux/process.cc), and the defaults inside another
// network namespace.
import { closeSync, fstatSync, openSync } from 'node:fs';
import type * as net from 'node:net';
import { systemError } from '../errors';
import { keepaliveFromSlots } from '../keepalive';
import { binding, defaultsFromSlots, nativeError } from '../native';
import { descriptorOf } from '../target';
import type { KeepaliveState, SystemDefaults } from '../types';
import { checked, unsupported } from './calls';

/** The socket's inode, which names it in the kernel's tables; null if it has none. */
export function socketInode(socket: net.Socket): number | null {
  try {
    return fstatSync(descriptorOf(socket, socketInode)).ino;
  } catch {
    return null;
  }
}

/** pidfd_open(2); throws ESRCH, EPERM, ENOSYS as Node-style errors. */
export function openProcess(pid: number): number {
  if (!binding.pidfdOpen) throw unsupported("reading another process's sockets (pidfd_getfd)");
  return checked(binding.pidfdOpen(pid));
}

/** pidfd_getfd(2): this process's duplicate of the process's descriptor `fd`. */
export function duplicateDescriptor(pidfd: number, fd: number): number {
  return checked(binding.pidfdGetfd!(pidfd, fd));
}

/**
 * The socket descriptors of process `pid` and their inodes, in descriptor
 * order, as `ss -p` finds them in /proc/PID/fd (ENOENT: no such process,
 * EACCES: no ptrace rights).
 */
export function processSockets(pid: number): Map<number, number> {
  if (!binding.processSockets) throw unsupported("reading another process's sockets");
  const pairs = binding.processSockets(pid);
  if (typeof pairs === 'number') throw nativeError(pairs);
  const sockets = new Map<number, number>();
  for (let i = 0; i < pairs.length; i += 2) sockets.set(pairs[i]!, pairs[i + 1]!);
  return sockets;
}

/**
 * The keepalive settings of many descriptors of the process behind `pidfd`,
 * in one call into the addon: a state, or the Node-style error of that
 * descriptor (EBADF if it was closed meanwhile, ENOTSUP if not TCP).
 */
export function processKeepalive(pidfd: number, fds: readonly number[]): (KeepaliveState | NodeJS.ErrnoException)[] {
  const size = binding.processKeepaliveSlots!;
  const slots = new Float64Array(fds.length * size);
  binding.processKeepalive!(pidfd, Int32Array.from(fds), slots);
  return fds.map((_, i) => {
    const rc = slots[i * size]!;
    return rc < 0 ? systemError(rc, binding.syscalls[slots[i * size + 1]!] ?? 'unknown') : keepaliveFromSlots(slots, i * size + 2);
  });
}

/**
 * The defaults inside the namespace behind `path` (/proc/PID/ns/net or
 * /run/netns/NAME); null where that cannot be read (no such namespaces
 * here, no CAP_SYS_ADMIN, the namespace is gone).
 */
export function systemDefaultsIn(path: string): SystemDefaults | null {
  const read = binding.netnsSystemDefaults;
  if (!read) return null;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const source = read(fd);
    if (typeof source === 'number') return null;
    return defaultsFromSlots(source);
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
