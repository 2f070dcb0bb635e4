// @ts-check
// fetch() (undici) with keepalive on every connection. Needs `npm install undici`.
//   node examples/fetch.mjs [URL]   (without URL: against a server of its own on 127.0.0.1)
import http from 'node:http';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Agent, setGlobalDispatcher } from 'undici';
import { undiciConnect } from 'tcp-keepalive';

export function installKeepaliveDispatcher() {
  const dispatcher = new Agent({ connect: undiciConnect({ idle: 20_000, interval: 5_000, count: 3 }) });
  setGlobalDispatcher(dispatcher); // from now on, fetch() uses it
  return dispatcher;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dispatcher = installKeepaliveDispatcher();
  let url = process.argv[2];
  /** @type {http.Server | undefined} */
  let server;
  if (!url) {
    server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`;
  }
  const response = await fetch(url);
  console.log('fetch:', response.status, await response.text());
  await dispatcher.close();
  server?.close();
}
