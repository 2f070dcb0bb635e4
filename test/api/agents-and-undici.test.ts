// Agents, undici (and fetch through it) and servers, with real requests on
// loopback and an independent read of each connection while it is open.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import * as undici from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { configureAgent, setKeepalive, undiciConnect } from '../../lib/index';
import { kernelKeepalive } from '../helpers/kernel';
import { closeAll, listen, listenUnix, portOf, track } from '../helpers/loopback';

afterEach(closeAll);

const tlsOptions = {
  key: fs.readFileSync(path.join(__dirname, '../fixtures/tls/key.pem')),
  cert: fs.readFileSync(path.join(__dirname, '../fixtures/tls/cert.pem')),
};

async function helloServer(kind: 'http' | 'https' = 'http') {
  const handler: http.RequestListener = (_req, res) => res.end('hello');
  const server = track(kind === 'http' ? http.createServer(handler) : https.createServer(tlsOptions, handler));
  await listen(server);
  return { server, port: portOf(server) };
}

function get(options: https.RequestOptions, secure = false): Promise<{ socket: net.Socket; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).get(options, (res) => {
      // The agent takes the socket back after 'end': hold on to it now.
      const socket = res.socket as net.Socket;
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ socket, body }));
    });
    request.on('error', reject);
  });
}

describe('configureAgent', () => {
  it('http.Agent: every socket is configured, also after Node re-pools it', async () => {
    const { port } = await helloServer();
    const agent = configureAgent(new http.Agent({ keepAlive: true, maxSockets: 1 }), { idle: 11_000, interval: 2_000, count: 4 });
    const seen: Array<ReturnType<typeof kernelKeepalive>> = [];
    let firstSocket: net.Socket | undefined;
    for (let i = 0; i < 3; i++) {
      const { socket } = await get({ host: '127.0.0.1', port, agent });
      firstSocket ??= socket;
      expect(socket).toBe(firstSocket); // the same kept-alive connection each time
      await new Promise((resolve) => setImmediate(resolve)); // let the agent take it back ('free')
      seen.push(kernelKeepalive(socket));
    }
    // Node's own keepSocketAlive() would have left idle 1 s, interval 1 s, count 10.
    for (const state of seen) expect(state).toMatchObject({ keepalive: 1, idle: 11, interval: 2, count: 4 });
    agent.destroy();
  });

  it('https.Agent: TLS connections are configured through to TCP', async () => {
    const { port } = await helloServer('https');
    const agent = configureAgent(new https.Agent({ keepAlive: true, rejectUnauthorized: false }), { idle: 13_000, count: 3 });
    const { socket } = await get({ host: '127.0.0.1', port, agent }, true);
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 13, count: 3 });
    agent.destroy();
  });

  it('checks the options up front and rejects what is not an agent', () => {
    expect(() => configureAgent(new http.Agent(), { count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => configureAgent({} as http.Agent, { idle: 1_000 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('a connection that cannot take the options fails its request with the error', async () => {
    const { path: socketPath } = await listenUnix(http.createServer((_req, res) => res.end('ok')));
    const agent = configureAgent(new http.Agent(), { idle: 5_000 });
    await expect(get({ socketPath, agent, path: '/' })).rejects.toMatchObject({ code: 'ENOTSUP', syscall: 'getsockopt' });
    agent.destroy();
  });
});

describe('undiciConnect', () => {
  it('undici.Agent and fetch: each connection is configured while the request runs', async () => {
    let accepted: ReturnType<typeof kernelKeepalive> | undefined;
    const { server } = await helloServer();
    const connector = undiciConnect({ idle: 9_000, interval: 3_000, count: 2 });
    const dispatcher = new undici.Agent({
      connect: (options, callback) =>
        connector(options, (error, socket) => {
          if (socket) accepted = kernelKeepalive(socket);
          error ? callback(error, null) : callback(null, socket!);
        }),
    });
    const response = await undici.fetch(`http://127.0.0.1:${portOf(server)}/`, { dispatcher });
    expect(await response.text()).toBe('hello');
    expect(accepted).toMatchObject({ keepalive: 1, idle: 9, interval: 3, count: 2 });
    await dispatcher.close();
  });

  it('as the global dispatcher, Node fetch() requests get the options', async () => {
    const sockets: net.Socket[] = [];
    const server = track(http.createServer((_req, res) => res.end(JSON.stringify(kernelKeepalive(sockets[0])))));
    await listen(server);
    const connector = undiciConnect({ idle: 15_000 });
    const dispatcher = new undici.Agent({
      connect: (options, callback) =>
        connector(options, (error, socket) => {
          if (socket) sockets.push(socket);
          error ? callback(error, null) : callback(null, socket!);
        }),
    });
    const previous = undici.getGlobalDispatcher();
    undici.setGlobalDispatcher(dispatcher);
    try {
      const response = await fetch(`http://127.0.0.1:${portOf(server)}/`);
      expect(JSON.parse(await response.text())).toMatchObject({ keepalive: 1, idle: 15 });
    } finally {
      undici.setGlobalDispatcher(previous);
      await dispatcher.close();
    }
  });

  it('a connection that cannot take the options fails the request', async () => {
    const { path: socketPath } = await listenUnix(http.createServer((_req, res) => res.end('ok')));
    const dispatcher = new undici.Agent({ connect: undiciConnect({ idle: 5_000 }, { socketPath }) });
    await expect(undici.request('http://localhost/', { dispatcher })).rejects.toMatchObject({ code: 'ENOTSUP' });
    await dispatcher.close();
  });

  it('checks options up front', () => {
    expect(() => undiciConnect({ interval: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('servers', () => {
  it('https.Server: accepted connections inherit the options', async () => {
    let seen: ReturnType<typeof kernelKeepalive> | undefined;
    const server = track(https.createServer(tlsOptions, (req, res) => {
      seen = kernelKeepalive(req.socket);
      res.end('ok');
    }));
    setKeepalive(server, { idle: 27_000, interval: 4_000, count: 6 });
    await listen(server);
    await get({ host: '127.0.0.1', port: portOf(server), rejectUnauthorized: false, agent: false }, true);
    expect(seen).toMatchObject({ keepalive: 1, idle: 27, interval: 4, count: 6 });
  });
});
