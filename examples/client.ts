// A client that finds out when its server has silently gone away.
import net from 'node:net';
import { getKeepalive, setKeepalive } from 'tcp-keepalive';

export async function main(port: number, host = '127.0.0.1'): Promise<void> {
  const socket = net.connect(port, host);
  // Probe after 30 s of silence, then every 5 s; drop after 4 unanswered probes.
  // Called before the connection is up: applied as soon as it connects.
  setKeepalive(socket, { idle: 30_000, interval: 5_000, count: 4 });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    // ETIMEDOUT: the peer stopped answering probes; ECONNRESET: it answered one with a reset.
    console.error(`connection lost: ${error.code}`);
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  console.log('keepalive in force:', getKeepalive(socket));
  socket.end();
}
