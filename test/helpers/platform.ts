/**
 * One suite for every platform, gated by what the platform can do.
 *
 * A test states what it needs: a capability from `capabilities()` ('userTimeout' means the field
 * can be set and read back; 'tcpInfo', 'systemDefaults', 'listenerInheritance') or a fact of the
 * machine that is not a capability of the library (FACTS below: /proc/net, network namespaces,
 * `ss`, pidfd, the command's diagnostics (lib/diagnostics/), a C compiler, seccomp, root, the
 * options CPython's socket module defines...), or a system component from the provisioning list
 * (tools/provision/components.json: 'system:tcpdump', 'system:redis-server'...), whose reason
 * names the command that installs it (npm test installs them itself when run as root).
 * Where a need is not met the test is still registered, as a skipped test whose name says why
 * ("... — pending: needs userTimeout, which darwin does not have"): it never fails for the wrong
 * reason and never silently vanishes. In CI on Linux any skip still fails the run
 * (test/reporters/ci-summary.mts): there everything must run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { describe as vDescribe, it as vIt, type SuiteFactory, type TestFunction } from 'vitest';
import { diagnostics } from '../../lib/diagnostics';
import { capabilities, type KeepaliveField } from '../../lib/index';
import { binding } from '../../lib/native';
import { skipReason } from '../../tools/provision/provision';
import { canUseNetns, commandWorks } from './netns';

const caps = capabilities();

/** A capability: for a keepalive field, that it can be set and read back. */
export type CapabilityNeed = KeepaliveField | 'tcpInfo' | 'systemDefaults' | 'listenerInheritance';
export type FactNeed = keyof typeof FACTS;
/** An option name CPython's socket module must define, for the independent reader. */
export type PythonNeed = `python:${string}`;
/** A component of tools/provision/components.json, by its name there. */
export type SystemNeed = `system:${string}`;
export type Need = CapabilityNeed | FactNeed | PythonNeed | SystemNeed;

/** The marker in a gated test's name; the CI reporter recognises it. */
export const PENDING_MARK = ' — pending: ';

/** A fact: null when it holds, else what is missing. Evaluated once, on first use. */
type Fact = () => string | null;

const FACTS = {
  procNet: () => (fs.existsSync('/proc/net/tcp') ? null : 'no /proc/net/tcp here'),
  procSys: () => (fs.existsSync('/proc/sys/net/ipv4/tcp_keepalive_time') ? null : 'no /proc/sys/net/ipv4/tcp_keepalive_* here'),
  netns: () => (canUseNetns.ok ? null : (canUseNetns.reason ?? 'no network namespaces')),
  ss: () => (commandWorks('ss', ['-V']) ? null : '`ss` (iproute2) is not on the PATH'),
  nft: () => (commandWorks('nft', ['--version']) ? null : '`nft` (nftables, apt-get install nftables) is not on the PATH'),
  pidfd: () => (binding.pidfdGetfd ? null : 'the addon has no pidfd_getfd here (Linux diagnostics)'),
  // The command's diagnostics (lib/diagnostics/), as the command itself asks for them.
  socketTable: () => (diagnostics.socketTable ? null : 'the addon has no socket table (sock_diag) here'),
  processSockets: () => (diagnostics.processSockets ? null : "the addon cannot read another process's sockets here (pidfd_getfd)"),
  packetCapture: () => (diagnostics.packetCapture ? null : 'the addon has no packet capture (AF_PACKET) here'),
  script: () => (commandWorks('script', ['--version']) ? null : `\`script\` (for a terminal) does not run: ${skipReason('bsdutils') ?? 'it is there but fails'}`),
  cc: () => (commandWorks('cc', ['--version']) ? null : `no C compiler: ${skipReason('gcc') ?? '`cc` is there but fails'}`),
  seccomp: () => {
    try {
      return /^Seccomp:/m.test(fs.readFileSync('/proc/self/status', 'utf8')) ? null : 'the kernel has no seccomp';
    } catch {
      return 'no seccomp (no /proc/self/status)';
    }
  },
  root: () => (process.getuid?.() === 0 ? null : 'needs root'),
  python: () => (pythonConstants() ? null : `${PYTHON} does not run${PYTHON === 'python3' ? ` (${skipReason('python3') ?? 'it is there but fails'})` : ''}`),
  /**
   * A child started from process.execPath runs. Under qemu-user
   * (TKA_EMULATOR, set by npm run test:arm64) process.execPath is an arm64
   * binary that the host kernel starts only with a binfmt_misc handler.
   */
  spawnsNode: () =>
    process.env.TKA_EMULATOR && !fs.existsSync(`/proc/sys/fs/binfmt_misc/qemu-${os.machine()}`)
      ? `under ${process.env.TKA_EMULATOR}, the ${os.machine()} process.execPath cannot be started (no binfmt_misc handler)`
      : null,
  /** getsockopt(TCP_INFO) returns the kernel's whole struct (qemu-user truncates it: rtt and later fields are lost). */
  fullTcpInfo: () => (process.env.TKA_EMULATOR ? `under ${process.env.TKA_EMULATOR}, TCP_INFO comes back truncated` : null),
  /** Sockets handed to a child as a descriptor (the independent reader's way in). */
  inheritableDescriptors: () => (caps.backend === 'win32' ? 'a Windows SOCKET is not a descriptor a child inherits' : null),
} satisfies Record<string, Fact>;

const PYTHON = process.env.PYTHON ?? 'python3';
/** Option names the independent reader (test/helpers/kernel-reader.py) may use. */
const PYTHON_NAMES = ['SOL_SOCKET', 'IPPROTO_TCP', 'TCP_NODELAY', 'SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPALIVE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT', 'TCP_INFO', 'TCP_CONNECTION_INFO'];
let pythonCache: Record<string, number> | null | undefined;

/** The socket module constants the local CPython defines (null when Python does not run). */
export function pythonConstants(): Record<string, number> | null {
  if (pythonCache !== undefined) return pythonCache;
  const script = `import json, socket; print(json.dumps({n: getattr(socket, n) for n in ${JSON.stringify(PYTHON_NAMES)} if hasattr(socket, n)}))`;
  const result = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 10_000 });
  pythonCache = result.status === 0 ? (JSON.parse(result.stdout) as Record<string, number>) : null;
  return pythonCache;
}

const factCache = new Map<string, string | null>();

function unmetReason(need: Need): string | null {
  if (need.startsWith('python:')) {
    const name = need.slice('python:'.length);
    const constants = pythonConstants();
    if (!constants) return `needs ${PYTHON} for the independent reader, which does not run`;
    return name in constants ? null : `needs socket.${name} in Python, which ${caps.backend}'s CPython does not define`;
  }
  if (need.startsWith('system:')) {
    const name = need.slice('system:'.length);
    if (!factCache.has(need)) factCache.set(need, skipReason(name));
    const missing = factCache.get(need)!;
    return missing === null ? null : `needs ${name}: ${missing}`;
  }
  if (need in FACTS) {
    if (!factCache.has(need)) factCache.set(need, FACTS[need as FactNeed]());
    const missing = factCache.get(need)!;
    return missing === null ? null : `needs ${need}: ${missing}`;
  }
  const capability = need as CapabilityNeed;
  if (capability === 'tcpInfo' || capability === 'systemDefaults' || capability === 'listenerInheritance') {
    return caps[capability] ? null : `needs ${capability}, which ${caps.backend} does not have`;
  }
  const field = caps[capability];
  if (field.settable && field.readable) return null;
  const lacking = !field.settable ? 'cannot set' : 'cannot read back';
  return `needs ${capability}, which ${caps.backend} ${lacking}`;
}

/** Why a test with these needs cannot run here; null when it can. */
export function unmet(...needs: Need[]): string | null {
  const reasons = needs.map(unmetReason).filter((reason): reason is string => reason !== null);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

/** True when every need is met. */
export function has(...needs: Need[]): boolean {
  return unmet(...needs) === null;
}

type TestFn = TestFunction;
type SuiteFn = SuiteFactory;

export interface Gate {
  it(name: string, fn: TestFn, timeout?: number): void;
  describe(name: string, fn: SuiteFn): void;
  /** describe() whose tests run concurrently (the network suites). */
  describeConcurrent(name: string, fn: SuiteFn): void;
}

/**
 * `needs('userTimeout').it(name, fn)`: the test, or where a need is unmet a skipped test whose
 * name carries the reason.
 */
export function needs(...required: Need[]): Gate {
  const reason = unmet(...required);
  if (reason === null) {
    return {
      it: (name, fn, timeout) => vIt(name, fn, timeout),
      describe: (name, fn) => vDescribe(name, fn),
      describeConcurrent: (name, fn) => vDescribe.concurrent(name, fn),
    };
  }
  const named = (name: string) => `${name}${PENDING_MARK}${reason}`;
  return {
    it: (name, fn, timeout) => vIt.skip(named(name), fn, timeout),
    describe: (name, fn) => vDescribe.skip(named(name), fn),
    describeConcurrent: (name, fn) => vDescribe.skip(named(name), fn),
  };
}
