// Servers, TLS and sockets still connecting, on Windows. Accepted sockets
// are configured one by one (capabilities().listenerInheritance is false):
// each is checked in the kernel.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { capabilities, getKeepalive, setKeepalive } from '../../lib/index';
import { accept, closeAll, kernelKeepalive, listen, portOf, tlsOptions as loopbackTls, track } from '../helpers/windows';

afterEach(closeAll);

const tlsOptions = loopbackTls();

const timers = (k: { keepalive: number; idle: number; interval: number }) => [k.keepalive, k.idle, k.interval];

describe('a listening server (Windows)', () => {
  it('is configured itself, and each accepted connection gets the options', async () => {
    const server = await listen();
    const state = setKeepalive(server, { idle: 13_000, interval: 4_000 });
    assert.deepEqual([state?.enable, state?.idle, state?.interval], [true, 13_000, 4_000]);
    assert.deepEqual(timers(await kernelKeepalive(server)), [1, 13, 4]);
    assert.equal(capabilities().listenerInheritance, false);
    for (let i = 0; i < 3; i++) {
      const [, accepted] = await accept(server, () => net.connect(portOf(server), '127.0.0.1'));
      assert.deepEqual(timers(await kernelKeepalive(accepted)), [1, 13, 4]);
      assert.equal(getKeepalive(accepted).idle, 13_000);
    }
  });

  it('not yet listening: configured on listen, before listen callbacks run', async () => {
    const server = track(net.createServer());
    assert.equal(setKeepalive(server, { idle: 21_000 }), null);
    assert.equal(setKeepalive(server, { interval: 3_000 }), null);
    let seen: ReturnType<typeof getKeepalive> | undefined;
    server.listen(0, '127.0.0.1', () => {
      seen = getKeepalive(server);
    });
    await once(server, 'listening');
    assert.deepEqual([seen?.enable, seen?.idle, seen?.interval], [true, 21_000, 3_000]);
    assert.deepEqual(timers(await kernelKeepalive(server)), [1, 21, 3]);
    const [, accepted] = await accept(server, () => net.connect(portOf(server), '127.0.0.1'));
    assert.deepEqual(timers(await kernelKeepalive(accepted)), [1, 21, 3]);
  });

  it('an http.Server: its requests run on configured connections', async () => {
    const server = track(
      http.createServer((req, res) => {
        kernelKeepalive(req.socket).then((k) => res.end(JSON.stringify(k)), (e: Error) => res.end(JSON.stringify({ error: e.message })));
      }),
    );
    setKeepalive(server, { idle: 17_000, interval: 3_000 });
    await listen(server);
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: portOf(server), agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.deepEqual(timers(JSON.parse(body)), [1, 17, 3]);
  });
});

describe('TLS (Windows)', () => {
  it('a TLS socket is configured through to its TCP socket, on both ends', async () => {
    const server = await listen(tls.createServer(tlsOptions));
    const [client, accepted] = await accept(server, () => tls.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false }));
    if (!(client as tls.TLSSocket).encrypted || client.connecting) await once(client, 'secureConnect');
    const state = setKeepalive(client, { idle: 8_000, interval: 2_000 });
    assert.deepEqual([state?.idle, state?.interval], [8_000, 2_000]);
    assert.deepEqual(timers(await kernelKeepalive(client)), [1, 8, 2]);
    setKeepalive(accepted, { idle: 19_000 });
    assert.equal((await kernelKeepalive(accepted)).idle, 19);
    assert.equal(getKeepalive(accepted).idle, 19_000);
  });

  it('a TLS socket still connecting gets the options when its TCP socket connects', async () => {
    const server = await listen(tls.createServer(tlsOptions));
    const client = track(tls.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false }));
    assert.equal(setKeepalive(client, { idle: 6_000 }), null);
    await once(client, 'secureConnect');
    assert.deepEqual(timers(await kernelKeepalive(client)).slice(0, 2), [1, 6]);
  });

  it('a tls.Server passes the options on to accepted TLS connections', async () => {
    const server = await listen(tls.createServer(tlsOptions));
    setKeepalive(server, { idle: 23_000 });
    const [, accepted] = await accept(server, () => tls.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false }));
    assert.deepEqual(timers(await kernelKeepalive(accepted)).slice(0, 2), [1, 23]);
  });
});

describe('a socket that is still connecting (Windows)', () => {
  it('returns null and applies the options before connect callbacks run', async () => {
    const server = await listen();
    let seen: ReturnType<typeof getKeepalive> | undefined;
    const client = track(
      net.connect(portOf(server), '127.0.0.1', () => {
        seen = getKeepalive(client);
      }),
    );
    assert.equal(client.connecting, true);
    assert.equal(setKeepalive(client, { idle: 31_000 }), null);
    assert.equal(setKeepalive(client, { interval: 5_000 }), null); // merged
    await once(client, 'connect');
    assert.deepEqual([seen?.enable, seen?.idle, seen?.interval], [true, 31_000, 5_000]);
    assert.deepEqual(timers(await kernelKeepalive(client)), [1, 31, 5]);
  });

  it('a socket created but not yet told to connect is configured once it connects', async () => {
    const server = await listen();
    const socket = track(new net.Socket());
    assert.equal(setKeepalive(socket, { idle: 12_000 }), null);
    socket.connect(portOf(server), '127.0.0.1');
    await once(socket, 'connect');
    assert.deepEqual(timers(await kernelKeepalive(socket)).slice(0, 2), [1, 12]);
  });

  it('the later of two calls wins', async () => {
    const server = await listen();
    const client = track(net.connect(portOf(server), '127.0.0.1'));
    setKeepalive(client, { idle: 5_000, enable: true });
    setKeepalive(client, { enable: false });
    await once(client, 'connect');
    assert.deepEqual(timers(await kernelKeepalive(client)).slice(0, 2), [0, 5]);
  });

  it('a socket that never connects is left alone', async () => {
    const server = await listen();
    const port = portOf(server);
    server.close();
    await once(server, 'close');
    const client = track(net.connect(port, '127.0.0.1'));
    setKeepalive(client, { idle: 2_000 });
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
  });
});
