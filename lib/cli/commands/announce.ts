// What every watching command (connect, listen, demo) says first: the
// connection, what was asked, what the kernel holds, the defaults, and where
// the packets come from. Shared by the commands, so it lives beside them.
import type net from 'node:net';
import { systemDefaults, type KeepaliveState, type SystemDefaults } from '../../index';
import type { Reporter } from '../terminal/output';
import { detectionTime } from './settings';

/** The system defaults, or null where they cannot be read. */
export function safeSystemDefaults(): SystemDefaults | null {
  try {
    return systemDefaults();
  } catch {
    return null;
  }
}

/** The `connected` event: the connection, what was asked and what the kernel holds. */
export function reportConnected(
  reporter: Reporter,
  event: 'connected' | 'connection',
  id: number | string,
  socket: net.Socket,
  asked: object | null,
  held: KeepaliveState,
  defaults: SystemDefaults | null,
  capture: { mode: 'packets' | 'inferred'; reason: string | null },
): void {
  reporter.event(
    event,
    {
      id,
      local: { address: socket.localAddress, port: socket.localPort },
      remote: { address: socket.remoteAddress, port: socket.remotePort },
      asked,
      keepalive: held,
      defaults,
      detection: detectionTime(held),
      capture,
      pid: process.pid,
    },
    null,
  );
}

/** What the capture's filter covers: one connection, or every connection to a server's port. */
export type CaptureScope = { readonly server: false } | { readonly server: true; readonly port: number };

export function captureLine(mode: 'packets' | 'inferred', reason: string | null, scope: CaptureScope = { server: false }): string {
  if (mode === 'inferred') return `packets: inferred from TCP_INFO, not captured (${reason ?? 'capture unavailable'})`;
  const filter = scope.server ? `BPF filter for port ${scope.port}: every connection to this server` : 'BPF filter for this connection';
  return `packets: captured on every interface (AF_PACKET socket, ${filter})`;
}
