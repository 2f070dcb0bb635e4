// `tcp-keepalive inspect PID` (Linux): every TCP socket of a running process,
// whatever its language, with the keepalive settings in force, the time to
// the next probe and the unanswered probes. Each socket is read through a
// duplicate obtained with pidfd_getfd and only ever read (getsockopt); the
// duplicate is closed at once, which leaves the process's socket untouched.
import { closeSync, readFileSync, readlinkSync } from 'node:fs';
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
import { diagnostics, duplicateDescriptor, openProcess, processKeepalive, processSockets, SocketTable, systemDefaultsIn, type SocketRecord } from '../../diagnostics';
import { parseArgs, parseInteger } from '../args';
import { carriesConfigured, configuredJson, configuredKeepalive, describeConfigured } from '../configured';
import { escapeBytes } from '../escape';
import { CliError, ExitCode, usageError } from '../exit';
import { formatCountdown, formatEndpoint, formatSetting } from '../format';
import { INSPECT_HELP } from '../help';
import { Reporter } from '../output';
import { nextProbe, type NextProbe } from '../timers';
import { parseVerdictOptions, reportVerdict, socketRecord, verdict, VERDICT_OPTIONS } from '../verdict';

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;

interface SocketReport {
  readonly fd: number;
  readonly inode: number;
  readonly entry: SocketRecord | null;
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

function readBytes(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * The process's command line: exact for --json, and for text with every byte
 * that could drive a terminal shown as an escape (it is the process's own,
 * arbitrary bytes). Arguments are joined with spaces.
 */
function describeCommand(commandLine: Buffer, comm: Buffer | null): { exact: string; shown: string } {
  const args = commandLine.toString('latin1').split('\0').filter(Boolean).map((arg) => Buffer.from(arg, 'latin1'));
  if (args.length === 0) {
    const name = comm ? comm.subarray(0, comm.at(-1) === 0x0a ? -1 : undefined) : Buffer.from('?');
    return { exact: name.toString('utf8'), shown: escapeBytes(name) };
  }
  return { exact: args.map((arg) => arg.toString('utf8')).join(' '), shown: args.map(escapeBytes).join(' ') };
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

/** Those of `inodes` that are TCP sockets of the process's network namespace; empty where it cannot be read. */
function socketTableOf(pid: number, sameNamespace: boolean, inodes: ReadonlySet<number>): Map<number, SocketRecord> {
  let table: SocketTable;
  try {
    table = SocketTable.open(sameNamespace ? null : `/proc/${pid}/ns/net`);
  } catch {
    return new Map(); // joining another namespace needs CAP_SYS_ADMIN
  }
  try {
    return table.dumpInodes({}, inodes);
  } finally {
    table.close();
  }
}

function processError(pid: number, command: string, error: NodeJS.ErrnoException): CliError {
  const code = error.code ?? 'EACCES';
  if (code === 'ESRCH') return new CliError(`process ${pid} exited`, ExitCode.NO_PROCESS, 'ESRCH');
  if (code === 'ENOSYS') return new CliError('inspect needs Linux 5.6 or later (pidfd_getfd)', ExitCode.UNSUPPORTED, 'ENOSYS');
  return permissionError(pid, command, code);
}

/** One socket of the process, read through a duplicate that is closed at once; null if not TCP. */
function readSocket(pidfd: number, fd: number, inode: number, entry: SocketRecord | null): SocketReport | null {
  const copy = duplicateDescriptor(pidfd, fd);
  try {
    if (!entry && !isTcp(copy)) return null;
    return { fd, inode, entry, keepalive: getKeepalive(copy), info: entry?.info ?? getTcpInfo(copy) };
  } catch {
    return null; // not a TCP socket after all (Unix, UDP): nothing to report
  } finally {
    closeSync(copy);
  }
}

/** The process's socket descriptors and their inodes. */
function socketDescriptors(pid: number, command: string): Map<number, number> {
  try {
    return processSockets(pid);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    if (code === 'ENOENT') throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
    throw permissionError(pid, command, code);
  }
}

function readSockets(pid: number, command: string, sameNamespace: boolean): SocketReport[] {
  const inodeOf = socketDescriptors(pid, command);
  const table = socketTableOf(pid, sameNamespace, new Set(inodeOf.values()));
  let pidfd: number;
  try {
    pidfd = openProcess(pid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
    throw processError(pid, command, error as NodeJS.ErrnoException);
  }
  const reports: SocketReport[] = [];
  try {
    // The TCP sockets the kernel's table lists, in one call; any other
    // socket (Unix, UDP, TCP of another namespace) one by one.
    const listed = [...inodeOf.keys()].filter((fd) => table.has(inodeOf.get(fd)!));
    const states = processKeepalive(pidfd, listed);
    listed.forEach((fd, i) => {
      const state = states[i]!;
      const inode = inodeOf.get(fd)!;
      if (!(state instanceof Error)) reports.push({ fd, inode, entry: table.get(inode)!, keepalive: state, info: table.get(inode)!.info });
      else if (state.code !== 'EBADF') throw processError(pid, command, state); // EBADF: closed meanwhile
    });
    for (const [fd, inode] of inodeOf) {
      if (table.has(inode)) continue;
      let report: SocketReport | null;
      try {
        report = readSocket(pidfd, fd, inode, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EBADF') continue; // closed meanwhile
        throw processError(pid, command, error as NodeJS.ErrnoException);
      }
      if (report) reports.push(report);
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

function socketFields(pid: number, socket: SocketReport, defaults: SystemDefaults | null, probes: number, next: NextProbe): Record<string, unknown> {
  const { keepalive, info, entry } = socket;
  const listening = info.state === 'LISTEN';
  return {
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
  };
}

function socketRow(socket: SocketReport, defaults: SystemDefaults | null, probes: number, next: NextProbe): string[] {
  const { keepalive, info, entry } = socket;
  const listening = info.state === 'LISTEN';
  const local = entry ? formatEndpoint(entry.localAddress, entry.localPort) : '?';
  const remote = entry && !listening ? formatEndpoint(entry.remoteAddress, entry.remotePort) : listening ? '-' : '?';
  const on = keepalive.enable;
  const userTimeout = keepalive.userTimeout === null ? 'n/a' : keepalive.userTimeout === 0 ? 'off' : formatSetting(keepalive.userTimeout);
  const nextText = next.kind === 'in' ? formatCountdown(next.ms) : next.why === 'data unacknowledged' ? 'suspended (data unacked)' : '-';
  return [
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
  ];
}

/** Columns padded to their widest cell, one line per row (a line reaches the terminal escaped: no newlines in it). */
function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map(() => 0);
  for (const row of rows) for (let column = 0; column < row.length; column++) widths[column] = Math.max(widths[column]!, row[column]!.length);
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
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
  if (!diagnostics.processSockets) {
    throw new CliError(`inspect is not available on this system: it reads another process's sockets with pidfd_getfd (Linux); this is ${process.platform}`, ExitCode.UNSUPPORTED, 'UNSUPPORTED');
  }
  const reporter = new Reporter(args.options.has('json'));
  const verdictOptions = parseVerdictOptions(args);
  const commandLine = readBytes(`/proc/${pid}/cmdline`);
  if (commandLine === null) throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
  const { exact: command, shown } = describeCommand(commandLine, readBytes(`/proc/${pid}/comm`));
  const shortCommand = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;

  const { defaults, sameNamespace, namespace } = defaultsOf(pid);
  const sockets = readSockets(pid, shortCommand, sameNamespace);
  // Read after the sockets: a process whose sockets cannot be read has already failed with the reason.
  const configured = configuredKeepalive(pid, commandLine);
  const configuredLine = describeConfigured(configured);
  const configuredOptions = configured.status === 'set' ? configured.options : null;
  const now = Date.now();
  reporter.event('process', { pid, command, netns: namespace, sameNetns: sameNamespace, defaults, sockets: sockets.length, ...configuredJson(configured) }, null, now);

  const header = ['FD', 'STATE', 'LOCAL', 'PEER', 'KEEPALIVE', 'IDLE', 'INTERVAL', 'COUNT', 'USER TIMEOUT', 'NEXT PROBE', 'UNANSWERED'];
  const rows: string[][] = [configuredOptions ? [...header, 'DEFAULT'] : header];
  for (const socket of sockets) {
    const probes = socket.info.probes ?? socket.entry?.probesOut ?? 0;
    const next = nextProbe(socket.keepalive, socket.info, socket.entry, probes);
    // Only where TCP_KEEPALIVE parses: whether the kernel values of this connection are those.
    const carries = configuredOptions && carriesConfigured(configuredOptions, socket.keepalive, socket.info.state === 'LISTEN');
    if (reporter.json) {
      const fields = socketFields(pid, socket, defaults, probes, next);
      reporter.event('socket', configuredOptions ? { ...fields, carriesConfigured: carries } : fields, null, now);
    } else {
      const row = socketRow(socket, defaults, probes, next);
      rows.push(configuredOptions ? [...row, carries === null ? '-' : carries ? 'yes' : 'no'] : row);
    }
  }

  const namespaceText = namespace ? `, network namespace ${namespace}${sameNamespace ? '' : ' (not this one)'}` : '';
  reporter.line(`PID ${pid} (${shortCommand})${namespaceText}: ${sockets.length} TCP socket${sockets.length === 1 ? '' : 's'}`);
  reporter.line(
    defaults
      ? `system defaults there: idle ${formatSetting(defaults.idle)}, interval ${formatSetting(defaults.interval)}, count ${defaults.count}`
      : 'system defaults there: unknown (reading them needs CAP_SYS_ADMIN)',
  );
  if (configuredLine !== null) reporter.line(configuredLine);
  if (sockets.length === 0) return ExitCode.OK;
  for (const line of table(rows)) reporter.line(line);
  // The legend only where a value carries the star.
  const starred = rows.slice(1).some((row) => row.some((cell) => cell.endsWith('*')));
  if (starred) reporter.line('* = the system default: inherited from the sysctl (or set to the same value)');
  if (configuredOptions) reporter.line('DEFAULT = whether the connection carries the TCP_KEEPALIVE values (yes/no; - for a listener)');

  const records = sockets.map(({ fd, keepalive, info, entry }) =>
    socketRecord(`fd ${fd}`, info, keepalive, entry && { address: entry.remoteAddress, port: entry.remotePort }),
  );
  reportVerdict(reporter, verdict(records, verdictOptions), now);
  return ExitCode.OK;
}
