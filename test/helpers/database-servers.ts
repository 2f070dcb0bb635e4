// Real database and cache servers (the Debian packages .ci/run installs) started inside a test
// host: PostgreSQL, Redis and MariaDB, each with its own data directory in a temporary folder,
// listening on the host's veth address, run as `nobody` (postgres refuses root; the others
// follow suit). Readiness is the server's own "ready" log line, never a sleep.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Side, TestHosts } from './netns';

export type ServerKind = 'postgres' | 'redis' | 'mariadb';

export interface RunningServer {
  readonly kind: ServerKind;
  /** The server host's address, where it listens. */
  readonly host: string;
  readonly port: number;
  /** Directory of its Unix-domain socket (PostgreSQL: the socket directory the clients take). */
  readonly socketDir: string;
  /** Ends the server (and its own children) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

const PORTS: Readonly<Record<ServerKind, number>> = { postgres: 5432, redis: 6379, mariadb: 3306 };

/** The line each server logs once its sockets listen. */
const READY: Readonly<Record<ServerKind, RegExp>> = {
  postgres: /database system is ready to accept connections/,
  redis: /Ready to accept connections/,
  mariadb: /ready for connections/,
};

/**
 * The signal that ends each server at once and takes its own children with it (PostgreSQL's
 * backends): postgres' "immediate shutdown" is SIGQUIT; SIGTERM would wait for clients.
 */
const STOP_SIGNAL: Readonly<Record<ServerKind, NodeJS.Signals>> = {
  postgres: 'SIGQUIT',
  redis: 'SIGTERM',
  mariadb: 'SIGTERM',
};

/** Under load (2 shared cores) a start can take seconds; this only bounds a server that hangs. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

const UNPRIVILEGED = 'nobody';
let ids: { uid: number; gid: number } | undefined;

function unprivilegedIds(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, UNPRIVILEGED], { encoding: 'utf8' }).trim());
  return (ids ??= { uid: id('-u'), gid: id('-g') });
}

/** Drop to `nobody` just before exec: `setpriv` (util-linux) keeps the pid, like `ip netns exec`. */
function asUnprivileged(cmd: string, args: readonly string[]): [string, string[]] {
  const { uid, gid } = unprivilegedIds();
  return ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', cmd, ...args]];
}

/** PostgreSQL's binaries live in a versioned folder off PATH: take the newest installed. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((x, y) => Number(y) - Number(x))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql (npm test does it when run as root)');
  return join(root, versions[0]!, 'bin');
}

function requireCommand(cmd: string, pkg: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  throw new Error(`${cmd} is not installed: apt-get install -y ${pkg} (npm test does it when run as root)`);
}

/** What is missing to run every real server here, or undefined when all are installed. */
export function missingServers(): string | undefined {
  try {
    postgresBin();
    requireCommand('redis-server', 'redis-server');
    requireCommand('mariadbd', 'mariadb-server');
    requireCommand('setpriv', 'util-linux');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Resolves when `pattern` appears in the process' output; rejects if it exits or hangs first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) done();
    };
    const onClose = (code: number | null, signal: NodeJS.Signals | null): void =>
      done(new Error(`${what} exited (${signal ?? `code ${code}`}) before it was ready:\n${output.slice(-3000)}`));
    const timer = setTimeout(
      () => done(new Error(`${what} not ready within ${START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`)),
      START_TIMEOUT_MS,
    );
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', onClose);
  });
}

/** A key and certificate for a server that offers TLS (PostgreSQL's `ssl`, MariaDB's `--ssl-*`). */
export interface ServerTls {
  readonly keyPath: string;
  readonly certPath: string;
}

/** The key and certificate copied into the server's folder, owned by the server's user (PostgreSQL insists). */
function tlsFiles(dir: string, tls: ServerTls): { key: string; cert: string } {
  const key = join(dir, 'server.key');
  const cert = join(dir, 'server.crt');
  copyFileSync(tls.keyPath, key);
  copyFileSync(tls.certPath, cert);
  for (const file of [key, cert]) {
    chownSync(file, unprivilegedIds().uid, unprivilegedIds().gid);
    chmodSync(file, 0o600);
  }
  return { key, cert };
}

function tlsArgs(kind: ServerKind, dir: string, tls: ServerTls | undefined): string[] {
  if (tls === undefined) return [];
  const { key, cert } = tlsFiles(dir, tls);
  if (kind === 'postgres') return ['-c', 'ssl=on', '-c', `ssl_key_file=${key}`, '-c', `ssl_cert_file=${cert}`];
  if (kind === 'mariadb') return [`--ssl-key=${key}`, `--ssl-cert=${cert}`];
  throw new Error(`no TLS set-up for ${kind} here`);
}

function commandLine(kind: ServerKind, host: string, port: number, dir: string, tls?: ServerTls): [string, string[]] {
  switch (kind) {
    case 'postgres': {
      const bin = postgresBin();
      // initdb runs outside the namespace (no network); trust auth, no fsync: a throwaway cluster.
      execFileSync(
        ...asUnprivileged(join(bin, 'initdb'), [
          '-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions',
        ]),
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: START_TIMEOUT_MS },
      );
      // initdb's trust covers loopback only; the clients come from the other host.
      writeFileSync(join(dir, 'data', 'pg_hba.conf'), 'local all all trust\nhost all all 0.0.0.0/0 trust\n');
      return asUnprivileged(join(bin, 'postgres'), [
        '-D', join(dir, 'data'), '-h', host, '-p', String(port), '-k', dir,
        '-c', 'fsync=off', '-c', 'shared_buffers=8MB', '-c', 'max_connections=20', ...tlsArgs(kind, dir, tls),
      ]);
    }
    case 'redis':
      return asUnprivileged(requireCommand('redis-server', 'redis-server'), [
        '--bind', host, '--port', String(port), '--dir', dir, '--unixsocket', join(dir, 'redis.sock'),
        '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--daemonize', 'no',
      ]);
    case 'mariadb': {
      mkdirSync(join(dir, 'data'));
      chownSync(join(dir, 'data'), unprivilegedIds().uid, unprivilegedIds().gid);
      // An empty data directory and no grant tables: any user may connect, which is all the
      // clients need, and the server is ready in well under a second (no InnoDB to create).
      return asUnprivileged(requireCommand('mariadbd', 'mariadb-server'), [
        '--no-defaults', `--datadir=${join(dir, 'data')}`, `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`, `--bind-address=${host}`, `--port=${port}`,
        '--skip-grant-tables', '--skip-name-resolve', '--skip-log-bin', '--innodb=OFF',
        '--default-storage-engine=MyISAM', '--default-tmp-storage-engine=MyISAM', ...tlsArgs(kind, dir, tls),
      ]);
    }
  }
}

/** Start a `kind` server in host `side` (default b), listening on that host's address; with `tls`, offering TLS too. */
export async function startServer(hosts: TestHosts, kind: ServerKind, side: Side = 'b', tls?: ServerTls): Promise<RunningServer> {
  const host = hosts[side].addr;
  const port = PORTS[kind];
  const dir = mkdtempSync(join(os.tmpdir(), `tka-${kind}-`));
  // A run cut short never reaches stop(); the netns harness kills the server on 'exit', and
  // this removes its folder then.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const { uid, gid } = unprivilegedIds();
  chownSync(dir, uid, gid);
  let child: ChildProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child!.once('close', resolve));
        child.kill(STOP_SIGNAL[kind]);
        const timer = setTimeout(() => child!.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      removeDir();
      process.removeListener('exit', removeDir);
    })());
  try {
    const [cmd, args] = commandLine(kind, host, port, dir, tls);
    child = hosts.spawnProcess(side, cmd, args);
    await waitForLine(child, READY[kind], `${kind} in ${hosts[side].name}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { kind, host, port, socketDir: dir, stop };
}
