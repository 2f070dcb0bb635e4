// setDefaultKeepalive(): every kind of connection the process makes or
// accepts, on loopback, each read back through the independent kernel reader.
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import * as undici from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, configureAgent, getDefaultKeepalive, setDefaultKeepalive, setKeepalive, type ConnectionInfo } from '../../lib/index';
import { kernelInt, kernelKeepalive } from '../helpers/kernel';
import { closeAll, listen, listenUnix, portOf, track } from '../helpers/loopback';

const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const DEFAULT = { idle: 17_000, interval: 3_000, count: 4 };
const EXPECTED = { keepalive: 1, idle: 17, interval: 3, count: 4 };
const tlsOptions = {
  key: fs.readFileSync(path.join(__dirname, '../fixtures/tls/key.pem')),
  cert: fs.readFileSync(path.join(__dirname, '../fixtures/tls/cert.pem')),
};
const originalProto = {
  connect: net.Socket.prototype.connect,
  setKeepAlive: net.Socket.prototype.setKeepAlive,
  _destroy: (net.Socket.prototype as unknown as { _destroy: unknown })._destroy,
};

afterEach(async () => {
  setDefaultKeepalive(null);
  await closeAll();
});

/** A server that records what it accepts, with the kernel's view of each read on arrival. */
async function recordingServer(server: net.Server = net.createServer()) {
  const accepted: net.Socket[] = [];
  server.on('secureConnection', (socket: net.Socket) => accepted.push(socket));
  server.on('connection', (socket: net.Socket) => {
    track(socket);
    if (!(server instanceof tls.Server)) accepted.push(socket);
  });
  await listen(server);
  const next = async (): Promise<net.Socket> => {
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    return accepted.shift()!;
  };
  return { server, port: portOf(server), next };
}

describe('setDefaultKeepalive', () => {
  it('net.connect(): the client end and the accepted end get the default', async () => {
    const { port, next } = await recordingServer();
    setDefaultKeepalive(DEFAULT);
    const client = track(net.connect(port, '127.0.0.1'));
    await once(client, 'connect');
    expect(kernelKeepalive(client)).toMatchObject(EXPECTED);
    expect(kernelKeepalive(await next())).toMatchObject(EXPECTED);
  });

  it("new net.Socket().connect() (pg's way), already in place for 'connect' listeners", async () => {
    const { port } = await recordingServer();
    setDefaultKeepalive(DEFAULT);
    const client = track(new net.Socket());
    const seen = new Promise((resolve) => client.on('connect', () => resolve(kernelKeepalive(client))));
    client.connect(port, '127.0.0.1');
    expect(await seen).toMatchObject(EXPECTED);
  });

  it('tls.connect() and a tls server', async () => {
    const { port, next } = await recordingServer(tls.createServer(tlsOptions));
    setDefaultKeepalive(DEFAULT);
    const client = track(tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }));
    await once(client, 'secureConnect');
    expect(kernelKeepalive(client)).toMatchObject(EXPECTED);
    expect(kernelKeepalive(await next())).toMatchObject(EXPECTED);
  });

  it("http and https agents: Node's keepSocketAlive() does not undo the default", async () => {
    for (const kind of ['http', 'https'] as const) {
      const handler: http.RequestListener = (_req, res) => res.end('hello');
      const server = kind === 'http' ? http.createServer({ keepAlive: true }, handler) : https.createServer(tlsOptions, handler);
      const { port, next } = await recordingServer(server);
      setDefaultKeepalive(DEFAULT);
      const agent = kind === 'http' ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true, rejectUnauthorized: false });
      let socket: net.Socket | undefined;
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve, reject) => {
          const request = (kind === 'http' ? http : https).get({ host: '127.0.0.1', port, agent }, (res) => {
            socket = res.socket as net.Socket;
            res.resume().on('end', resolve);
          });
          request.on('error', reject);
        });
        await new Promise((resolve) => setImmediate(resolve)); // back in the pool: setKeepAlive(true, 1000) ran
        expect(kernelKeepalive(socket!), `${kind} request ${i}`).toMatchObject(EXPECTED);
      }
      // http.createServer({ keepAlive: true }) calls setKeepAlive() in its 'connection' listener.
      expect(kernelKeepalive(await next()), `${kind} server`).toMatchObject(EXPECTED);
      agent.destroy();
      setDefaultKeepalive(null);
    }
  });

  it('undici and the global fetch', async () => {
    const { port, next } = await recordingServer(http.createServer((_req, res) => res.end('hi')));
    setDefaultKeepalive(DEFAULT);
    const agent = new undici.Agent();
    expect(await (await undici.request(`http://127.0.0.1:${port}/`, { dispatcher: agent })).body.text()).toBe('hi');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hi');
    // Both connections' accepted ends, then the client ends (undici keeps them to itself).
    const first = await next();
    const second = await next();
    for (const accepted of [first, second]) expect(kernelKeepalive(accepted)).toMatchObject(EXPECTED);
    const clients = clientEndsOf([first, second]);
    expect(clients).toHaveLength(2);
    for (const fd of clients) expect(kernelKeepalive(fd)).toMatchObject(EXPECTED);
    await agent.close();
  });

  it('Unix-domain sockets are left alone, without an error', async () => {
    setDefaultKeepalive(DEFAULT);
    const accepted: net.Socket[] = [];
    const { path: socketPath } = await listenUnix(net.createServer((socket) => {
      accepted.push(track(socket));
      socket.end('unix');
    }));
    const client = track(net.connect(socketPath));
    let data = '';
    client.on('data', (chunk) => (data += chunk));
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await once(client, 'end');
    expect({ data, errors }).toEqual({ data: 'unix', errors: [] });
    expect(kernelInt(accepted[0]!, SOL_SOCKET, SO_KEEPALIVE)).toBe(0);
  });

  it('connections open before the call are left alone', async () => {
    const { port, next } = await recordingServer();
    const before = track(net.connect(port, '127.0.0.1'));
    await once(before, 'connect');
    const acceptedBefore = await next();
    setDefaultKeepalive(DEFAULT);
    before.setKeepAlive(true, 2_000); // a library's own call later on
    expect(kernelKeepalive(before)).toMatchObject({ keepalive: 1, idle: 2, interval: 1, count: 10 });
    expect(kernelKeepalive(acceptedBefore)).toMatchObject({ keepalive: 0 });
  });

  it("a client library's later setKeepAlive() is followed by the default again", async () => {
    const { port } = await recordingServer();
    setDefaultKeepalive(DEFAULT);
    // ioredis, pg with keepAlive, mysql2: on connect, and before it (deferred by Node).
    const early = track(net.connect({ port, host: '127.0.0.1', keepAlive: true, keepAliveInitialDelay: 30_000 }));
    await once(early, 'connect');
    expect(kernelKeepalive(early)).toMatchObject(EXPECTED);
    early.setKeepAlive(true, 5_000);
    expect(kernelKeepalive(early)).toMatchObject(EXPECTED);
  });

  it('an explicit setKeepalive() from the application wins for that socket and server', async () => {
    const explicitServer = net.createServer();
    const { port, next } = await recordingServer(explicitServer);
    setDefaultKeepalive(DEFAULT);
    setKeepalive(explicitServer, { idle: 9_000, interval: 2_000, count: 2 });
    const client = track(net.connect(port, '127.0.0.1'));
    setKeepalive(client, { idle: 8_000, count: 6 });
    await once(client, 'connect');
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 8, count: 6 });
    client.setKeepAlive(true, 5_000); // the app's choice: not followed by the default
    expect(kernelKeepalive(client)).toMatchObject({ idle: 5, interval: 1, count: 10 });
    expect(kernelKeepalive(await next())).toMatchObject({ keepalive: 1, idle: 9, interval: 2, count: 2 });
  });

  it("configureAgent's options win over the default for that agent's sockets", async () => {
    const { port } = await recordingServer(http.createServer((_req, res) => res.end('ok')));
    setDefaultKeepalive(DEFAULT);
    const agent = configureAgent(new http.Agent({ keepAlive: true }), { idle: 9_000, interval: 2_000, count: 2 });
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, agent }, (res) => {
        const s = res.socket as net.Socket;
        res.resume().on('end', () => setImmediate(() => resolve(s)));
      }).on('error', reject);
    });
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 9, interval: 2, count: 2 });
    agent.destroy();
  });

  it('filter: exempted connections are left alone, client and server side', async () => {
    const { port, next } = await recordingServer();
    const asked: ConnectionInfo[] = [];
    setDefaultKeepalive({
      ...DEFAULT,
      // Every client connection, and the first accepted one, are exempt.
      filter: (connection) => {
        asked.push(connection);
        return connection.side === 'server' && asked.filter((c) => c.side === 'server').length > 1;
      },
    });
    const client = track(net.connect(port, '127.0.0.1'));
    await once(client, 'connect');
    const accepted = await next();
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 0 });
    expect(kernelKeepalive(accepted)).toMatchObject({ keepalive: 0 });
    const second = track(net.connect(port, '127.0.0.1'));
    await once(second, 'connect');
    expect(kernelKeepalive(await next())).toMatchObject(EXPECTED);
    expect(asked.find((c) => c.side === 'client')).toEqual({ side: 'client', family: 'IPv4', localAddress: '127.0.0.1', localPort: client.localPort, remoteAddress: '127.0.0.1', remotePort: port });
    expect(asked.filter((c) => c.side === 'server').map((c) => c.localPort)).toEqual([port, port]);
    // With a filter the listening socket is not configured: exempted connections would inherit it.
    expect(kernelKeepalive(await serverOf(accepted))).toMatchObject({ keepalive: 0 });
  });

  it.skipIf(!capabilities().listenerInheritance)('Linux: the listening socket carries the default, accepted sockets inherit it', async () => {
    const { server, port, next } = await recordingServer();
    setDefaultKeepalive({ ...DEFAULT, userTimeout: 7_000 });
    const first = track(net.connect(port, '127.0.0.1'));
    await once(first, 'connect');
    await next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(kernelKeepalive(server)).toMatchObject({ ...EXPECTED, userTimeout: 7_000 });
    const later = track(net.connect(port, '127.0.0.1'));
    await once(later, 'connect');
    expect(kernelKeepalive(await next())).toMatchObject({ ...EXPECTED, userTimeout: 7_000 });
    // null puts the listening socket back: new connections are as without the package.
    setDefaultKeepalive(null);
    expect(kernelKeepalive(server)).toMatchObject({ keepalive: 0 });
    const after = track(net.connect(port, '127.0.0.1'));
    await once(after, 'connect');
    expect(kernelKeepalive(after)).toMatchObject({ keepalive: 0 });
    expect(kernelKeepalive(await next())).toMatchObject({ keepalive: 0, userTimeout: 0 });
  });

  it("a server started after the call: its 'connection' listeners already see the default, with or without a filter", async () => {
    for (const filter of [undefined, () => true]) {
      setDefaultKeepalive({ ...DEFAULT, filter });
      const seen: unknown[] = [];
      const server = track(net.createServer((socket) => {
        track(socket);
        seen.push(kernelKeepalive(socket));
      }));
      await listen(server);
      for (let i = 0; i < 2; i++) {
        const client = track(net.connect(portOf(server), '127.0.0.1'));
        await once(client, 'connect');
        while (seen.length < i + 1) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(seen, `filter ${filter}`).toEqual([expect.objectContaining(EXPECTED), expect.objectContaining(EXPECTED)]);
      setDefaultKeepalive(null);
      expect(server.listeners('connection')).toHaveLength(1);
    }
  });

  it('null restores everything: wraps removed, channels unsubscribed', async () => {
    const before = {
      client: diagnosticsChannel.channel('net.client.socket').hasSubscribers,
      server: diagnosticsChannel.channel('net.server.socket').hasSubscribers,
    };
    setDefaultKeepalive(DEFAULT);
    expect(net.Socket.prototype.setKeepAlive).not.toBe(originalProto.setKeepAlive);
    expect(diagnosticsChannel.channel('net.server.socket').hasSubscribers).toBe(true);
    setDefaultKeepalive({ idle: 5_000 }); // replacing is not stacking
    setDefaultKeepalive(null);
    expect(getDefaultKeepalive()).toBeNull();
    expect(net.Socket.prototype.connect).toBe(originalProto.connect);
    expect(net.Socket.prototype.setKeepAlive).toBe(originalProto.setKeepAlive);
    expect((net.Socket.prototype as unknown as { _destroy: unknown })._destroy).toBe(originalProto._destroy);
    expect(diagnosticsChannel.channel('net.client.socket').hasSubscribers).toBe(before.client);
    expect(diagnosticsChannel.channel('net.server.socket').hasSubscribers).toBe(before.server);
    const { port, next } = await recordingServer();
    const client = track(net.connect(port, '127.0.0.1'));
    await once(client, 'connect');
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 0 });
    expect(kernelKeepalive(await next())).toMatchObject({ keepalive: 0 });
  });

  it('a wrap another package put on top survives: ours then passes through, and the next default wraps on top', async () => {
    setDefaultKeepalive(DEFAULT);
    const ours = net.Socket.prototype.setKeepAlive;
    let theirs = 0;
    net.Socket.prototype.setKeepAlive = function (this: net.Socket, ...args: Parameters<net.Socket['setKeepAlive']>) {
      theirs++;
      return ours.apply(this, args);
    };
    const apm = net.Socket.prototype.setKeepAlive;
    try {
      setDefaultKeepalive(null);
      expect(net.Socket.prototype.setKeepAlive).toBe(apm);
      const { port } = await recordingServer();
      const client = track(net.connect(port, '127.0.0.1'));
      await once(client, 'connect');
      client.setKeepAlive(true, 2_000);
      expect(kernelKeepalive(client)).toMatchObject({ idle: 2, interval: 1, count: 10 }); // passed through
      setDefaultKeepalive(DEFAULT);
      const later = track(net.connect(port, '127.0.0.1'));
      await once(later, 'connect');
      later.setKeepAlive(true, 2_000);
      expect(kernelKeepalive(later)).toMatchObject(EXPECTED);
      expect(theirs).toBe(2);
    } finally {
      setDefaultKeepalive(null);
      net.Socket.prototype.setKeepAlive = originalProto.setKeepAlive;
    }
  });

  it('a bad option throws and installs nothing; options are own properties, read once', () => {
    for (const bad of [{ idle: 0 }, { count: 1000 }, { interval: '5s' }, { idel: 5_000 }, { filter: 'all' }, 'idle=5s', [], 5]) {
      expect(() => setDefaultKeepalive(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_/) }));
      expect(getDefaultKeepalive()).toBeNull();
      expect(net.Socket.prototype.setKeepAlive).toBe(originalProto.setKeepAlive);
    }
    setDefaultKeepalive({ idle: 5_000 });
    expect(() => setDefaultKeepalive({ count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(getDefaultKeepalive()).toEqual({ idle: 5_000 }); // the old default stays
    let reads = 0;
    const options = Object.create({ count: 99 }) as Record<string, unknown>;
    Object.defineProperty(options, 'idle', { enumerable: true, get: () => (++reads === 1 ? 6_000 : 0) });
    setDefaultKeepalive(options);
    expect(reads).toBe(1);
    expect(getDefaultKeepalive()).toEqual({ idle: 6_000 });
  });
});

/** The listening server an accepted socket came from. */
async function serverOf(socket: net.Socket): Promise<net.Server> {
  return (socket as net.Socket & { server: net.Server }).server;
}

/**
 * The descriptors of this process's client ends of `accepted` connections,
 * found in /proc: undici does not hand out its sockets.
 */
function clientEndsOf(accepted: net.Socket[]): number[] {
  const wanted = new Set(accepted.map((socket) => `${socket.remotePort}`));
  const fds: number[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    let port: number;
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${name}`);
      if (!target.startsWith('socket:')) continue;
      port = localPortOfFd(fd);
    } catch {
      continue;
    }
    if (wanted.has(String(port))) fds.push(fd);
  }
  return fds;
}

function localPortOfFd(fd: number): number {
  // A throwaway net.Socket would take the descriptor over; read /proc/net/tcp by inode instead.
  const inode = /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))![1];
  for (const line of fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[9] === inode) return parseInt(fields[1]!.split(':')[1]!, 16);
  }
  throw new Error('not a TCP socket');
}
