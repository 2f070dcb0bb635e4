// Listening servers, TLS, and sockets that are still connecting.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, getKeepalive, setKeepalive } from '../../lib/index';
import { kernelKeepalive, kernelWrite } from '../helpers/kernel';
import { needs } from '../helpers/platform';
import { accept, closeAll, listen, listenUnix, portOf, tlsOptions as loopbackTls, track, unixSocketPath } from '../helpers/loopback';

afterEach(closeAll);

const tlsOptions = loopbackTls();

describe('a listening server', () => {
  it('is configured itself and its accepted connections inherit the options', async () => {
    const server = await listen();
    const state = setKeepalive(server, { idle: 13_000, interval: 4_000, count: 5, userTimeout: 9_000 });
    expect(state).toEqual({ enable: true, idle: 13_000, interval: 4_000, count: 5, userTimeout: 9_000 });
    expect(kernelKeepalive(server)).toEqual({ keepalive: 1, idle: 13, interval: 4, count: 5, userTimeout: 9_000 });
    const [, accepted] = await accept(server, () => net.connect(portOf(server), '127.0.0.1'));
    expect(kernelKeepalive(accepted)).toEqual({ keepalive: 1, idle: 13, interval: 4, count: 5, userTimeout: 9_000 });
    expect(capabilities().listenerInheritance).toBe(true);
  });

  it('not yet listening: configured on listen, before listen callbacks run', async () => {
    const server = track(net.createServer());
    expect(setKeepalive(server, { idle: 21_000 })).toBeNull();
    expect(setKeepalive(server, { count: 3 })).toBeNull();
    let seenInCallback: ReturnType<typeof kernelKeepalive> | undefined;
    server.listen(0, '127.0.0.1', () => {
      seenInCallback = kernelKeepalive(server);
    });
    await once(server, 'listening');
    expect(seenInCallback).toMatchObject({ keepalive: 1, idle: 21, count: 3 });
    const [, accepted] = await accept(server, () => net.connect(portOf(server), '127.0.0.1'));
    expect(kernelKeepalive(accepted)).toMatchObject({ keepalive: 1, idle: 21, count: 3 });
  });

  it('not yet listening on something that cannot take the options: the server emits the error', async () => {
    const server = track(net.createServer());
    setKeepalive(server, { idle: 2_000 });
    server.listen(unixSocketPath());
    const [error] = (await once(server, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOTSUP');
  });

  it('an http.Server is a net.Server: its requests run on configured connections', async () => {
    const server = track(http.createServer((req, res) => res.end(JSON.stringify(kernelKeepalive(req.socket)))));
    setKeepalive(server, { idle: 17_000, interval: 3_000, count: 4 });
    await listen(server);
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: portOf(server), agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ keepalive: 1, idle: 17, interval: 3, count: 4 });
  });
});

describe('TLS', () => {
  it('a TLS socket is configured through to its TCP socket, on both ends', async () => {
    const server = await listen(tls.createServer(tlsOptions));
    const [client, accepted] = await accept(server, () =>
      tls.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false }),
    );
    if (!(client as tls.TLSSocket).encrypted || client.connecting) await once(client, 'secureConnect');
    expect(setKeepalive(client, { idle: 8_000, interval: 2_000, count: 3 })).toMatchObject({ idle: 8_000, interval: 2_000, count: 3 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 8, interval: 2, count: 3 });
    setKeepalive(accepted, { idle: 19_000 });
    expect(kernelKeepalive(accepted)).toMatchObject({ keepalive: 1, idle: 19 });
    expect(getKeepalive(accepted)).toMatchObject({ enable: true, idle: 19_000 });
  });

  it('a TLS socket still connecting gets the options when its TCP socket connects', async () => {
    const server = await listen(tls.createServer(tlsOptions));
    const client = track(tls.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false }));
    expect(setKeepalive(client, { idle: 6_000, count: 2 })).toBeNull();
    await once(client, 'secureConnect');
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 6, count: 2 });
  });

  it('a tls.Server passes the options on to accepted TLS connections', async () => {
    const server = await listen(tls.createServer(tlsOptions));
    setKeepalive(server, { idle: 23_000 });
    const [, accepted] = await accept(server, () =>
      tls.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false }),
    );
    expect(kernelKeepalive(accepted)).toMatchObject({ keepalive: 1, idle: 23 });
  });
});

describe('a socket that is still connecting', () => {
  it('returns null and applies the options before connect callbacks run', async () => {
    const server = await listen();
    let seenInCallback: ReturnType<typeof kernelKeepalive> | undefined;
    const client = track(net.connect(portOf(server), '127.0.0.1', () => {
      seenInCallback = kernelKeepalive(client);
    }));
    expect(client.connecting).toBe(true);
    expect(setKeepalive(client, { idle: 31_000, interval: 5_000 })).toBeNull();
    expect(setKeepalive(client, { count: 6 })).toBeNull(); // merged: the later call wins field by field
    await once(client, 'connect');
    expect(seenInCallback).toMatchObject({ keepalive: 1, idle: 31, interval: 5, count: 6 });
  });

  it('a socket created but not yet told to connect is configured once it connects', async () => {
    const server = await listen();
    const socket = track(new net.Socket());
    expect(setKeepalive(socket, { idle: 12_000 })).toBeNull();
    socket.connect(portOf(server), '127.0.0.1');
    await once(socket, 'connect');
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 12 });
  });

  it('the options reach the kernel with the later of two calls winning', async () => {
    const server = await listen();
    const client = track(net.connect(portOf(server), '127.0.0.1'));
    setKeepalive(client, { idle: 5_000, enable: true });
    setKeepalive(client, { enable: false });
    await once(client, 'connect');
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 0, idle: 5 });
  });

  it('a failure on connect destroys the socket with the error instead of losing it', async () => {
    const { path: socketPath } = await listenUnix(net.createServer());
    // No descriptor until connect() is called, so the request is queued.
    const client = track(new net.Socket());
    expect(setKeepalive(client, { idle: 2_000 })).toBeNull();
    client.connect(socketPath);
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOTSUP');
    // On connect the options are written without a snapshot (the socket is
    // destroyed on failure): the first write, a TCP-level one, fails.
    expect(error.syscall).toBe('setsockopt');
    expect(client.destroyed).toBe(true);
    // A Unix-domain socket given its descriptor at once fails at once.
    expect(() => setKeepalive(track(net.connect(socketPath)), { idle: 2_000 })).toThrow(/ENOTSUP/);
  });

  it('a socket that never connects is left alone', async () => {
    const server = await listen();
    const port = portOf(server);
    server.close();
    await once(server, 'close');
    const client = track(net.connect(port, '127.0.0.1'));
    setKeepalive(client, { idle: 2_000 });
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('options set behind the library before connect are overridden by the queued ones', async () => {
    const server = await listen();
    const client = track(net.connect(portOf(server), '127.0.0.1'));
    client.setKeepAlive(true, 50_000); // Node core, deferred too: applied before 'connect' is emitted
    setKeepalive(client, { idle: 3_000 });
    await once(client, 'connect');
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 3 });
    kernelWrite(client, { idle: 44 });
    expect(getKeepalive(client).idle).toBe(44_000);
  });
});

needs('spawnsNode').describe('a server without a listening descriptor of its own', () => {
  // One real cluster (primary + round-robin worker) serves both tests.
  let report: Record<string, any> | undefined;
  function clusterReport(): Record<string, any> {
    if (report) return report;
    const result = spawnSync(process.execPath, [path.join(__dirname, '../fixtures/cluster-child.cjs')], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    report = JSON.parse(result.stdout.trim()) as Record<string, any>;
    return report;
  }

  it('a cluster worker configures each connection it is handed', () => {
    const { hasListeningFd, returned, accepted } = clusterReport();
    expect(hasListeningFd).toBe(false);
    expect(returned).toBeNull(); // nothing of its own to read back
    expect(accepted).toMatchObject({ keepalive: 1, idle: 14, interval: 3, count: 5 });
  });

  it('getKeepalive(server) in a cluster worker says the primary holds the listening socket', () => {
    const { listening, readBack } = clusterReport();
    expect(listening).toBe(true); // so "not running" would be untrue
    expect(readBack.code).toBe('ERR_SERVER_NO_DESCRIPTOR');
    expect(readBack.message).toMatch(/primary process holds it/);
  });
});
