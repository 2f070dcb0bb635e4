// `tcp-keepalive inspect PID` (Linux): every TCP socket of a running process,
// whatever its language, with the keepalive settings in force, the time to
// the next probe and the unanswered probes. Each socket is read through a
// duplicate obtained with pidfd_getfd and only ever read (getsockopt); the
// duplicate is closed at once, which leaves the process's socket untouched.
import { closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  constants,
  getKeepalive,
  getSockOpt,
  getTcpInfo,
  systemDefaults,
  type KeepaliveState,
  type SystemDefaults,
  type TcpInfo,
} from '../../index';
import { binding, nativeError } from '../../native';
import { parseArgs, parseInteger } from '../args';
import { CliError, ExitCode, usageError } from '../exit';
import { formatCountdown, formatEndpoint, formatSetting } from '../format';
import { INSPECT_HELP } from '../help';
import { systemDefaultsIn } from '../namespaces';
import { Reporter } from '../output';
import { readProcTcp, type ProcTcpEntry } from '../procnet';
import { nextProbe } from '../timers';
import { parseVerdictOptions, reportVerdict, socketRecord, verdict, VERDICT_OPTIONS } from '../verdict';

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;

interface SocketReport {
  readonly fd: number;
  readonly inode: number;
  readonly entry: ProcTcpEntry | null;
  readonly keepalive: KeepaliveState;
  readonly info: TcpInfo;
}

type Field = 'idle' | 'interval' | 'count';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function permissionHint(): string {
  const scope = readText('/proc/sys/kernel/yama/ptrace_scope')?.trim();
  const yama = scope === undefined ? '' : ` (kernel.yama.ptrace_scope is ${scope}${scope === '0' ? '' : '; 0 lets a user trace its own processes'})`;
  return `reading another process's sockets needs root or CAP_SYS_PTRACE, or the same user with ptrace allowed${yama}`;
}

function permissionError(pid: number, command: string, code: string): CliError {
  return new CliError(`cannot read the sockets of PID ${pid} (${command}): ${code}; ${permissionHint()}`, ExitCode.PERMISSION, code);
}

/** The defaults the process's sockets fall back to: those of its network namespace. */
function defaultsOf(pid: number): { defaults: SystemDefaults | null; sameNamespace: boolean; namespace: string | null } {
  let namespace: string | null = null;
  let own: string | null = null;
  try {
    namespace = readlinkSync(`/proc/${pid}/ns/net`);
    own = readlinkSync('/proc/self/ns/net');
  } catch {
    return { defaults: null, sameNamespace: false, namespace }; // unknown namespace, unknown defaults
  }
  const sameNamespace = namespace === own;
  if (sameNamespace) {
    try {
      return { defaults: systemDefaults(), sameNamespace, namespace };
    } catch {
      return { defaults: null, sameNamespace, namespace };
    }
  }
  return { defaults: systemDefaultsIn(`/proc/${pid}/ns/net`), sameNamespace, namespace };
}

/** TCP over IPv4/IPv6, for a socket that /proc/PID/net/tcp does not list (another namespace). */
function isTcp(fd: number): boolean {
  try {
    const domain = getSockOpt(fd, constants.SOL_SOCKET!, constants.SO_DOMAIN!, 'int');
    const protocol = getSockOpt(fd, constants.SOL_SOCKET!, constants.SO_PROTOCOL!, 'int');
    return (domain === AF_INET || domain === AF_INET6) && protocol === IPPROTO_TCP;
  } catch {
    return false;
  }
}

function readSockets(pid: number, command: string): SocketReport[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    if (code === 'ENOENT') throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
    throw permissionError(pid, command, code);
  }
  const table = readProcTcp(pid);
  const pidfd = binding.pidfdOpen!(pid);
  if (pidfd < 0) {
    const error = nativeError(pidfd);
    if (error.code === 'ESRCH') throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
    if (error.code === 'ENOSYS') throw new CliError('inspect needs Linux 5.6 or later (pidfd_getfd)', ExitCode.UNSUPPORTED, 'ENOSYS');
    throw permissionError(pid, command, error.code);
  }
  const reports: SocketReport[] = [];
  try {
    for (const name of fds) {
      const target = Number(name);
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${name}`);
      } catch {
        continue; // closed meanwhile
      }
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (!match) continue;
      const inode = Number(match[1]);
      const entry = table.get(inode) ?? null;
      const copy = binding.pidfdGetfd!(pidfd, target);
      if (copy < 0) {
        const error = nativeError(copy);
        if (error.code === 'EBADF') continue; // closed meanwhile
        if (error.code === 'ESRCH') throw new CliError(`process ${pid} exited`, ExitCode.NO_PROCESS, 'ESRCH');
        if (error.code === 'ENOSYS') throw new CliError('inspect needs Linux 5.6 or later (pidfd_getfd)', ExitCode.UNSUPPORTED, 'ENOSYS');
        throw permissionError(pid, command, error.code);
      }
      try {
        if (!entry && !isTcp(copy)) continue;
        reports.push({ fd: target, inode, entry, keepalive: getKeepalive(copy), info: getTcpInfo(copy) });
      } catch {
        // not a TCP socket after all (Unix, UDP): nothing to report
      } finally {
        closeSync(copy);
      }
    }
  } finally {
    closeSync(pidfd);
  }
  return reports.sort((a, b) => a.fd - b.fd);
}

/** Whether a value equals the namespace default: inherited, or set to the same value. */
function fromSystem(keepalive: KeepaliveState, defaults: SystemDefaults | null, field: Field): boolean | null {
  if (!defaults || keepalive[field] === null) return null;
  return keepalive[field] === defaults[field];
}

function setting(keepalive: KeepaliveState, defaults: SystemDefaults | null, field: Field): string {
  const value = keepalive[field];
  if (value === null) return 'n/a';
  const text = field === 'count' ? String(value) : formatSetting(value).replace(/ \(.*\)$/, '');
  return fromSystem(keepalive, defaults, field) ? `${text}*` : text;
}

export function runInspect(argv: readonly string[]): number {
  const args = parseArgs('inspect', argv, [
    { name: 'json', value: false },
    ...VERDICT_OPTIONS,
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(INSPECT_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length !== 1) {
    throw usageError(args.positionals.length === 0 ? "inspect needs a PID (see 'tcp-keepalive inspect --help')" : `unexpected argument '${args.positionals[1]}' for 'inspect'`);
  }
  const pid = parseInteger(args.positionals[0]!, 'PID', 1, 4194304);
  if (process.platform !== 'linux' || !binding.pidfdGetfd) {
    throw new CliError(`inspect is available on Linux only (pidfd_getfd); this is ${process.platform}`, ExitCode.UNSUPPORTED, 'UNSUPPORTED');
  }
  const reporter = new Reporter(args.options.has('json'));
  const verdictOptions = parseVerdictOptions(args);
  const commandLine = readText(`/proc/${pid}/cmdline`);
  if (commandLine === null) throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
  const command = commandLine.split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ') || (readText(`/proc/${pid}/comm`)?.trim() ?? '?');
  const shortCommand = command.length > 60 ? `${command.slice(0, 57)}...` : command;

  const sockets = readSockets(pid, shortCommand);
  const { defaults, sameNamespace, namespace } = defaultsOf(pid);
  const now = Date.now();
  reporter.event('process', { pid, command, netns: namespace, sameNetns: sameNamespace, defaults, sockets: sockets.length }, null, now);

  const rows: string[][] = [['FD', 'STATE', 'LOCAL', 'PEER', 'KEEPALIVE', 'IDLE', 'INTERVAL', 'COUNT', 'USER TIMEOUT', 'NEXT PROBE', 'UNANSWERED']];
  for (const socket of sockets) {
    const { keepalive, info, entry } = socket;
    const probes = info.probes ?? entry?.probesOut ?? 0;
    const next = nextProbe(keepalive, info, entry, probes);
    const local = entry ? formatEndpoint(entry.localAddress, entry.localPort) : '?';
    const listening = info.state === 'LISTEN';
    const remote = entry && !listening ? formatEndpoint(entry.remoteAddress, entry.remotePort) : listening ? '-' : '?';
    reporter.event(
      'socket',
      {
        pid,
        fd: socket.fd,
        inode: socket.inode,
        state: info.state,
        local: entry ? { address: entry.localAddress, port: entry.localPort } : null,
        remote: entry && !listening ? { address: entry.remoteAddress, port: entry.remotePort } : null,
        keepalive,
        fromSystem: {
          idle: fromSystem(keepalive, defaults, 'idle'),
          interval: fromSystem(keepalive, defaults, 'interval'),
          count: fromSystem(keepalive, defaults, 'count'),
        },
        nextProbeInMs: next.kind === 'in' ? next.ms : null,
        noProbeBecause: next.kind === 'none' ? next.why : null,
        unanswered: keepalive.enable ? probes : null,
        timer: entry ? { kind: entry.timer, leftMs: entry.timerLeftMs } : null,
        lastAckRecvMs: info.lastAckRecv,
        lastDataRecvMs: info.lastDataRecv,
        unacked: info.unacked,
      },
      null,
      now,
    );
    const on = keepalive.enable;
    const userTimeout = keepalive.userTimeout === null ? 'n/a' : keepalive.userTimeout === 0 ? 'off' : formatSetting(keepalive.userTimeout);
    const nextText = next.kind === 'in' ? formatCountdown(next.ms) : next.why === 'keepalive off' ? '-' : next.why === 'data unacknowledged' ? 'suspended (data unacked)' : '-';
    rows.push([
      String(socket.fd),
      info.state,
      local,
      remote,
      on ? 'on' : 'off',
      on ? setting(keepalive, defaults, 'idle') : '-',
      on ? setting(keepalive, defaults, 'interval') : '-',
      on ? setting(keepalive, defaults, 'count') : '-',
      userTimeout,
      listening ? '-' : nextText,
      on && !listening ? String(probes) : '-',
    ]);
  }

  const namespaceText = namespace ? `, network namespace ${namespace}${sameNamespace ? '' : ' (not this one)'}` : '';
  reporter.line(`PID ${pid} (${shortCommand})${namespaceText}: ${sockets.length} TCP socket${sockets.length === 1 ? '' : 's'}`);
  reporter.line(
    defaults
      ? `system defaults there: idle ${formatSetting(defaults.idle)}, interval ${formatSetting(defaults.interval)}, count ${defaults.count}`
      : 'system defaults there: unknown (reading them needs CAP_SYS_ADMIN)',
  );
  if (sockets.length === 0) return ExitCode.OK;
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) reporter.line(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  if (defaults) reporter.line('* = the system default: inherited from the sysctl (or set to the same value)');

  const records = sockets.map(({ fd, keepalive, info, entry }) =>
    socketRecord(`fd ${fd}`, info, keepalive, entry && { address: entry.remoteAddress, port: entry.remotePort }),
  );
  reportVerdict(reporter, verdict(records, verdictOptions), now);
  return ExitCode.OK;
}
