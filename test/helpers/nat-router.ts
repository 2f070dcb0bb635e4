/**
 * A NAT router with an idle timeout, in three network namespaces of its own: client C - router R -
 * server S (docs/path.md, platform facts). R masquerades C's connections towards S and forgets an
 * established connection after `timeoutS` seconds idle (nf_conntrack_tcp_timeout_established,
 * loose tracking off, both set inside R only); later packets of it are dropped (`silent`) or
 * answered with a reset (`reset`). `none` keeps connections for a day.
 *
 * Used by the tests (test/network/path.test.ts) and the benchmark (bench/path.ts), so it imports
 * node:* only. Names are unique to this process, thread and router (`tkp-<pid>[t<thread>]-<n>-c|r|s`); every address
 * is private and exists only inside these namespaces; nothing outside them is touched. destroy()
 * (and process exit, as a last resort) kills what runs inside and removes all three; routers of a
 * process killed outright are removed by the next process that makes one.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';

const execFileAsync = promisify(execFile);

export type RouterMode = 'silent' | 'reset' | 'none';

export interface RouterOptions {
  mode: RouterMode;
  /** Idle seconds after which R forgets an established connection (ignored for 'none'). */
  timeoutS?: number;
}

export interface ServerOptions {
  port: number;
  /** The server closes a connection idle this long (ms): an application's idle timeout. */
  idleCloseMs?: number;
}

export interface NatRouter {
  readonly client: string;
  readonly router: string;
  readonly server: string;
  /** S's address, as C reaches it. */
  readonly serverAddress: string;
  /** Starts a TCP server in S that sends nothing and discards what it receives; resolves once it listens. */
  startServer(options: ServerOptions): Promise<ChildProcess>;
  /** Starts a program inside C (`ip netns exec`). */
  spawnInClient(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** S stops answering C: a blackhole route in S (the target host hangs or loses its uplink). */
  silenceServer(): Promise<void>;
  /** Kills what runs inside, removes the namespaces. Idempotent. */
  destroy(): void;
}

// pid alone is not unique when vitest runs files in worker threads of one process.
const PREFIX = `tkp-${process.pid}${threadId === 0 ? '' : `t${threadId}`}-`;
const live = new Set<string>();
const children = new Set<ChildProcess>();
let counter = 0;
let hooked = false;

async function run(command: string, args: readonly string[], input?: string): Promise<void> {
  try {
    if (input === undefined) {
      await execFileAsync(command, args, { timeout: 10_000 });
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `exit ${code}`))));
      child.stdin!.end(input);
    });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')}: ${String((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}`);
  }
}

function remove(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // no such namespace
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // already gone
  }
  live.delete(name);
}

function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const name of [...live]) remove(name);
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdin?.on('error', () => undefined);
  return child;
}

/** The prefix of this process's (and thread's) namespaces: none should be left once the routers are destroyed. */
export const NAT_ROUTER_PREFIX = PREFIX;

/** Why a router cannot be made here (root, iproute2, nftables), or null. */
export function natRouterUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  for (const [command, args, what] of [
    ['ip', ['-V'], '`ip` (iproute2)'],
    ['nft', ['--version'], '`nft` (nftables: apt-get install nftables)'],
  ] as const) {
    try {
      execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
    } catch {
      return `${what} is missing`;
    }
  }
  return null;
}

const SERVER_SCRIPT = `
const net = require('net');
const [port, idleCloseMs] = process.argv.slice(1).map(Number);
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.resume();
  if (idleCloseMs > 0) socket.setTimeout(idleCloseMs, () => socket.end());
});
server.listen(port, '0.0.0.0', () => process.stdout.write('listening\\n'));
`;

/** Routers left by a process killed outright (its pid gone): removed; a live process's are never touched. */
function sweepStale(): void {
  let names: string[] = [];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '');
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^tkp-(\d+)(?:t\d+)?-\d+-[crs]$/.exec(name);
    if (!match) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') remove(name);
    }
  }
}

export async function createNatRouter(options: RouterOptions): Promise<NatRouter> {
  if (!hooked) {
    hooked = true;
    process.on('exit', cleanup);
    sweepStale();
  }
  const n = counter++;
  const [client, router, server] = ['c', 'r', 's'].map((role) => `${PREFIX}${n}-${role}`) as [string, string, string];
  const names = [client, router, server];
  const serverAddress = '10.231.2.2';
  const timeoutS = options.mode === 'none' ? 86_400 : (options.timeoutS ?? 5);
  try {
    for (const name of names) {
      live.add(name);
      await run('ip', ['netns', 'add', name]);
      await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    }
    await run('ip', ['link', 'add', 'c0', 'netns', client, 'type', 'veth', 'peer', 'name', 'r0', 'netns', router]);
    await run('ip', ['link', 'add', 'r1', 'netns', router, 'type', 'veth', 'peer', 'name', 's0', 'netns', server]);
    const addresses: [string, string, string][] = [
      [client, 'c0', '10.231.1.2/24'],
      [router, 'r0', '10.231.1.1/24'],
      [router, 'r1', '10.231.2.1/24'],
      [server, 's0', `${serverAddress}/24`],
    ];
    for (const [name, device, address] of addresses) {
      await run('ip', ['-n', name, 'addr', 'add', address, 'dev', device]);
      await run('ip', ['-n', name, 'link', 'set', device, 'up']);
    }
    await run('ip', ['-n', client, 'route', 'add', 'default', 'via', '10.231.1.1']);
    await run('ip', ['-n', server, 'route', 'add', 'default', 'via', '10.231.2.1']);
    await run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const invalid = options.mode === 'reset' ? 'reject with tcp reset' : 'drop';
    const rules = `table ip mid {
  chain forward_path { type filter hook forward priority 0; policy accept; ct state invalid ${invalid}; }
  chain post { type nat hook postrouting priority 100; oifname "r1" masquerade; }
}
`;
    await run('ip', ['netns', 'exec', router, 'nft', '-f', '-'], rules);
    await run('ip', [
      'netns', 'exec', router, 'sysctl', '-qw',
      'net.netfilter.nf_conntrack_tcp_loose=0',
      `net.netfilter.nf_conntrack_tcp_timeout_established=${timeoutS}`,
    ]);
  } catch (error) {
    for (const name of names) remove(name);
    throw error;
  }

  let destroyed = false;
  const own = new Set<ChildProcess>();
  const spawnIn = (name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess => {
    const child = track(spawn('ip', ['netns', 'exec', name, command, ...args], { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] }));
    own.add(child);
    return child;
  };
  return {
    client,
    router,
    server,
    serverAddress,
    async startServer({ port, idleCloseMs = 0 }) {
      const child = spawnIn(server, process.execPath, ['-e', SERVER_SCRIPT, String(port), String(idleCloseMs)]);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('listening')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`the server in ${server} exited (${code})`)));
      });
      return child;
    },
    spawnInClient(command, args, env) {
      return spawnIn(client, command, args, env);
    },
    async silenceServer() {
      await run('ip', ['-n', server, 'route', 'add', 'blackhole', '10.231.2.1/32']);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const child of own) child.kill('SIGKILL');
      for (const name of names) remove(name);
    },
  };
}
