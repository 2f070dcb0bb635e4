// @ts-check
// Outgoing HTTP through an agent whose pooled connections are probed, so a
// dead pooled connection is found before a request is sent on it.
//   node examples/http-agent.mjs [URL]   (without URL: against a server of its own on 127.0.0.1)
import http from 'node:http';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { configureAgent, getKeepalive } from 'tcp-keepalive';

export const agent = configureAgent(new http.Agent({ keepAlive: true }), { idle: 15_000, interval: 5_000, count: 3 });

/** @param {string} url @returns {Promise<string>} */
export function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (/** @type {string} */ chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let url = process.argv[2];
  /** @type {http.Server | undefined} */
  let server;
  if (!url) {
    server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`;
  }
  // The pooled socket, once the response is done with it: its keepalive as the kernel holds it.
  agent.once('free', (socket) => console.log('pooled connection keepalive:', getKeepalive(socket)));
  console.log('response:', await get(url));
  agent.destroy();
  server?.close();
}
