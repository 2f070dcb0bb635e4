// @ts-check
// A server that sheds connections whose clients vanished (crashed, unplugged,
// forgotten by a NAT), instead of keeping them forever.
//   node examples/server.mjs [PORT]   (answers each request with the keepalive in force;
//                                      without PORT: sends itself one request and exits)
import http from 'node:http';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { getKeepalive, setKeepalive } from 'tcp-keepalive';

export function createServer() {
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = createServer().listen(Number(process.argv[2] ?? 0), '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  if (process.argv[2]) {
    console.log(`listening on http://127.0.0.1:${port}/`);
  } else {
    const body = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (/** @type {string} */ chunk) => (text += chunk)).on('end', () => resolve(text));
      }).on('error', reject);
    });
    console.log('a request to it ran on a connection with:', body);
    server.close();
  }
}
