// @ts-check
// A client that finds out when its server has silently gone away.
//   node examples/client.mjs [PORT [HOST]]   (without PORT: against a server of its own on 127.0.0.1)
import net from 'node:net';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { getKeepalive, setKeepalive } from 'tcp-keepalive';

/** @param {number} port @param {string} [host] */
export async function main(port, host = '127.0.0.1') {
  const socket = net.connect(port, host);
  // Probe after 30 s of silence, then every 5 s; drop after 4 unanswered probes.
  // Called before the connection is up: applied as soon as it connects.
  setKeepalive(socket, { idle: 30_000, interval: 5_000, count: 4 });
  socket.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
    // ETIMEDOUT: the peer stopped answering probes; ECONNRESET: it answered one with a reset.
    console.error(`connection lost: ${error.code}`);
  });
  await once(socket, 'connect');
  console.log('keepalive in force:', getKeepalive(socket));
  socket.end();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [port, host] = process.argv.slice(2);
  if (port) {
    await main(Number(port), host);
  } else {
    const server = net.createServer((socket) => socket.resume()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    await main(/** @type {net.AddressInfo} */ (server.address()).port);
    server.close();
  }
}
