// @ts-check
// Code written for net-keepalive runs unchanged after changing the import.
//   node examples/net-keepalive-migration.mjs   (on a loopback connection of its own)
import net from 'node:net';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import * as NetKeepAlive from 'tcp-keepalive/net-keepalive'; // was: from 'net-keepalive'

/** @param {net.Socket} socket */
export function tune(socket) {
  socket.setKeepAlive(true, 5_000);
  NetKeepAlive.setKeepAliveInterval(socket, 1_000);
  NetKeepAlive.setKeepAliveProbes(socket, 3);
  return { interval: NetKeepAlive.getKeepAliveInterval(socket), probes: NetKeepAlive.getKeepAliveProbes(socket) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = net.createServer((socket) => socket.resume()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect(/** @type {net.AddressInfo} */ (server.address()).port, '127.0.0.1');
  await once(socket, 'connect');
  console.log('net-keepalive calls, on tcp-keepalive:', tune(socket));
  socket.destroy();
  server.close();
}
