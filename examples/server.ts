// A server that sheds connections whose clients vanished (crashed, unplugged,
// forgotten by a NAT), instead of keeping them forever.
import http from 'node:http';
import { getKeepalive, setKeepalive } from 'tcp-keepalive';

export function createServer(): http.Server {
  const server = http.createServer((req, res) => {
    res.end(JSON.stringify(getKeepalive(req.socket)));
  });
  // Set once on the server: every accepted connection gets it (inherited from
  // the listening socket on Linux, applied per connection elsewhere).
  setKeepalive(server, { idle: 60_000, interval: 10_000, count: 6 });
  return server;
}

// Express and Fastify servers are http.Servers too:
//   const server = app.listen(8080); setKeepalive(server, { ... })   // Express
//   await fastify.listen({ port: 8080 }); setKeepalive(fastify.server, { ... })   // Fastify
