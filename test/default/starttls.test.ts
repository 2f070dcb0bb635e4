// STARTTLS sockets and sockets built on a descriptor under the process
// default: a plain socket upgraded with tls.connect({ socket }) (pg's and
// mysql2's way) and a server end upgraded with new tls.TLSSocket(), each
// followed by a library's setKeepAlive() on the TLS socket; and
// new net.Socket({ fd }), which the default leaves alone. Read back through
// the independent kernel reader.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { setDefaultKeepalive } from '../../lib/index';
import { kernelKeepalive } from '../helpers/kernel';
import { closeAll, connectedPair, listen, portOf, track } from '../helpers/loopback';
import { canMakeCert, makeThrowawayCert, type ThrowawayCert } from '../helpers/throwaway-cert';

const ROOT = path.join(__dirname, '..', '..');
const DEFAULT = { idle: 17_000, interval: 3_000, count: 4 };
const EXPECTED = { keepalive: 1, idle: 17, interval: 3, count: 4 };
let cert: ThrowawayCert | undefined;

afterEach(async () => {
  setDefaultKeepalive(null);
  await closeAll();
});
afterAll(() => cert?.remove());

/** A plain server that upgrades each connection to TLS on its first line; resolves with the server's TLS socket. */
async function startTlsServer() {
  cert ??= makeThrowawayCert();
  const secured: tls.TLSSocket[] = [];
  // Only the TLS sockets are tracked (closed after each test): destroying the
  // plain socket under a live TLS socket can crash Node 20 (seen here).
  const server = net.createServer((raw) => {
    raw.once('data', () =>
      raw.write('OK\n', () => {
        const secure = track(new tls.TLSSocket(raw, { isServer: true, key: cert!.key, cert: cert!.cert }));
        secure.on('secure', () => secured.push(secure));
        secure.on('error', () => {});
      }),
    );
  });
  await listen(server);
  const nextSecured = async () => {
    while (secured.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    return secured.shift()!;
  };
  return { port: portOf(server), nextSecured };
}

async function startTlsClient(port: number): Promise<{ raw: net.Socket; secure: tls.TLSSocket }> {
  const raw = net.connect(port, '127.0.0.1');
  await once(raw, 'connect');
  raw.write('STARTTLS\n');
  await once(raw, 'data');
  const secure = track(tls.connect({ socket: raw, rejectUnauthorized: false }));
  await once(secure, 'secureConnect');
  return { raw, secure };
}

describe.skipIf(!canMakeCert)('STARTTLS under the default', () => {
  it("the client's TLS socket: the default in place, and again after a library's setKeepAlive(true, 1000) on the TLS socket", async () => {
    const { port } = await startTlsServer();
    setDefaultKeepalive(DEFAULT);
    const { secure } = await startTlsClient(port);
    expect(kernelKeepalive(secure)).toMatchObject(EXPECTED);
    secure.setKeepAlive(true, 1000);
    expect(kernelKeepalive(secure)).toMatchObject(EXPECTED);
  });

  it("the server's TLS socket (new tls.TLSSocket(raw, { isServer: true })): the same", async () => {
    const { port, nextSecured } = await startTlsServer();
    setDefaultKeepalive(DEFAULT);
    await startTlsClient(port);
    const secure = await nextSecured();
    expect(kernelKeepalive(secure)).toMatchObject(EXPECTED);
    secure.setKeepAlive(true, 1000);
    expect(kernelKeepalive(secure)).toMatchObject(EXPECTED);
  });

  it("a plain tls.connect() socket too, for comparison", async () => {
    cert ??= makeThrowawayCert();
    const server = await listen(tls.createServer({ key: cert.key, cert: cert.cert }, (socket) => track(socket)));
    setDefaultKeepalive(DEFAULT);
    const secure = track(tls.connect({ host: '127.0.0.1', port: portOf(server), rejectUnauthorized: false }));
    await once(secure, 'secureConnect');
    secure.setKeepAlive(true, 1000);
    expect(kernelKeepalive(secure)).toMatchObject(EXPECTED);
  });
});

describe('new net.Socket({ fd }) is left alone (documented)', () => {
  it('a connected TCP descriptor handed to a process under --require: not configured, and Node\'s own setKeepAlive() stands', async () => {
    const { client } = await connectedPair();
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    const child = spawn(process.execPath, ['--require', 'tcp-keepalive/register', path.join(__dirname, '../fixtures/socket-from-fd.cjs')], {
      cwd: ROOT,
      env: { ...env, TCP_KEEPALIVE: 'idle=17s,interval=3s,count=4' },
      stdio: ['ignore', 'pipe', 'pipe', client],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    expect(code, stderr).toBe(0);
    const { built, afterLibrary } = JSON.parse(stdout);
    expect(built).toMatchObject({ keepalive: 0 });
    expect(afterLibrary).toMatchObject({ keepalive: 1, idle: 1, interval: 1, count: 10 });
  });
});
