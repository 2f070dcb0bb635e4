// The cost of finding the SOCKET behind a net.Socket on Windows (run in
// node.exe by tools/windows/bench.ts; prints one JSON object to a file).
// Node reports no descriptor there; the library walks the thread's libuv
// loop once per handle (native/win/socket_lookup.cc) and caches the SOCKET.
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { getKeepalive } from '../../lib/index';
import { binding } from '../../lib/native';
import { descriptorOf } from '../../lib/target';

const OUT = process.argv[2]!;
const SIZES = [1, 100, 1000];

function nsPerOp(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iterations, 100); i++) fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

async function main(): Promise<void> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted: net.Socket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  const clients: net.Socket[] = [];
  const report: Record<string, unknown> = { node: process.version };
  for (const size of SIZES) {
    while (clients.length < size) {
      const client = net.connect(port, '127.0.0.1');
      await once(client, 'connect');
      clients.push(client);
    }
    while (accepted.length < clients.length) await new Promise((r) => setImmediate(r));
    const find = (c: net.Socket, method: number) =>
      binding.findSocket!(4, c.localAddress!, c.localPort!, 4, c.remoteAddress!, c.remotePort!, method);
    for (const c of clients) find(c, 1); // every existing handle seen once
    // A connection that has just arrived, as a server configures it: its
    // handle is the only one the lookup has not seen.
    let total = 0n;
    const samples = 20;
    for (let i = 0; i < samples; i++) {
      const client = net.connect(port, '127.0.0.1');
      await once(client, 'connect');
      const start = process.hrtime.bigint();
      if (find(client, 1) < 0) throw new Error('not found');
      total += process.hrtime.bigint() - start;
      client.destroy();
    }
    const uvWalk = Number(total) / samples;
    const target = clients[clients.length - 1]!;
    const sock = binding.findSocket!(4, target.localAddress!, target.localPort!, 4, target.remoteAddress!, target.remotePort!, 0);
    getKeepalive(target); // caches the SOCKET
    const cachedLookup = nsPerOp(1_000_000, () => descriptorOf(target, main));
    const byNumber = nsPerOp(20_000, () => getKeepalive(sock));
    report[`${size} connections`] = {
      handles: clients.length * 2 + 1,
      'first lookup of a new connection (uv_walk), ns': Math.round(uvWalk),
      'later lookups of the same socket (cached), ns': Math.round(cachedLookup),
      'getKeepalive(SOCKET number), for scale, ns': Math.round(byNumber),
    };
    if (size === 1) {
      report['handle scan lookup (for comparison), ns'] = Math.round(nsPerOp(3, () => find(target, 2)));
    }
  }
  fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  for (const s of [...clients, ...accepted]) s.destroy();
  server.close();
}

main().catch((error) => {
  fs.writeFileSync(OUT, JSON.stringify({ error: String(error?.stack ?? error) }));
  process.exit(1);
});
