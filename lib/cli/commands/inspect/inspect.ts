// lib/cli/commands/inspect/: the `inspect` command and what a process was configured with (configured.ts).
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
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
} from '../../../index';
import { diagnostics, duplicateDescriptor, openProcess, processKeepalive, processSockets, SocketTable, systemDefaultsIn, type BriefTcpInfo, type SocketBrief } from '../../../diagnostics';
import { parseArgs, parseInteger } from '../../terminal/args';
import { carriesConfigured, configuredJson, configuredKeepalive, describeConfigured } from './configured';
import { escapeBytes } from '../../terminal/escape';
import { CliError, ExitCode, usageError } from '../../terminal/exit';
import { formatCountdown, formatEndpoint, formatSetting } from '../../terminal/format';
import { INSPECT_HELP } from '../../terminal/help';
import { Reporter } from '../../terminal/output';
import { nextProbe, type NextProbe } from '../../live/timers';
import { parseVerdictOptions, reportVerdict, socketRecord, VerdictBuilder, VERDICT_OPTIONS } from '../verdict';

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;

interface SocketReport {
  readonly fd: number;
  readonly inode: number;
  readonly entry: SocketBrief | null;
  readonly keepalive: KeepaliveState;
  readonly info: BriefTcpInfo;
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

/** The socket table of the process's network namespace; null where it cannot be read. */
function socketTableOf(pid: number, sameNamespace: boolean): SocketTable | null {
  try {
    return SocketTable.open(sameNamespace ? null : `/proc/${pid}/ns/net`);
  } catch {
    return null; // joining another namespace needs CAP_SYS_ADMIN
  }
}

function processError(pid: number, command: string, error: NodeJS.ErrnoException): CliError {
  const code = error.code ?? 'EACCES';
  if (code === 'ESRCH') return new CliError(`process ${pid} exited`, ExitCode.NO_PROCESS, 'ESRCH');
  if (code === 'ENOSYS') return new CliError('inspect needs Linux 5.6 or later (pidfd_getfd)', ExitCode.UNSUPPORTED, 'ENOSYS');
  return permissionError(pid, command, code);
}

/**
 * A socket the socket table does not list, read through a duplicate that is
 * closed at once: TCP of another namespace, or null (Unix, UDP).
 */
function readUnlistedSocket(pidfd: number, fd: number, inode: number): SocketReport | null {
  const copy = duplicateDescriptor(pidfd, fd);
  try {
    if (!isTcp(copy)) return null;
    return { fd, inode, entry: null, keepalive: getKeepalive(copy), info: getTcpInfo(copy) };
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

function openProcessOf(pid: number, command: string): number {
  try {
    return openProcess(pid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new CliError(`no process with PID ${pid}`, ExitCode.NO_PROCESS, 'ESRCH');
    throw processError(pid, command, error as NodeJS.ErrnoException);
  }
}

/**
 * Each TCP socket of the process, in descriptor order, handed to `visit` as
 * it is read: no record of every socket is held at once, which with 10,000
 * sockets is what the time went to (the garbage collector copying them).
 * The sockets the kernel's table lists are read in one call into the addon;
 * any other (Unix, UDP, TCP of another namespace) one by one.
 */
function visitSockets(pid: number, command: string, sameNamespace: boolean, visit: (socket: SocketReport) => void): void {
  const inodeOf = socketDescriptors(pid, command); // in descriptor order
  const table = socketTableOf(pid, sameNamespace);
  try {
    const indexOf = table ? table.find({}, new Set(inodeOf.values())) : new Map<number, number>();
    const pidfd = openProcessOf(pid, command);
    try {
      // forEach, not for...of: no [fd, inode] pair is made per socket.
      const listed: number[] = [];
      inodeOf.forEach((inode, fd) => {
        if (indexOf.has(inode)) listed.push(fd);
      });
      const states = processKeepalive(pidfd, listed);
      let next = 0; // listed in the same order: the state of the next listed descriptor
      inodeOf.forEach((inode, fd) => {
        const index = indexOf.get(inode);
        if (index !== undefined) {
          const state = states[next++]!;
          if (state instanceof Error) {
            if (state.code !== 'EBADF') throw processError(pid, command, state); // EBADF: closed meanwhile
            return;
          }
          const entry = table!.brief(index);
          visit({ fd, inode, entry, keepalive: state, info: entry.info });
          return;
        }
        let report: SocketReport | null;
        try {
          report = readUnlistedSocket(pidfd, fd, inode);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EBADF') return; // closed meanwhile
          throw processError(pid, command, error as NodeJS.ErrnoException);
        }
        if (report) visit(report);
      });
    } finally {
      closeSync(pidfd);
    }
  } finally {
    table?.close();
  }
}

/** Whether a value equals the namespace default: inherited, or set to the same value. */
function fromSystem(keepalive: KeepaliveState, defaults: SystemDefaults | null, field: Field): boolean | null {
  if (!defaults || keepalive[field] === null) return null;
  return keepalive[field] === defaults[field];
}

// Cells by field, value and star: thousands of sockets share a few settings.
const SETTING_TEXT = new Map<string, string>();

function setting(keepalive: KeepaliveState, defaults: SystemDefaults | null, field: Field): string {
  const value = keepalive[field];
  if (value === null) return 'n/a';
  const starred = fromSystem(keepalive, defaults, field) === true;
  const key = `${field}${value}${starred ? '*' : ''}`;
  let text = SETTING_TEXT.get(key);
  if (text === undefined) {
    text = field === 'count' ? String(value) : formatSetting(value).replace(/ \(.*\)$/, '');
    if (starred) text += '*';
    SETTING_TEXT.set(key, text);
  }
  return text;
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

/** The table as rows are added: their cells, and the widest cell of each column so far. */
class Table {
  // The rows as they came: pushing each cell onto one list of 100,000 cost
  // more than keeping the row's own array.
  private readonly rows: (readonly string[])[] = [];
  private readonly widths: number[];

  constructor(readonly header: readonly string[]) {
    this.widths = header.map((cell) => cell.length);
  }

  get size(): number {
    return this.rows.length;
  }

  add(row: readonly string[]): void {
    this.rows.push(row);
    const widths = this.widths;
    for (let column = 0; column < row.length; column++) {
      const length = row[column]!.length;
      if (length > widths[column]!) widths[column] = length;
    }
  }

  /** Header and rows, columns padded to their widest cell (a line reaches the terminal escaped: no newlines in it). */
  print(reporter: Reporter): void {
    reporter.line(this.format(this.header));
    for (const row of this.rows) reporter.line(this.format(row));
  }

  private format(cells: readonly string[]): string {
    const last = cells.length - 1;
    let line = '';
    for (let column = 0; column < last; column++) line += `${cells[column]!.padEnd(this.widths[column]!)}  `;
    return `${line}${cells[last]!}`.trimEnd();
  }
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
  const configured = configuredKeepalive(pid, commandLine);
  const configuredOptions = configured.status === 'set' ? configured.options : null;
  const now = Date.now();

  // Each socket becomes a row (or a JSON event) and a verdict record as it is read.
  const header = ['FD', 'STATE', 'LOCAL', 'PEER', 'KEEPALIVE', 'IDLE', 'INTERVAL', 'COUNT', 'USER TIMEOUT', 'NEXT PROBE', 'UNANSWERED'];
  const rows = new Table(configuredOptions ? [...header, 'DEFAULT'] : header);
  const events: Record<string, unknown>[] = [];
  const findings = new VerdictBuilder(verdictOptions);
  let starred = false;
  visitSockets(pid, shortCommand, sameNamespace, (socket) => {
    const { fd, keepalive, info, entry } = socket;
    const probes = info.probes ?? entry?.probesOut ?? 0;
    const next = nextProbe(keepalive, info, entry, probes);
    // Only where TCP_KEEPALIVE parses: whether the kernel values of this connection are those.
    const carries = configuredOptions && carriesConfigured(configuredOptions, keepalive, info.state === 'LISTEN');
    findings.add(socketRecord(`fd ${fd}`, info, keepalive, entry && { address: entry.remoteAddress, port: entry.remotePort }));
    if (reporter.json) {
      const fields = socketFields(pid, socket, defaults, probes, next);
      events.push(configuredOptions ? { ...fields, carriesConfigured: carries } : fields);
      return;
    }
    const row = socketRow(socket, defaults, probes, next);
    starred ||= row.some((cell) => cell.endsWith('*'));
    rows.add(configuredOptions ? [...row, carries === null ? '-' : carries ? 'yes' : 'no'] : row);
  });
  const count = reporter.json ? events.length : rows.size;

  // The report in a few large writes: 10,000 rows must not cost 10,000 system calls.
  return reporter.batch(() => {
    reporter.event('process', { pid, command, netns: namespace, sameNetns: sameNamespace, defaults, sockets: count, ...configuredJson(configured) }, null, now);
    for (const fields of events) reporter.event('socket', fields, null, now);
    const namespaceText = namespace ? `, network namespace ${namespace}${sameNamespace ? '' : ' (not this one)'}` : '';
    reporter.line(`PID ${pid} (${shortCommand})${namespaceText}: ${count} TCP socket${count === 1 ? '' : 's'}`);
    reporter.line(
      defaults
        ? `system defaults there: idle ${formatSetting(defaults.idle)}, interval ${formatSetting(defaults.interval)}, count ${defaults.count}`
        : 'system defaults there: unknown (reading them needs CAP_SYS_ADMIN)',
    );
    const configuredLine = describeConfigured(configured);
    if (configuredLine !== null) reporter.line(configuredLine);
    if (count === 0) return ExitCode.OK;
    if (!reporter.json) rows.print(reporter);
    // The legend only where a value carries the star.
    if (starred) reporter.line('* = the system default: inherited from the sysctl (or set to the same value)');
    if (configuredOptions) reporter.line('DEFAULT = whether the connection carries the TCP_KEEPALIVE values (yes/no; - for a listener)');
    reportVerdict(reporter, findings.result(), now);
    return ExitCode.OK;
  });
}
