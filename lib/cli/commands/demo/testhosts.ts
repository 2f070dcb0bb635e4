// Two test hosts for the demo: Linux network namespaces joined by a veth
// pair, made with iproute2 only (no nftables needed).
//
// Safety rules, all enforced here:
//  - names are unique to this process (tkademo-<pid>-c / -p) and only
//    namespaces with this process's names are ever created or removed; the
//    only others touched are leftovers of a demo process that no longer
//    exists (killed with SIGKILL), found by the pid in their name;
//  - traffic flows only between the two namespaces (a private /30 that
//    exists nowhere else); no sysctl is written anywhere;
//  - everything is removed by destroy(), and on 'exit' as a last resort;
//    the command removes it on SIGINT/SIGTERM too. Processes started inside
//    are killed before their namespace is deleted.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { diagnostics } from '../../../diagnostics';

const execFileAsync = promisify(execFile);

const PREFIX = 'tkademo-';
const NAME_PATTERN = /^tkademo-(\d+)-[cp]$/;
const SUBNET = { client: '10.213.0.1', peer: '10.213.0.2', prefix: 30 };

export interface TestHost {
  /** Network namespace name. */
  readonly namespace: string;
  /** Its end of the veth pair. */
  readonly iface: string;
  readonly address: string;
}

export interface HostPair {
  readonly client: TestHost;
  readonly peer: TestHost;
  /** Leftovers of demos that were killed outright (owner pid gone), removed before these were made. */
  readonly swept: readonly string[];
  /**
   * The peer goes silent: a blackhole route in its namespace drops
   * everything it would send to the client, while it keeps receiving. Its
   * sockets live on, exactly like a host that hangs or loses its uplink.
   */
  silencePeer(): Promise<void>;
  /** Starts a program inside a host's namespace (`ip netns exec`). */
  spawn(host: TestHost, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Kills what runs inside and removes both namespaces. Idempotent. */
  destroy(): void;
}

// The one registry of what this process made in other namespaces: the demo's
// hosts, and the test suite's (test/helpers/netns.ts builds on these).
const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

export function listNamespaces(): string[] {
  try {
    // stderr ignored: while another process deletes a namespace, `ip netns list` prints
    // "Peer netns reference is invalid." for it (exit status 0, the list is still right).
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '') // "name" or "name (id: 3)"
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Kills every process inside a namespace of ours, then deletes it. */
export function removeNamespace(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .split(/\s+/)
      .filter(Boolean);
    for (const pid of pids) {
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
  liveNamespaces.delete(name);
}

/** Records a namespace this process made: removed by cleanupAll() (and at exit) unless untracked first. */
export function trackNamespace(name: string): void {
  installExitCleanup();
  liveNamespaces.add(name);
}

export function untrackNamespace(name: string): void {
  liveNamespaces.delete(name);
}

/** Records a process started inside one of our namespaces: killed by cleanupAll(). */
export function trackChild(child: ChildProcess): void {
  installExitCleanup();
  liveChildren.add(child);
  child.on('exit', () => liveChildren.delete(child));
}

/** Kills the children, removes the namespaces. Synchronous: usable from 'exit' and signal handlers. */
export function cleanupAll(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const name of [...liveNamespaces]) removeNamespace(name);
}

function installExitCleanup(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanupAll);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes namespaces named by `pattern` (group 1: the pid of the process that
 * made them) whose process is gone: killed outright, so nothing of its own
 * could clean up. A live owner's namespaces, and every other name, are never
 * touched. Returns the names removed.
 */
export function sweepNamespaces(pattern: RegExp): string[] {
  const removed: string[] = [];
  for (const name of listNamespaces()) {
    const match = pattern.exec(name);
    if (!match || pidAlive(Number(match[1]))) continue;
    removeNamespace(name);
    removed.push(name);
  }
  return removed;
}

/** Namespaces of this process that still exist: empty once cleaned up. */
export function leftoverNamespaces(): string[] {
  return listNamespaces().filter((name) => name.startsWith(`${PREFIX}${process.pid}-`));
}

/** Whether test hosts can be made here, and if not, why (one line). */
export function namespaceSupport(): { ok: true } | { ok: false; reason: string } {
  if (!diagnostics.perNamespace) return { ok: false, reason: 'network namespaces are not available on this system (Linux has them)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'creating network namespaces needs root' };
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return { ok: false, reason: 'the `ip` command (iproute2) is missing' };
  }
  return { ok: true };
}

export async function ip(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('ip', args, { timeout: 10_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

/** One end of a pair of namespaces: its name, its veth interface and its IPv4 address. */
export interface VethEnd {
  readonly namespace: string;
  readonly iface: string;
  readonly address: string;
  readonly prefix: number;
}

/**
 * Makes two namespaces joined by a veth pair, loopback and addresses up;
 * `configure` runs in each before its link comes up (more addresses,
 * sysctls). Both are tracked (removed by cleanupAll() and at exit); on a
 * failure both are removed and the error is thrown.
 */
export async function joinNamespaces(a: VethEnd, b: VethEnd, configure: (end: VethEnd) => Promise<void> = async () => undefined): Promise<void> {
  try {
    for (const end of [a, b]) {
      trackNamespace(end.namespace);
      await ip(['netns', 'add', end.namespace]);
    }
    // Both ends are created inside their namespaces: nothing appears in the
    // host's own. Distinct ifindexes matter: in two fresh namespaces both ends
    // would get index 2, and a veth whose ifindex equals its peer's (iflink)
    // is not an "urgent" linkwatch device, so its carrier-up is deferred up to
    // 1 s (the first IPv6 connect took ~1.1 s, measured); with 10/11, ~10 ms.
    await ip([
      'link', 'add', a.iface, 'index', '10', 'netns', a.namespace,
      'type', 'veth', 'peer', 'name', b.iface, 'index', '11', 'netns', b.namespace,
    ]);
    for (const end of [a, b]) {
      await ip(['-n', end.namespace, 'link', 'set', 'lo', 'up']);
      await ip(['-n', end.namespace, 'addr', 'add', `${end.address}/${end.prefix}`, 'dev', end.iface]);
      await configure(end);
    }
    for (const end of [a, b]) await ip(['-n', end.namespace, 'link', 'set', end.iface, 'up']);
  } catch (error) {
    for (const end of [a, b]) removeNamespace(end.namespace);
    throw error;
  }
}

export async function createHostPair(): Promise<HostPair> {
  const swept = sweepNamespaces(NAME_PATTERN);
  const tag = String(process.pid);
  const client: TestHost = { namespace: `${PREFIX}${tag}-c`, iface: `tkd${tag}c`, address: SUBNET.client };
  const peer: TestHost = { namespace: `${PREFIX}${tag}-p`, iface: `tkd${tag}p`, address: SUBNET.peer };
  await joinNamespaces({ ...client, prefix: SUBNET.prefix }, { ...peer, prefix: SUBNET.prefix });

  let destroyed = false;
  return {
    client,
    peer,
    swept,
    async silencePeer() {
      await ip(['-n', peer.namespace, 'route', 'add', 'blackhole', `${client.address}/32`]);
    },
    spawn(host, command, args, env) {
      const child = spawn('ip', ['netns', 'exec', host.namespace, command, ...args], {
        env: env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      trackChild(child);
      // A child that exits while we write to it must not crash the demo.
      child.stdin?.on('error', () => undefined);
      return child;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      cleanupAll();
    },
  };
}
