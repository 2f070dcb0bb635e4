// lib/diagnostics/ against the kernel: the sock_diag table agrees with
// /proc/net/tcp (read independently, test/helpers/procnet.ts) and with
// getsockopt, filters by port in the kernel, and the reads of another
// process's sockets agree with what that process holds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync } from 'node:fs';
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { diagnostics, openProcess, processKeepalive, processSockets, socketInode, SocketTable } from '../../lib/diagnostics';
import { getTcpInfo, setKeepalive } from '../../lib/index';
import { kernelKeepalive, fdOf } from '../helpers/kernel';
import { closeAll, connectedPair, portOf } from '../helpers/loopback';
import { needs } from '../helpers/platform';
import { readProcTcp } from '../helpers/procnet';

afterEach(closeAll);

needs('socketTable', 'procNet').describe('the socket table (sock_diag)', () => {
  it('is a capability of this addon', () => {
    expect(diagnostics).toMatchObject({ socketTable: true, processSockets: true, packetCapture: true, namespaceDefaults: true });
  });

  it('lists a connection as /proc/net/tcp does, with its keepalive timer and TCP_INFO', async () => {
    const { server, client, accepted } = await connectedPair();
    setKeepalive(client, { enable: true, idle: 30_000, interval: 5_000, count: 3 });
    const table = SocketTable.open();
    try {
      // Both ports: an ephemeral port may also name someone's TIME_WAIT socket.
      const records = table.dump({ localPort: client.localPort!, remotePort: portOf(server) });
      expect(records).toHaveLength(1);
      const [record] = records;
      const proc = readProcTcp().get(record!.inode)!;
      expect(record!.inode).toBe(socketInode(client));
      expect(record).toMatchObject({
        family: 4,
        state: 'ESTABLISHED',
        localAddress: '127.0.0.1',
        localPort: client.localPort,
        remoteAddress: '127.0.0.1',
        remotePort: portOf(server),
        timer: 'keepalive',
        probesOut: 0,
      });
      expect(proc).toMatchObject({ localPort: record!.localPort, remotePort: record!.remotePort, state: record!.state, timer: 'keepalive' });
      // Both read the same timer a moment apart; /proc/net/tcp in 10 ms steps.
      expect(Math.abs(record!.timerLeftMs - proc.timerLeftMs)).toBeLessThan(500);
      expect(record!.timerLeftMs).toBeGreaterThan(25_000);
      expect(record!.timerLeftMs).toBeLessThanOrEqual(30_000);
      const info = getTcpInfo(client);
      expect(record!.info).toMatchObject({ state: info.state, probes: info.probes, bytesReceived: info.bytesReceived, segsOut: info.segsOut });
      // The listener and the accepted end share the server's port.
      const serverSide = table.dump({ localPort: portOf(server) }).filter((r) => r.state !== 'TIME_WAIT');
      expect(serverSide.map((r) => r.state).sort()).toEqual(['ESTABLISHED', 'LISTEN']);
      expect(serverSide.find((r) => r.state === 'ESTABLISHED')!.inode).toBe(socketInode(accepted));
      // Inodes asked for, and only those, are found.
      const wanted = table.find({}, new Set([socketInode(accepted)!, socketInode(client)!]));
      expect([...wanted.keys()].sort()).toEqual([socketInode(accepted), socketInode(client)].sort());
    } finally {
      table.close();
    }
  });

  it('reads IPv6 addresses', async () => {
    const { server, client } = await connectedPair('::1');
    const table = SocketTable.open();
    try {
      expect(table.dump({ localPort: client.localPort!, remotePort: portOf(server) })).toEqual([expect.objectContaining({ family: 6, localAddress: '::1', remoteAddress: '::1' })]);
    } finally {
      table.close();
    }
  });

  it('grows its buffer for more sockets than it first had room for', async () => {
    // A backlog with room for every client: with Node's default (511) the
    // accept queue overflows on a busy machine, the kernel drops the final
    // ACK and keeps the server's side in SYN_RECV, retrying with backoff, while
    // the client already reports 'connect'. So the test also waits until the
    // server has accepted them all.
    const server = net.createServer().listen({ port: 0, host: '127.0.0.1', backlog: 2048 });
    await once(server, 'listening');
    let accepted = 0;
    const allAccepted = new Promise<void>((resolve) => {
      server.on('connection', () => {
        if (++accepted === 1500) resolve();
      });
    });
    const clients = await Promise.all(Array.from({ length: 1500 }, async () => {
      const socket = net.connect(portOf(server), '127.0.0.1');
      await once(socket, 'connect');
      return socket;
    }));
    await allAccepted;
    const table = SocketTable.open();
    try {
      // 1500 clients, 1500 accepted ends and the listener.
      expect(table.dump({ localPort: portOf(server) }).filter((r) => r.state !== 'TIME_WAIT')).toHaveLength(1501);
    } finally {
      table.close();
      for (const socket of clients) socket.destroy();
      server.close();
    }
  });
});

needs('processSockets').describe("another process's sockets", () => {
  it('lists its socket descriptors and reads their keepalive settings as the kernel holds them', async () => {
    const { client } = await connectedPair();
    setKeepalive(client, { enable: true, idle: 42_000, interval: 7_000, count: 4 });
    // This process stands in for "another": pidfd_getfd works on itself.
    const sockets = processSockets(process.pid);
    const fd = fdOf(client);
    expect(sockets.get(fd)).toBe(fstatSync(fd).ino);
    const pidfd = openProcess(process.pid);
    try {
      const [state, closed] = processKeepalive(pidfd, [fd, 1_000_000]);
      const kernel = kernelKeepalive(client);
      expect(state).toMatchObject({ enable: kernel.keepalive === 1, idle: kernel.idle! * 1000, interval: kernel.interval! * 1000, count: kernel.count });
      expect(closed).toMatchObject({ code: 'EBADF', syscall: 'pidfd_getfd' });
    } finally {
      closeSync(pidfd);
    }
  });

  it('a process that does not exist: ENOENT', () => {
    const child = spawn(process.execPath, ['-e', '0']);
    return once(child, 'exit').then(() => {
      expect(() => processSockets(child.pid!)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    });
  });
});
