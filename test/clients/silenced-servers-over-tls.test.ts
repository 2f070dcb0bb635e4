// Real clients over TLS under the process default: pg with `ssl` against
// PostgreSQL and mysql2 with `ssl` against MariaDB, each server in its own
// namespace with a throwaway certificate, then silenced. The death is
// reported once, on the TLS socket the library holds.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canUseNetns, createTestHosts, type TestHosts } from '../helpers/netns';
import { canMakeCert, makeThrowawayCert } from '../helpers/throwaway-cert';
import { missingServers, startServer, type RunningServer, type ServerKind } from '../helpers/database-servers';

const FIXTURE = path.join(__dirname, '../fixtures/db-tls-client.mjs');
const REGISTER = { NODE_OPTIONS: `--require ${path.join(__dirname, '../../dist/register.js')}`, TCP_KEEPALIVE: 'idle=1s,interval=1s,count=2' };
const missing = !canUseNetns.ok ? canUseNetns.reason : !canMakeCert ? 'no openssl command' : missingServers();
if (missing) console.warn(`skipping TLS client tests: ${missing}`);

let hosts: TestHosts | undefined;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  await hosts?.destroy();
  server = undefined;
  hosts = undefined;
});

describe.skipIf(missing !== undefined)('real clients over TLS: a dead server is reported once, on the TLS socket', () => {
  it.each([
    ['pg', 'postgres'],
    ['mysql2', 'mariadb'],
  ] as [string, ServerKind][])('%s with ssl', async (library, kind) => {
    const cert = makeThrowawayCert();
    try {
      hosts = await createTestHosts({ ipv6: false });
      server = await startServer(hosts, kind, 'b', cert);
      const app = hosts.spawnNode('a', FIXTURE, [library, server.host, String(server.port)], REGISTER);
      const ready = await app.nextMessage('ready', 20_000);
      expect(ready.encrypted).toBe(true);
      await hosts.silence('b');
      const report = await app.nextMessage('dead-peer', 20_000);
      await app.nextMessage('error', 10_000);
      expect(report).toMatchObject({ held: true, encrypted: true, cause: 'keepalive', code: 'ETIMEDOUT' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(app.messages.filter((m) => m.type === 'dead-peer')).toHaveLength(1);
    } finally {
      cert.remove();
    }
  });
});
