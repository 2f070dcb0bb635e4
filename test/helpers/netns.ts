/**
 * Test hosts on one machine: two Linux network namespaces joined by a veth pair.
 *
 * Every namespace this module creates has a name unique to this process and call
 * (`tka-<pid>[t<threadId>]-<n>-a|b`), carries only private addresses that exist inside it,
 * and is deleted by `destroy()`, by the process 'exit'/SIGINT/SIGTERM handlers, or (after a
 * SIGKILL) by `sweepStaleNamespaces()` on the next run. Sysctls are only ever written inside
 * these namespaces. Commands are run with execFile/spawn and argument arrays, never a shell.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';
import { JsonLinesChild, type JsonMessage } from '../../lib/cli/terminal/children';
import {
  cleanupAll,
  joinNamespaces,
  listNamespaces,
  sweepNamespaces,
  trackChild,
  untrackNamespace,
  type VethEnd,
} from '../../lib/cli/commands/demo/testhosts';

const execFileAsync = promisify(execFile);

/** Prefix of every namespace this harness creates (in any process). */
export const NETNS_PREFIX = 'tka-';

// pid alone is not unique when vitest runs files in worker threads of one process.
const PROCESS_TAG = threadId === 0 ? String(process.pid) : `${process.pid}t${threadId}`;
const OWN_PREFIX = `${NETNS_PREFIX}${PROCESS_TAG}-`;
const NAME_RE = /^tka-(\d+)(?:t\d+)?-(?:\d+-[ab]|probe)$/;

// ---------------------------------------------------------------------------------------------
// Availability

export interface NetnsAvailability {
  readonly ok: boolean;
  /** What is missing, when `ok` is false. */
  readonly reason?: string;
}

/** Whether `cmd args` runs and exits 0 (a tool is installed and works). */
export function commandWorks(cmd: string, args: readonly string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Effective capability bit from /proc/self/status (CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21). */
function hasCapability(bit: number): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
  } catch {
    return process.getuid?.() === 0;
  }
}

function checkNetns(): NetnsAvailability {
  if (!existsSync('/proc/self/ns/net')) {
    return { ok: false, reason: 'this system has no network namespaces (no /proc/self/ns/net)' };
  }
  // `ip netns add` bind-mounts the namespace (CAP_SYS_ADMIN) and veth/addresses need CAP_NET_ADMIN.
  if (!hasCapability(12) || !hasCapability(21)) {
    return {
      ok: false,
      reason: 'needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces',
    };
  }
  const missing: string[] = [];
  if (!commandWorks('ip', ['-V'])) missing.push('`ip` (apt-get install -y iproute2)');
  if (!commandWorks('nft', ['--version'])) missing.push('`nft` (apt-get install -y nftables)');
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(' and ')}` };
  // Capabilities are not the whole story (e.g. an unprivileged container): try it for real.
  const probe = `${OWN_PREFIX}probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
  } catch (err) {
    return { ok: false, reason: `\`ip netns add\` failed: ${stderrOf(err)}` };
  }
  try {
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // Deleting what we just created does not fail in practice; the sweep would catch it.
  }
  return { ok: true };
}

/** Whether network-namespace tests can run here, and if not, exactly why. */
// Checked on first use: it creates (and removes) a namespace, which files that only import
// this module for its types or other helpers should not pay for.
let availability: NetnsAvailability | undefined;
export const canUseNetns: NetnsAvailability = {
  get ok() {
    return (availability ??= checkNetns()).ok;
  },
  get reason() {
    return (availability ??= checkNetns()).reason;
  },
};

// ---------------------------------------------------------------------------------------------
// Process-wide bookkeeping and cleanup

// The registry, cleanup, liveness check and sweep are the command's own
// (lib/cli/commands/demo/testhosts.ts): one manager for the demo's hosts and these.
let counter = 0;
let handlersInstalled = false;
let swept = false;

function onSignal(signal: NodeJS.Signals): void {
  cleanupAll();
  // If we are the only listener, adding it suppressed the default "terminate": restore that.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Namespaces created by this process (and thread) that still exist. Empty when all is clean. */
export function leftoverNamespaces(): string[] {
  return listNamespaces().filter((name) => name.startsWith(OWN_PREFIX));
}

/**
 * Delete harness namespaces whose creating process is dead (it was SIGKILLed, so no handler ran).
 * Namespaces of live processes are never touched. Returns the names deleted.
 */
export function sweepStaleNamespaces(): string[] {
  return sweepNamespaces(NAME_RE);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string | Buffer; message?: string };
  const text = e.stderr !== undefined ? String(e.stderr).trim() : '';
  return text.length > 0 ? text : (e.message ?? String(err));
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

async function run(cmd: string, args: readonly string[], input?: string): Promise<ExecResult> {
  try {
    if (input === undefined) {
      const { stdout, stderr } = await execFileAsync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
      return { stdout, stderr };
    }
    // promisified execFile cannot feed stdin; spawn does.
    return await new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve({ stdout, stderr });
        else reject(Object.assign(new Error(`exit code ${code}`), { stderr }));
      });
      child.stdin.end(input);
    });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')}: ${stderrOf(err)}`);
  }
}

/** `net.ipv4.tcp_keepalive_time` -> `/proc/sys/net/ipv4/tcp_keepalive_time`, validated. */
function sysctlPath(key: string): string {
  // Only net.* keys: outside net.* nothing is per namespace, so writing would change the host.
  // (Global-only net.* keys do not exist inside a child namespace, so writing them fails.)
  if (!/^net(\.[A-Za-z0-9_-]+)+$/.test(key)) {
    throw new Error(`refusing sysctl key ${JSON.stringify(key)}: only net.* keys (per namespace)`);
  }
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

// ---------------------------------------------------------------------------------------------
// Node children inside a namespace

/** One JSON object a child printed as a line on stdout. */
export type Message = Record<string, unknown> & { type?: string };
export type MessageMatcher = string | ((message: Message) => boolean);

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * How long a child's message is waited for when the test names no bound: below the test
 * timeout (30 s), so that a hang fails with the child's stderr rather than a bare timeout.
 */
export const MESSAGE_GUARD_MS = 20_000;

export interface NodeChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every message received so far, in order (consumed or not). */
  readonly messages: readonly Message[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Send one JSON line to the child's stdin. */
  send(message: unknown): void;
  /**
   * Resolve with the first not-yet-consumed message matching `match` (a `type` string or a
   * predicate) and consume it; reject after `timeoutMs` or when the child exits first.
   * Without `timeoutMs` it waits MESSAGE_GUARD_MS: a guard against a child that hangs, not
   * a claim about speed (a Node child's start-up alone takes seconds on a loaded machine).
   */
  nextMessage<T extends Message = Message>(match?: MessageMatcher, timeoutMs?: number): Promise<T>;
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the child has exited. */
  readonly exited: Promise<ExitInfo>;
}

function toPredicate(match: MessageMatcher | undefined): (m: Message) => boolean {
  if (match === undefined) return () => true;
  if (typeof match === 'string') return (m) => m.type === match;
  return match;
}

function startNodeChild(
  ns: string,
  scriptPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): NodeChild {
  // The parent's NODE_OPTIONS may carry test-runner loaders that a plain child must not get.
  const { NODE_OPTIONS: _dropped, ...baseEnv } = process.env;
  // `ip netns exec` execs the command in place, so the child's pid is node's own pid.
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, scriptPath, ...args], {
    env: { ...baseEnv, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  const lines = new JsonLinesChild(child, `child ${scriptPath.split('/').pop()}`);
  return {
    process: child,
    get pid(): number {
      return child.pid ?? -1;
    },
    messages: lines.messages as Message[],
    stderr: () => lines.stderr,
    send: (message) => lines.send(message),
    nextMessage: <T extends Message = Message>(match?: MessageMatcher, timeoutMs = MESSAGE_GUARD_MS) =>
      lines.next(toPredicate(match) as (m: JsonMessage) => boolean, timeoutMs) as Promise<T>,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => lines.kill(signal),
    exited: lines.exited,
  };
}

// ---------------------------------------------------------------------------------------------
// Test hosts

export type Side = 'a' | 'b';

/**
 * How a silenced host ignores the other: `'drop'` drops everything (a host that is gone, a
 * pulled cable); `'unreachable'` answers each TCP segment with an ICMP host-unreachable and
 * drops everything else it would send (what a router says for a host that is gone).
 */
export type SilenceMode = 'drop' | 'unreachable';

export interface TestHost {
  readonly side: Side;
  /** Network namespace name (for `ip netns exec` / `ip -n`). */
  readonly name: string;
  /** IPv4 address of this host's veth end (private /30 existing only in these namespaces). */
  readonly addr: string;
  /** IPv6 address (ULA /126), or undefined when created with `ipv6: false`. */
  readonly addr6: string | undefined;
  /** This host's veth interface. */
  readonly iface: string;
}

/** A host, by side or by object. */
export type HostRef = Side | TestHost;

export interface CreateTestHostsOptions {
  /** Add IPv6 addresses as well (default true). */
  readonly ipv6?: boolean;
  /** net.* sysctls applied inside both namespaces at creation, e.g. tcp_keepalive_time. */
  readonly sysctls?: Readonly<Record<string, string | number>>;
}

export interface TestHosts {
  readonly a: TestHost;
  readonly b: TestHost;
  readonly destroyed: boolean;
  /** Run a command inside the namespace (`ip netns exec`); rejects on a non-zero exit. */
  exec(ns: HostRef, cmd: string, args?: readonly string[], input?: string): Promise<ExecResult>;
  /** Set a net.* sysctl inside that namespace only. */
  sysctl(ns: HostRef, key: string, value: string | number): Promise<void>;
  /** Read a net.* sysctl as seen inside that namespace. */
  readSysctl(ns: HostRef, key: string): Promise<string>;
  /**
   * Drop everything the host sends or receives on its veth (nftables prerouting + output hooks,
   * IPv4 and IPv6): to the other host it vanishes while its sockets live on. ARP is still
   * answered. Idempotent. (Measured with idle 1 s, interval 1 s, count 3: the peer's keepalive
   * fails with ETIMEDOUT ~3.9 s after silence(b), the same as after linkDown(b).)
   * With mode `'unreachable'` the host answers TCP with ICMP host-unreachable instead (see
   * SilenceMode). Already silenced: nothing changes, whatever the mode, until unsilence().
   */
  silence(ns: HostRef, mode?: SilenceMode): Promise<void>;
  /** Remove the drop rules set by `silence`. Idempotent. */
  unsilence(ns: HostRef): Promise<void>;
  /**
   * Set the host's veth end administratively down. The peer's end loses carrier, so the peer's
   * packets are dropped at its own veth (they never leave) rather than ignored by this host.
   */
  linkDown(ns: HostRef): Promise<void>;
  /** Bring the veth end back up (addresses are kept). */
  linkUp(ns: HostRef): Promise<void>;
  /**
   * Destroy the host's established TCP sockets (`ss -K`, listeners survive), as a reboot would.
   * `filter` is an ss filter, e.g. `['dport', '=', '5000']`; default: every connection. Run it
   * between silence() and unsilence() so the RST it sends is dropped and the other side only
   * learns of it from its next segment (measured: ECONNRESET at the next keepalive probe).
   */
  killSockets(ns: HostRef, filter?: readonly string[]): Promise<void>;
  /**
   * Run any long-lived command inside the namespace (e.g. tcpdump), stdin ignored, stdout and
   * stderr piped. destroy() and the process exit handlers kill it like the Node children.
   */
  spawnProcess(ns: HostRef, cmd: string, args?: readonly string[]): ChildProcess;
  /** Run `node scriptPath ...args` inside the namespace; stdout lines are JSON messages. */
  spawnNode(
    ns: HostRef,
    scriptPath: string,
    args?: readonly string[],
    env?: Readonly<Record<string, string>>,
  ): NodeChild;
  /** Kill spawned children and delete both namespaces (and so the veth). Idempotent. */
  destroy(): Promise<void>;
}

const SILENCE_TABLE = 'tka_silence';

/**
 * Create two namespaces `a` and `b` joined by a veth pair with addresses on a private /30 (and
 * /126), links and loopback up. Throws (after removing anything half-made) when that fails;
 * check `canUseNetns` first.
 */
export async function createTestHosts(opts: CreateTestHostsOptions = {}): Promise<TestHosts> {
  if (!canUseNetns.ok) throw new Error(`cannot create test hosts: ${canUseNetns.reason}`);
  installHandlers();
  if (!swept) {
    swept = true;
    sweepStaleNamespaces();
  }

  const n = ++counter;
  // 16384 distinct /30 blocks per process; other processes reuse them, but only inside their
  // own namespaces, so nothing collides.
  const block = (n - 1) % 16384;
  const octet3 = block >> 6;
  const base4 = (block & 63) * 4;
  const mk = (side: Side, host: 1 | 2): TestHost => ({
    side,
    name: `${OWN_PREFIX}${n}-${side}`,
    addr: `10.199.${octet3}.${base4 + host}`,
    addr6: opts.ipv6 === false ? undefined : `fd00:7ca:${block.toString(16)}::${host}`,
    // Interface names live only inside our namespaces (max 15 chars).
    iface: `tka${n}-${side}`,
  });
  const a = mk('a', 1);
  const b = mk('b', 2);
  const hosts = { a, b } as const;
  const resolve = (ref: HostRef): TestHost => (typeof ref === 'string' ? hosts[ref] : ref);

  const silenced = new Set<Side>();
  const linksDown = new Set<Side>();
  const children = new Set<NodeChild>();
  const processes = new Set<ChildProcess>();
  let destroyPromise: Promise<void> | undefined;

  const ensureLive = (): void => {
    if (destroyPromise !== undefined) throw new Error('test hosts already destroyed');
  };

  const writeSysctl = async (host: TestHost, key: string, value: string | number): Promise<void> => {
    // tee (coreutils) is always present, unlike procps' sysctl; /proc/sys/net is per namespace.
    await run('ip', ['netns', 'exec', host.name, 'tee', sysctlPath(key)], `${value}\n`);
  };

  const created = new Set<string>();
  const deleteNamespaces = async (): Promise<void> => {
    for (const host of [a, b]) {
      if (!created.has(host.name)) continue;
      try {
        await run('ip', ['netns', 'del', host.name]);
      } catch (err) {
        if (listNamespaces().includes(host.name)) throw err;
      }
      created.delete(host.name);
      untrackNamespace(host.name);
    }
  };

  // The namespaces, the veth pair and IPv4 are made as for the demo (lib/cli/commands/demo/testhosts.ts).
  const end = (host: TestHost): VethEnd => ({ namespace: host.name, iface: host.iface, address: host.addr, prefix: 30 });
  const byNamespace = (name: string): TestHost => (name === a.name ? a : b);
  for (const host of [a, b]) created.add(host.name);
  await joinNamespaces(end(a), end(b), async ({ namespace }) => {
    const host = byNamespace(namespace);
    if (host.addr6 !== undefined) {
      // Keep IPv6 addresses across linkDown/linkUp like IPv4 ones (the kernel drops them).
      await writeSysctl(host, `net.ipv6.conf.${host.iface}.keep_addr_on_down`, 1);
      // nodad: no duplicate address detection (~1 s) for an address that exists only here.
      await run('ip', ['-n', host.name, '-6', 'addr', 'add', `${host.addr6}/126`, 'dev', host.iface, 'nodad']);
    }
    for (const [key, value] of Object.entries(opts.sysctls ?? {})) {
      await writeSysctl(host, key, value);
    }
  });

  return {
    a,
    b,
    get destroyed(): boolean {
      return destroyPromise !== undefined;
    },
    exec(ns, cmd, args = [], input) {
      ensureLive();
      return run('ip', ['netns', 'exec', resolve(ns).name, cmd, ...args], input);
    },
    async sysctl(ns, key, value) {
      ensureLive();
      await writeSysctl(resolve(ns), key, value);
    },
    async readSysctl(ns, key) {
      ensureLive();
      const { stdout } = await run('ip', ['netns', 'exec', resolve(ns).name, 'cat', sysctlPath(key)]);
      return stdout.trim();
    },
    async silence(ns, mode = 'drop') {
      ensureLive();
      const host = resolve(ns);
      if (silenced.has(host.side)) return;
      // Priority -300: before conntrack, so the dropped packets leave no state behind.
      // The iface name is ours (validated shape), not user input.
      const script =
        mode === 'drop'
          ? [
              `table inet ${SILENCE_TABLE} {`,
              `  chain in { type filter hook prerouting priority -300; policy accept; iifname "${host.iface}" drop; }`,
              `  chain out { type filter hook output priority -300; policy accept; oifname "${host.iface}" drop; }`,
              `}`,
            ]
          : [
              // `reject` is only allowed from the input hook on; the ICMP it sends passes the
              // output hook, so that chain lets ICMP through and drops everything else.
              `table inet ${SILENCE_TABLE} {`,
              `  chain in { type filter hook input priority -300; policy accept;`,
              `    iifname "${host.iface}" meta l4proto tcp reject with icmpx type host-unreachable;`,
              `    iifname "${host.iface}" drop; }`,
              `  chain out { type filter hook output priority -300; policy accept;`,
              `    oifname "${host.iface}" meta l4proto != { icmp, ipv6-icmp } drop; }`,
              `}`,
            ];
      await run('ip', ['netns', 'exec', host.name, 'nft', '-f', '-'], `${script.join('\n')}\n`);
      silenced.add(host.side);
    },
    async unsilence(ns) {
      ensureLive();
      const host = resolve(ns);
      if (!silenced.has(host.side)) return;
      await run('ip', ['netns', 'exec', host.name, 'nft', 'delete', 'table', 'inet', SILENCE_TABLE]);
      silenced.delete(host.side);
    },
    async linkDown(ns) {
      ensureLive();
      const host = resolve(ns);
      await run('ip', ['-n', host.name, 'link', 'set', host.iface, 'down']);
      linksDown.add(host.side);
    },
    async linkUp(ns) {
      ensureLive();
      const host = resolve(ns);
      await run('ip', ['-n', host.name, 'link', 'set', host.iface, 'up']);
      linksDown.delete(host.side);
    },
    async killSockets(ns, filter = []) {
      ensureLive();
      await run('ip', ['netns', 'exec', resolve(ns).name, 'ss', '-K', '-t', ...filter]);
    },
    spawnProcess(ns, cmd, args = []) {
      ensureLive();
      const child = spawn('ip', ['netns', 'exec', resolve(ns).name, cmd, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      trackChild(child);
      processes.add(child);
      child.on('close', () => processes.delete(child));
      return child;
    },
    spawnNode(ns, scriptPath, args = [], env = {}) {
      ensureLive();
      const child = startNodeChild(resolve(ns).name, scriptPath, args, env);
      children.add(child);
      void child.exited.then(() => children.delete(child));
      return child;
    },
    destroy() {
      destroyPromise ??= (async () => {
        // Lift faults first so the children's sockets close normally when they die. Otherwise
        // their FINs/data retransmit into the void as orphaned sockets that keep the deleted
        // namespace alive, invisibly, for minutes (seen in /proc/net/sockstat "orphan").
        for (const side of silenced) {
          await run('ip', ['netns', 'exec', hosts[side].name, 'nft', 'delete', 'table', 'inet', SILENCE_TABLE])
            .catch(() => undefined);
        }
        for (const side of linksDown) {
          await run('ip', ['-n', hosts[side].name, 'link', 'set', hosts[side].iface, 'up']).catch(() => undefined);
        }
        const running = [...children];
        for (const child of running) child.kill('SIGKILL');
        const others = [...processes].filter((p) => p.exitCode === null && p.signalCode === null);
        for (const child of others) child.kill('SIGKILL');
        await Promise.race([
          Promise.all([
            ...running.map((c) => c.exited),
            ...others.map((p) => new Promise((r) => p.once('close', r))),
          ]),
          new Promise((r) => setTimeout(r, 5000).unref()),
        ]);
        await deleteNamespaces();
      })();
      return destroyPromise;
    },
  };
}
