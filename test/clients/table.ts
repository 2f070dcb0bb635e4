// Re-makes the table in docs/clients.md: each client against its real server, the
// server's host silenced, seconds from its last packet until the application heard of it.
// Not part of `npm test` (the defaults column watches for a minute):
//
//   npm run table:clients        (npx vitest run --config test/clients/table.config.mts)
//
// TKA_TABLE_WATCH_S bounds the watch (default 65 s); the table is also written to
// TKA_TABLE_OUT (default /tmp/tka-clients-table.md).
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { canUseNetns, leftoverNamespaces } from '../helpers/netns';
import {
  SERVER_OF,
  silencedServer,
  TCP_KEEPALIVE,
  TCP_KEEPALIVE_WITH_USER_TIMEOUT,
  type AppSpec,
  type ClientName,
  type ConnectionResult,
} from '../helpers/client-scenario';
import { missingServers } from '../helpers/database-servers';

const WATCH_S = Number(process.env.TKA_TABLE_WATCH_S ?? 65);
const OUT = process.env.TKA_TABLE_OUT ?? '/tmp/tka-clients-table.md';
const CLIENTS: readonly ClientName[] = ['pg', 'ioredis', 'redis', 'mysql2'];
const VERSIONS: Readonly<Record<ClientName, string>> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  pg: (require('pg/package.json') as { version: string }).version,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ioredis: (require('ioredis/package.json') as { version: string }).version,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  redis: (require('redis/package.json') as { version: string }).version,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mysql2: (require('mysql2/package.json') as { version: string }).version,
};
const LABEL: Readonly<Record<ClientName, string>> = {
  pg: 'pg Pool',
  ioredis: 'ioredis',
  redis: 'redis (node-redis)',
  mysql2: 'mysql2 pool',
};

/** Each client twice: without the package (its defaults, its own option), and with the default. */
function appsOf(client: ClientName): AppSpec[] {
  const connections = [{ name: 'client' }, { name: 'own option', own: true }];
  const query = [{ name: 'query after silence' }];
  return [
    { client, install: { kind: 'none' }, role: 'pending', connections },
    { client, install: { kind: 'register', env: TCP_KEEPALIVE }, role: 'pending', connections },
    { client, install: { kind: 'none' }, role: 'query-after-silence', connections: query },
    { client, install: { kind: 'register', env: TCP_KEEPALIVE_WITH_USER_TIMEOUT }, role: 'query-after-silence', connections: query },
  ];
}

/** Seconds (after the last packet, or after the write for a query sent into the silence). */
function cell(r: ConnectionResult | undefined): string {
  if (r === undefined) return 'not run';
  const k = r.kernel;
  let held = k === null ? '' : k.keepalive === 0 ? 'keepalive off' : `${k.idle} s / ${k.interval} s / ${k.count}`;
  if (k !== null && k.userTimeout !== 0) held += `, userTimeout ${k.userTimeout / 1000} s`;
  const after = r.afterWrite ?? r.afterLastPacket;
  if (r.report === null || after === null) return `not within ${WATCH_S} s (${held})`;
  return `${(after / 1000).toFixed(2)} (${held}; ${r.report.source} ${r.report.code})`;
}

it.skipIf(!canUseNetns.ok || missingServers() !== undefined)('the real-client table', async () => {
  const started = Date.now();
  const watch = { reportWithinMs: WATCH_S * 1000 };
  const byServer = new Map<string, AppSpec[]>();
  for (const client of CLIENTS) byServer.set(SERVER_OF[client], [...(byServer.get(SERVER_OF[client]) ?? []), ...appsOf(client)]);
  const runs = await Promise.allSettled([...byServer].map(([kind, apps]) => silencedServer(kind as never, apps, watch)));
  const failures = runs.flatMap((run) => (run.status === 'rejected' ? [String((run.reason as Error).message ?? run.reason)] : []));
  const results = runs.flatMap((run) => (run.status === 'fulfilled' ? run.value : []));
  const pick = (client: ClientName, install: string, name: string) =>
    results.find((r) => r.client === client && r.install === install && r.name === name);

  const lines = [
    `Measured ${new Date().toISOString()}, Node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s in all.`,
    `Seconds from the server's last packet until the application heard of it (what the kernel held: idle / interval / count; how it heard).`,
    `Default: \`--require tcp-keepalive/register\` with TCP_KEEPALIVE=${TCP_KEEPALIVE}, the client's code untouched; bound (2 + 1 x 2) x 1.15 + 0.5 = 5.1 s.`,
    '',
    `| client | defaults | with the client's own keepalive option | with the default | with the default and the client's own option |`,
    '| --- | --- | --- | --- | --- |',
    ...CLIENTS.map(
      (c) =>
        `| ${LABEL[c]} ${VERSIONS[c]} | ${cell(pick(c, 'none', 'client'))} | ${cell(pick(c, 'none', 'own option'))} | ` +
        `${cell(pick(c, 'register', 'client'))} | ${cell(pick(c, 'register', 'own option'))} |`,
    ),
    '',
    `A query sent right after the silence on an idle connection: seconds from the write until the application heard`,
    `(keepalive does not probe while data is unacknowledged; with TCP_KEEPALIVE=${TCP_KEEPALIVE_WITH_USER_TIMEOUT} the user timeout bounds it).`,
    '',
    '| client | defaults | with the default and userTimeout |',
    '| --- | --- | --- |',
    ...CLIENTS.map(
      (c) =>
        `| ${LABEL[c]} ${VERSIONS[c]} | ${cell(pick(c, 'none', 'query after silence'))} | ` +
        `${cell(pick(c, 'register', 'query after silence'))} |`,
    ),
  ];
  if (failures.length > 0) lines.push('', 'Failed runs:', ...failures.map((f) => `- ${f.split('\n')[0]}`));
  const table = lines.join('\n');
  writeFileSync(OUT, `${table}\n`);
  console.log(`${table}\n\n(written to ${OUT})`);
  expect(failures).toEqual([]);
  expect(leftoverNamespaces()).toEqual([]);
});
