// Proof against real servers: PostgreSQL, Redis and MariaDB from the Debian packages, each in
// its own test host; pg (Pool), ioredis, node-redis and mysql2 (pool) in applications that never
// mention keepalive, started with `--require tcp-keepalive/register` and
// TCP_KEEPALIVE=idle=2s,interval=1s,count=2. The server's host is then silenced. The three
// servers run side by side; the whole file takes about as long as the slowest one (~15 s).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { leftoverNamespaces } from '../helpers/netns';
import { needs } from '../helpers/platform';
import { CLOCK_SLACK_MS, detectionWindow, withMargin } from '../helpers/detection';
import {
  DEFAULT_TIMERS,
  silencedServer,
  TCP_KEEPALIVE,
  TCP_KEEPALIVE_WITH_USER_TIMEOUT,
  USER_TIMEOUT,
  type AppSpec,
  type ClientName,
  type ConnectionResult,
} from '../helpers/client-scenario';

/** The servers come from Debian's packages; setpriv runs them as nobody. */
const SERVERS = ['netns', 'system:postgresql', 'system:redis-server', 'system:mariadb-server', 'system:util-linux'] as const;

const CLIENTS: readonly ClientName[] = ['pg', 'ioredis', 'redis', 'mysql2'];
const window = detectionWindow(DEFAULT_TIMERS);

/** Per client: one application with the default (client as is, and with its own keepalive
 * option), one whose idle connection gets a query right after the silence. */
function appsOf(client: ClientName): AppSpec[] {
  return [
    {
      client,
      install: { kind: 'register', env: TCP_KEEPALIVE },
      role: 'pending',
      connections: [
        { name: 'untouched' },
        { name: 'own option', own: true },
        ...(client === 'pg' ? [{ name: 'unix', unix: true }] : []),
      ],
    },
    {
      client,
      install: { kind: 'register', env: TCP_KEEPALIVE_WITH_USER_TIMEOUT },
      role: 'query-after-silence',
      connections: [{ name: 'query after silence' }],
    },
  ];
}

needs(...SERVERS).describe('real clients against real servers, silenced', () => {
  let results: ConnectionResult[] = [];
  const find = (client: ClientName, name: string): ConnectionResult => {
    const found = results.find((r) => r.client === client && r.name === name);
    if (found === undefined) throw new Error(`no result for ${client} ${name}`);
    return found;
  };

  beforeAll(async () => {
    const watch = { reportWithinMs: window.latest + 5000 };
    // allSettled: a failing server must not leave the others running past afterAll's check.
    const runs = await Promise.allSettled([
      silencedServer('postgres', appsOf('pg'), watch),
      silencedServer('redis', [...appsOf('ioredis'), ...appsOf('redis')], watch),
      silencedServer('mariadb', appsOf('mysql2'), watch),
    ]);
    for (const run of runs) if (run.status === 'rejected') throw run.reason;
    results = runs.flatMap((run) => (run.status === 'fulfilled' ? run.value : []));
  }, 180_000);

  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  const expectReportedInWindow = (r: ConnectionResult): void => {
    expect(r.report, `${r.client} ${r.name}: nothing reached the application`).not.toBeNull();
    expect(r.report!.code).toBe('ETIMEDOUT');
    expect(r.afterLastPacket).toBeGreaterThanOrEqual(window.earliest - CLOCK_SLACK_MS);
    expect(r.afterLastPacket).toBeLessThanOrEqual(window.latest);
  };
  const keepaliveOf = (userTimeout: number) => ({
    keepalive: 1,
    idle: DEFAULT_TIMERS.idle / 1000,
    interval: DEFAULT_TIMERS.interval / 1000,
    count: DEFAULT_TIMERS.count,
    userTimeout,
  });

  it.for(CLIENTS)('%s, client untouched: the default is on its socket and the dead server reported in the bound', (client) => {
    const r = find(client, 'untouched');
    expect(r.kernel).toEqual(keepaliveOf(0));
    expectReportedInWindow(r);
  });

  it.for(CLIENTS)("%s with its own keepalive option: the default survives the client's setKeepAlive", (client) => {
    const r = find(client, 'own option');
    expect(r.kernel).toEqual(keepaliveOf(0));
    expectReportedInWindow(r);
  });

  it.for(CLIENTS)('%s: a query sent after the silence is ended by userTimeout', (client) => {
    const r = find(client, 'query after silence');
    expect(r.kernel).toEqual(keepaliveOf(USER_TIMEOUT));
    expect(r.report, `${client}: nothing reached the application`).not.toBeNull();
    expect(r.report!.code).toBe('ETIMEDOUT');
    expect(r.afterWrite).toBeGreaterThanOrEqual(USER_TIMEOUT - CLOCK_SLACK_MS);
    expect(r.afterWrite).toBeLessThanOrEqual(withMargin(USER_TIMEOUT));
  });

  it('pg through its Unix socket directory: left alone by the default, keeps working', () => {
    const r = find('pg', 'unix');
    expect(r.report).toBeNull();
    expect(r.unixWorked).toBe(true);
  });
});
