// The real-client proof: a real server in host b, applications using a real client library in
// host a (test/fixtures/db-client.mjs), then host b silenced (nftables drop-all). Measures, per
// connection, what the kernel holds (the independent reader, through pidfd_getfd on the child)
// and when the application heard of the dead server, counted from the server's last packet.
// Shared by test/clients/silenced-servers.test.ts (the bounds) and test/clients/table.ts (the table
// in docs/clients.md, `npm run table:clients`).
import { join } from 'node:path';
import { openKernelSession, type KernelKeepalive, type KernelSession } from './kernel';
import { createTestHosts, type Message, type NodeChild, type TestHosts } from './netns';
import { startServer, type RunningServer, type ServerKind } from './database-servers';
import { setTimeout as sleep } from 'node:timers/promises';

export type ClientName = 'pg' | 'ioredis' | 'redis' | 'mysql2';

export const SERVER_OF: Readonly<Record<ClientName, ServerKind>> = {
  pg: 'postgres',
  ioredis: 'redis',
  redis: 'redis',
  mysql2: 'mariadb',
};

const DB_CLIENT = join(__dirname, '..', 'fixtures', 'db-client.mjs');

/** The keepalive the tests install: TCP_KEEPALIVE=idle=2s,interval=1s,count=2. */
export const DEFAULT_TIMERS = { idle: 2000, interval: 1000, count: 2 } as const;
export const TCP_KEEPALIVE = 'idle=2s,interval=1s,count=2';
/** For the query sent after the silence: the same, bounded by a user timeout. */
export const USER_TIMEOUT = 4000;
export const TCP_KEEPALIVE_WITH_USER_TIMEOUT = `${TCP_KEEPALIVE},userTimeout=4s`;

/**
 * How the application gets its keepalive: not at all, or the process-wide default from
 * `--require tcp-keepalive/register` and TCP_KEEPALIVE (the application's code untouched).
 */
export type Install = { readonly kind: 'none' } | { readonly kind: 'register'; readonly env: string };

/** What the application does once connected: wait on a blocking command, or stay idle and
 * send a quick query right after the server goes silent. */
export type Role = 'pending' | 'query-after-silence';

export interface ConnectionSpec {
  readonly name: string;
  /** Turn on the client's own keepalive option (2 s idle). */
  readonly own?: boolean;
  /** PostgreSQL through its Unix-domain socket directory (must keep working). */
  readonly unix?: boolean;
}

export interface AppSpec {
  readonly client: ClientName;
  readonly install: Install;
  readonly role: Role;
  readonly connections: readonly ConnectionSpec[];
}

export interface ConnectionResult {
  readonly client: ClientName;
  readonly name: string;
  readonly install: Install['kind'];
  readonly role: Role;
  readonly unix: boolean;
  /** Keepalive as the kernel held it once connected (TCP only). */
  readonly kernel: KernelKeepalive | null;
  /** The first error the application saw, or null if none within the watch. */
  readonly report: { source: string; code: string | null; at: number } | null;
  /** ms from the server's last packet to the report (pending role). */
  readonly afterLastPacket: number | null;
  /** ms from the query's write to the report (query-after-silence role). */
  readonly afterWrite: number | null;
  /** Unix connection: a query made after the TCP connections had reported succeeded. */
  readonly unixWorked: boolean | null;
}

interface ReadyMessage extends Message {
  connections: { name: string; fd: number; localPort: number | null }[];
}
interface ReportMessage extends Message {
  name: string;
  source: string;
  code: string | null;
  at: number;
}

function startApp(hosts: TestHosts, server: RunningServer, app: AppSpec): NodeChild {
  const config = {
    client: app.client,
    host: server.host,
    port: server.port,
    socketDir: server.socketDir,
    connections: app.connections,
  };
  const env: Record<string, string> = {};
  if (app.install.kind === 'register') {
    // Resolved by the package's own name from the repository root, the children's directory.
    env.NODE_OPTIONS = '--require tcp-keepalive/register';
    env.TCP_KEEPALIVE = app.install.env;
  }
  return hosts.spawnNode('a', DB_CLIENT, [JSON.stringify(config)], env);
}


/** Until the server has acknowledged everything sent on the session's socket `index`. */
async function settled(session: KernelSession, index: number, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await session.tcpInfo())[index]!.unacked !== 0) {
    if (Date.now() > deadline) throw new Error(`${what}: data still unacknowledged after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Bounds for the waits of a loaded machine (starts), and how long a report is awaited. */
export interface Watch {
  /** ms after the last packet (or the write) to wait for a report before calling it "none". */
  readonly reportWithinMs: number;
}

const START_MS = 60_000;

/**
 * One server of `kind`, the applications in `apps` connected to it, then the server host
 * silenced. Every app of the list must use a client of that server.
 */
export async function silencedServer(kind: ServerKind, apps: readonly AppSpec[], watch: Watch): Promise<ConnectionResult[]> {
  const hosts = await createTestHosts({ ipv6: false });
  let server: RunningServer | undefined;
  let session: KernelSession | undefined;
  try {
    server = await startServer(hosts, kind);
    const children = apps.map((app) => startApp(hosts, server!, app));
    const readies = await Promise.all(children.map((child) => child.nextMessage<ReadyMessage>('ready', START_MS)));

    const sockets = readies.map((ready, i) =>
      ready.connections.map((c) => ({ ...c, remote: { pid: children[i]!.pid, fd: c.fd }, spec: apps[i]!.connections.find((s) => s.name === c.name)! })),
    );
    // The independent reader holds duplicates of every TCP socket from here on: it answers at
    // once after the silence, even for a connection whose process has closed it meanwhile.
    const tcp = sockets.flat().filter((s) => !s.spec.unix);
    session = await openKernelSession(tcp.map((s) => s.remote));
    const held = await session.keepalive();
    const kernels = sockets.map((list) => list.map((s) => (s.spec.unix ? null : held[tcp.indexOf(s)]!)));

    // Blocking commands in flight and acknowledged: the connections are idle, waiting on the server.
    await Promise.all(
      apps.map(async (app, i) => {
        if (app.role !== 'pending') return;
        children[i]!.send({ cmd: 'pending' });
        await children[i]!.nextMessage('pending', START_MS);
        for (const s of sockets[i]!) {
          if (!s.spec.unix) await settled(session!, tcp.indexOf(s), `${app.client} ${s.name}`, START_MS);
        }
      }),
    );

    await hosts.silence('b');
    // Nothing arrives from the server from here on: each connection's last packet is final.
    const infos = await session.tcpInfo();
    const lastPacket = sockets.map((list) => list.map((s) => (s.spec.unix ? null : infos[tcp.indexOf(s)]!.lastPacketAt)));
    const writes = await Promise.all(
      apps.map(async (app, i) => {
        if (app.role !== 'query-after-silence') return sockets[i]!.map(() => null);
        return Promise.all(
          sockets[i]!.map(async (s) => {
            if (s.spec.unix) return null;
            children[i]!.send({ cmd: 'query', name: s.name });
            return (await children[i]!.nextMessage<Message & { at: number }>((m) => m.type === 'writing' && m.name === s.name, START_MS)).at;
          }),
        );
      }),
    );

    const reports = await Promise.all(
      sockets.map((list, i) =>
        Promise.all(
          list.map(async (s, j) => {
            if (s.spec.unix) return null;
            const from = writes[i]![j] ?? lastPacket[i]![j]!;
            const wait = Math.max(0, from + watch.reportWithinMs - Date.now());
            return children[i]!
              .nextMessage<ReportMessage>((m) => m.type === 'report' && m.name === s.name, wait)
              .catch(() => null);
          }),
        ),
      ),
    );

    // The Unix-domain connections, once every TCP connection has had its chance to report.
    const unixWorked = await Promise.all(
      sockets.map((list, i) =>
        Promise.all(
          list.map(async (s) => {
            if (!s.spec.unix) return null;
            children[i]!.send({ cmd: 'query', name: s.name });
            const outcome = await children[i]!.nextMessage(
              (m) => (m.type === 'result' || m.type === 'report') && m.name === s.name,
              START_MS,
            );
            return outcome.type === 'result';
          }),
        ),
      ),
    );

    return sockets.flatMap((list, i) =>
      list.map((s, j): ConnectionResult => {
        const report = reports[i]![j] ?? null;
        const write = writes[i]![j] ?? null;
        const last = lastPacket[i]![j] ?? null;
        return {
          client: apps[i]!.client,
          name: s.name,
          install: apps[i]!.install.kind,
          role: apps[i]!.role,
          unix: s.spec.unix === true,
          kernel: kernels[i]![j] ?? null,
          report: report && { source: report.source, code: report.code, at: report.at },
          afterLastPacket: report && last !== null && write === null ? report.at - last : null,
          afterWrite: report && write !== null ? report.at - write : null,
          unixWorked: unixWorked[i]![j] ?? null,
        };
      }),
    );
  } finally {
    session?.close();
    // Lift the silence first, so nothing is left retransmitting into the void, then end it all.
    await hosts.unsilence('b').catch(() => undefined);
    await server?.stop();
    await hosts.destroy();
  }
}
