// Real TCP connections on loopback for the tests, closed after each test.
// Shared by the main suite and the Windows suite (test/windows, compiled with
// this file and run by node.exe).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';

/** The repository: the Windows suite runs from a compiled copy and is told where it is. */
export const REPO = process.env.TKA_REPO ?? path.resolve(__dirname, '..', '..');

/** The test certificate for TLS servers on loopback. */
export function tlsOptions(): tls.TlsOptions {
  return {
    key: fs.readFileSync(path.join(REPO, 'test/fixtures/tls/key.pem')),
    cert: fs.readFileSync(path.join(REPO, 'test/fixtures/tls/cert.pem')),
  };
}

export interface Pair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
}

const open = new Set<net.Socket | net.Server>();
const tempDirs = new Set<string>();

export async function listen(server = net.createServer(), host = '127.0.0.1'): Promise<net.Server> {
  open.add(server);
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

export function track<T extends net.Socket | net.Server>(thing: T): T {
  open.add(thing);
  return thing;
}

export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** A connected client and the server's accepted end of the same connection. */
export async function connectedPair(host = '127.0.0.1'): Promise<Pair> {
  const server = await listen(net.createServer(), host);
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = track(net.connect(portOf(server), host));
  await once(client, 'connect');
  const [socket] = await accepted;
  track(socket);
  return { server, client, accepted: socket };
}

/** Connects with `connect` and returns [client, the server's accepted socket] (after TLS's handshake for a TLS server). */
export async function accept(server: net.Server, connect: () => net.Socket): Promise<[net.Socket, net.Socket]> {
  const accepted = once(server, server instanceof tls.Server ? 'secureConnection' : 'connection') as Promise<[net.Socket]>;
  const client = track(connect());
  const [socket] = await accepted;
  track(socket);
  return [client, socket];
}

/** A path for a Unix-domain socket in a fresh directory, removed by closeAll(). */
export function unixSocketPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-'));
  tempDirs.add(dir);
  return path.join(dir, 's');
}

/** `server` listening on a fresh Unix-domain socket: a socket that is not TCP. */
export async function listenUnix<S extends net.Server>(server: S): Promise<{ server: S; path: string }> {
  const socketPath = unixSocketPath();
  open.add(server);
  server.listen(socketPath);
  await once(server, 'listening');
  return { server, path: socketPath };
}

export async function closeAll(): Promise<void> {
  for (const thing of open) {
    if (thing instanceof net.Socket) thing.destroy();
    else thing.close();
  }
  open.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
