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
import { diagnostics } from '../diagnostics';

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

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function listNamespaces(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Kills every process inside a namespace of ours, then deletes it. */
function removeNamespace(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000 }).split(/\s+/).filter(Boolean);
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
}

/** Synchronous, so that it also works from 'exit' and signal handlers. */
function cleanupAll(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const name of liveNamespaces) removeNamespace(name);
  liveNamespaces.clear();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces left by demo processes that were killed outright. */
function sweepLeftovers(): string[] {
  const removed: string[] = [];
  for (const name of listNamespaces()) {
    const match = NAME_PATTERN.exec(name);
    if (!match || Number(match[1]) === process.pid || pidAlive(Number(match[1]))) continue;
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

async function ip(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('ip', args, { timeout: 10_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

export async function createHostPair(): Promise<HostPair> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', cleanupAll);
  }
  sweepLeftovers();
  const tag = String(process.pid);
  const client: TestHost = { namespace: `${PREFIX}${tag}-c`, iface: `tkd${tag}c`, address: SUBNET.client };
  const peer: TestHost = { namespace: `${PREFIX}${tag}-p`, iface: `tkd${tag}p`, address: SUBNET.peer };
  try {
    for (const host of [client, peer]) {
      liveNamespaces.add(host.namespace);
      await ip(['netns', 'add', host.namespace]);
    }
    // Both ends are created inside their namespaces: nothing ever appears in
    // the host's own. Distinct ifindexes make the carrier come up at once.
    await ip([
      'link', 'add', client.iface, 'index', '10', 'netns', client.namespace,
      'type', 'veth', 'peer', 'name', peer.iface, 'index', '11', 'netns', peer.namespace,
    ]);
    for (const host of [client, peer]) {
      await ip(['-n', host.namespace, 'link', 'set', 'lo', 'up']);
      await ip(['-n', host.namespace, 'addr', 'add', `${host.address}/${SUBNET.prefix}`, 'dev', host.iface]);
      await ip(['-n', host.namespace, 'link', 'set', host.iface, 'up']);
    }
  } catch (error) {
    for (const host of [client, peer]) {
      removeNamespace(host.namespace);
      liveNamespaces.delete(host.namespace);
    }
    throw error;
  }

  let destroyed = false;
  return {
    client,
    peer,
    async silencePeer() {
      await ip(['-n', peer.namespace, 'route', 'add', 'blackhole', `${client.address}/32`]);
    },
    spawn(host, command, args, env) {
      const child = spawn('ip', ['netns', 'exec', host.namespace, command, ...args], {
        env: env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      liveChildren.add(child);
      child.on('exit', () => liveChildren.delete(child));
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
