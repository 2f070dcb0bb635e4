// The 'tcp-keepalive:dead-peer' channel for every socket object an
// application holds: a TLS client, a STARTTLS client (a plain socket, then
// tls.connect({ socket }), pg's and mysql2's way), TLS, HTTPS and STARTTLS
// server ends, next to a plain one. Two network namespaces, the peer silenced
// for real; a throwaway certificate made for the run.
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { capabilities } from '../../lib/index';
import { canUseNetns, createTestHosts, type Message, type NodeChild, type TestHosts } from '../helpers/netns';
import { canMakeCert, makeThrowawayCert, type ThrowawayCert } from '../helpers/throwaway-cert';

const FIXTURE = path.join(__dirname, '../fixtures/dead-peer-tls.mjs');
const REGISTER = { NODE_OPTIONS: `--require ${path.join(__dirname, '../../dist/register.js')}`, TCP_KEEPALIVE: 'idle=1s,interval=1s,count=2' };
let hosts: TestHosts | undefined;
let cert: ThrowawayCert | undefined;

afterEach(async () => {
  await hosts?.destroy();
  hosts = undefined;
});
afterAll(() => cert?.remove());

const ready = canUseNetns.ok && canMakeCert && capabilities().tcpInfo;
if (!ready) console.warn(`skipping TLS dead-peer tests: ${canUseNetns.reason ?? 'no openssl command or no TCP_INFO'}`);

function certEnv() {
  cert ??= makeThrowawayCert();
  return { TKA_KEY: cert.keyPath, TKA_CERT: cert.certPath };
}

async function readyKinds(child: NodeChild, kinds: string[]): Promise<void> {
  for (let i = 0; i < kinds.length; i++) await child.nextMessage('ready', 15_000);
  expect(child.messages.filter((m) => m.type === 'ready').map((m) => m.kind).sort()).toEqual([...kinds].sort());
}

/** Every dead-peer message once each kind has its error, and a second more for any duplicate. */
async function deaths(child: NodeChild, kinds: string[]): Promise<Message[]> {
  for (let i = 0; i < kinds.length; i++) await child.nextMessage('error', 20_000).catch((e) => { throw new Error(`${e.message} ${JSON.stringify(child.messages)} ${child.stderr()}`); });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return child.messages.filter((m) => m.type === 'dead-peer');
}

describe.skipIf(!ready)('dead peers behind TLS: one report each, on the socket the application holds', () => {
  it('clients: tls.connect, STARTTLS and plain, each ETIMEDOUT reported once with cause keepalive', async () => {
    hosts = await createTestHosts({ ipv6: false });
    const peer = hosts.spawnNode('b', FIXTURE, ['peer', hosts.b.addr], certEnv());
    const { ports } = await peer.nextMessage('listening');
    const kinds = ['tls', 'starttls', 'plain'];
    const app = hosts.spawnNode('a', FIXTURE, ['clients', hosts.b.addr, JSON.stringify(ports)], { ...certEnv(), ...REGISTER });
    await readyKinds(app, kinds);
    await hosts.silence('b');
    const reports = await deaths(app, kinds);
    expect(app.messages.filter((m) => m.type === 'error').map((m) => m.code)).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    expect(reports.map((m) => m.kind).sort()).toEqual([...kinds].sort());
    for (const report of reports) expect(report).toMatchObject({ held: true, side: 'client', cause: 'keepalive', code: 'ETIMEDOUT', probes: 2 });
  });

  it('servers: TLS, HTTPS and STARTTLS server ends, each reported once with side server', async () => {
    hosts = await createTestHosts({ ipv6: false });
    const app = hosts.spawnNode('a', FIXTURE, ['servers', hosts.a.addr], { ...certEnv(), ...REGISTER });
    const { ports } = await app.nextMessage('listening');
    const kinds = ['tls', 'https', 'starttls'];
    const peer = hosts.spawnNode('b', FIXTURE, ['dial', hosts.a.addr, JSON.stringify(ports)], certEnv());
    await readyKinds(peer, kinds);
    await readyKinds(app, kinds);
    await hosts.silence('b');
    const reports = await deaths(app, kinds);
    expect(reports.map((m) => m.kind).sort()).toEqual([...kinds].sort());
    for (const report of reports) expect(report).toMatchObject({ held: true, side: 'server', cause: 'keepalive', code: 'ETIMEDOUT', probes: 2 });
  });
});
