// Real TCP connections on loopback for the tests, closed after each test.
import net from 'node:net';
import { once } from 'node:events';

export interface Pair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
}

const open = new Set<net.Socket | net.Server>();

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

export async function closeAll(): Promise<void> {
  for (const thing of open) {
    if (thing instanceof net.Socket) thing.destroy();
    else thing.close();
  }
  open.clear();
}
