// The slow look at every connection, for the status: one read of the
// kernel's socket table per watched port (sock_diag, filtered by port in the
// kernel, like `ss`), so other sockets on the host cost nothing. A connection
// whose record shows no change since the last read is not decoded again; one
// the table cannot give reads its own TCP_INFO.
import { diagnostics, SocketTable } from '../../diagnostics';
import type net from 'node:net';
import type { Sample, TimerReading } from './ledger';

/** A watched connection as the slow look reads it (a LookedAt). */
export interface LookedAt {
  readonly inode: number | null;
  readonly socket: Pick<net.Socket, 'localPort'>;
  look(now: number, sample?: Sample | 'unchanged' | null, timer?: TimerReading | null): void;
}

export class SlowLook {
  private table: SocketTable | null = null;
  /** What each connection's record showed at the last read of the table. */
  private readonly fingerprints = new WeakMap<LookedAt, number>();

  /** Opens the socket table where there is one (TCP_INFO per connection otherwise). */
  open(): void {
    if (this.table || !diagnostics.socketTable) return;
    try {
      this.table = SocketTable.open();
    } catch {
      this.table = null; // TCP_INFO per connection instead
    }
  }

  close(): void {
    this.table?.close();
    this.table = null;
  }

  /** Looks at every watcher. */
  lookAtAll(watchers: readonly LookedAt[], now: number): void {
    const byPort = new Map<number, LookedAt[]>();
    for (const watcher of watchers) {
      if (watcher.inode === null) continue;
      const port = watcher.socket.localPort ?? 0;
      const group = byPort.get(port);
      if (group) group.push(watcher);
      else byPort.set(port, [watcher]);
    }
    const looked = new Set<LookedAt>();
    try {
      for (const [port, group] of this.table ? byPort : []) {
        const readAt = Date.now();
        const table = this.table!;
        const indexes = table.find({ localPort: port }, new Set(group.map((watcher) => watcher.inode!)));
        for (const watcher of group) {
          const index = indexes.get(watcher.inode!);
          if (index === undefined) continue;
          looked.add(watcher);
          const timer = table.timerOf(index, readAt);
          const fingerprint = table.fingerprint(index);
          if (this.fingerprints.get(watcher) === fingerprint) {
            watcher.look(now, 'unchanged', timer);
          } else {
            this.fingerprints.set(watcher, fingerprint);
            watcher.look(now, { info: table.tcpInfo(index), at: readAt }, timer);
          }
        }
      }
    } catch {
      this.close(); // TCP_INFO per connection from now on
    }
    for (const watcher of watchers) if (!looked.has(watcher)) watcher.look(now);
  }
}
