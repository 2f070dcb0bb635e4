// lib/cli/commands/report/: the `report` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive report`: what this OS, kernel and Node honour, found by
// trying it on loopback connections, not read from a table. Each option is
// set and read back (through the library, and as the raw socket option to
// find its unit and the kernel's limits), the system defaults are read and
// compared with a socket that never set anything, Node core's setKeepAlive is
// called and read back, TCP_INFO is fetched, and a listener's SO_KEEPALIVE is
// checked on the socket it accepts. --expect turns a missing option into an
// exit code for users' CI.
import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import {
  capabilities,
  constants,
  getKeepalive,
  getSockOpt,
  getTcpInfo,
  setKeepalive,
  setSockOpt,
  systemDefaults,
  type KeepaliveField,
  type SocketConstants,
  type KeepaliveState,
} from '../../../index';
import { keepaliveFields as FIELDS } from '../../../diagnostics';
import { parseArgs } from '../../terminal/args';
import { escapeLines } from '../../terminal/escape';
import { CliError, ExitCode, usageError } from '../../terminal/exit';

export const REPORT_HELP = `Usage: tcp-keepalive report [--json | --markdown] [--expect FIELDS]

What this OS, kernel and Node honour, found by trying it on loopback connections:
each option set and read back (unit, limits: the minimum, the maximum and one
beyond each), the system defaults and where they come from, what Node core's
setKeepAlive does to interval and count, the TCP_INFO fields available, and
whether accepted sockets inherit a listener's options. Only 127.0.0.1 is used.

Options:
      --json              one JSON document (for scripts and for the README's table)
      --markdown          Markdown tables (for $GITHUB_STEP_SUMMARY)
      --expect FIELDS     comma-separated: ${FIELDS.join(',')}; exit 11
                          when this platform does not honour one of them
  -h, --help              this help

Exit codes:
  0    done (and every --expect field is honoured)
  1    unexpected failure (a bug: please report it)
  2    bad command line
  11   a field named by --expect is not honoured here
  12   no native addon for this platform, or it does not load (the message says what to do)
`;

/** Values to try: not a default anywhere, whole seconds, a user timeout that shows ms. */
const TRIAL: Record<Exclude<KeepaliveField, 'enable'>, number> = { idle: 37_000, interval: 7_000, count: 5, userTimeout: 12_345 };
/** The raw option behind each field, by the names this platform's constants use. */
const OPTION_NAMES: Record<KeepaliveField, readonly (keyof SocketConstants)[]> = {
  enable: ['SO_KEEPALIVE'],
  idle: ['TCP_KEEPIDLE', 'TCP_KEEPALIVE'],
  interval: ['TCP_KEEPINTVL'],
  count: ['TCP_KEEPCNT'],
  userTimeout: ['TCP_USER_TIMEOUT'],
};
const INT32_MAX = 2 ** 31 - 1;

/** What happened when a value was tried: 'ok' (with what was read back) or the error code. */
export interface Attempt {
  value: number;
  result: string;
  readBack?: number | null;
}

export interface FieldReport {
  field: KeepaliveField;
  /** Set through setKeepalive and seen in its result (read back or remembered). */
  honoured: boolean;
  /** How the value came back: from the kernel, remembered by the library, or not at all. */
  readBack: 'kernel' | 'remembered' | 'none';
  asked: number | boolean;
  got: number | boolean | null;
  error?: string;
  /** The raw socket option, where this platform names one. */
  option: string | null;
  /** ms per unit of the raw option, found as (value set in ms) / (raw value read); null when unreadable. */
  unitMs: number | null;
  /** What capabilities() states, to compare with what was found. */
  stated: { settable: boolean; readable: boolean; min: number; max: number; unitMs: number };
  /** setKeepalive at the stated min and max, and one unit beyond each. */
  library: Attempt[];
  /** The raw option at the kernel's min and max (in its unit), and one beyond each; empty when not tried. */
  kernel: Attempt[];
  kernelNote?: string;
}

export interface Report {
  tool: 'tcp-keepalive report';
  version: 1;
  platform: { os: string; release: string; arch: string; node: string; uv: string; backend: string };
  fields: FieldReport[];
  defaults: { idle: number; interval: number; count: number; source: string } | { error: string };
  /** A connected socket that never set an option: what it reads, and whether that is the defaults. */
  fresh: { state: KeepaliveState | null; followsDefaults: boolean | null; error?: string };
  nodeCore: Array<{ call: string; state: KeepaliveState | null; error?: string }>;
  tcpInfo: { available: boolean; fields: string[]; nullFields: string[]; error?: string };
  listenerInheritance: { stated: boolean; keepaliveInherited: boolean | null; idleInherited: boolean | null; error?: string };
  /** --expect: the fields named and those not honoured (the command then exits 11). */
  expected?: { fields: KeepaliveField[]; notHonoured: KeepaliveField[] };
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
}

async function pair(): Promise<{ client: net.Socket; accepted: net.Socket; server: net.Server; close(): void }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [socket] = await accepted;
  return {
    client,
    accepted: socket,
    server,
    close() {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

function rawOption(field: KeepaliveField): { level: number; name: number; option: string } | null {
  const option = OPTION_NAMES[field].find((name) => constants[name] !== undefined);
  if (!option) return null;
  const level = field === 'enable' ? constants.SOL_SOCKET! : constants.IPPROTO_TCP!;
  return { level, name: constants[option]!, option };
}

function tryRaw(socket: net.Socket, level: number, name: number, value: number): Attempt {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value > INT32_MAX) return { value, result: 'not an int32' };
  try {
    setSockOpt(socket, level, name, value, 'int');
  } catch (error) {
    return { value, result: codeOf(error) };
  }
  let readBack: number | null = null;
  try {
    readBack = getSockOpt(socket, level, name, 'int');
  } catch {
    // Write-only here (Windows' SIO_KEEPALIVE_VALS world): accepted, not read.
  }
  return { value, result: 'ok', readBack };
}

/** setKeepalive on a connected socket: always a state (null only comes for one still connecting). */
function configure(socket: net.Socket, options: Parameters<typeof setKeepalive>[1]): KeepaliveState {
  const state = setKeepalive(socket, options);
  if (!state) throw new Error('the loopback connection is not connected');
  return state;
}

function tryLibrary(socket: net.Socket, field: Exclude<KeepaliveField, 'enable'>, value: number): Attempt {
  try {
    const state = configure(socket, { [field]: value });
    return { value, result: 'ok', readBack: state[field] };
  } catch (error) {
    return { value, result: codeOf(error) };
  }
}

async function probeField(field: KeepaliveField): Promise<FieldReport> {
  const stated = { ...capabilities()[field] };
  const raw = rawOption(field);
  const report: FieldReport = {
    field, honoured: false, readBack: 'none', asked: field === 'enable' ? true : TRIAL[field], got: null,
    option: raw?.option ?? null, unitMs: null, stated, library: [], kernel: [],
  };
  const connection = await pair();
  try {
    const socket = connection.client;
    let state: KeepaliveState;
    try {
      // enable: off, then on, so that both directions are seen to work.
      state = field === 'enable' ? configure(socket, { enable: false }) : configure(socket, { [field]: TRIAL[field] });
      if (field === 'enable') state = state.enable === false ? configure(socket, { enable: true }) : state;
    } catch (error) {
      report.error = codeOf(error);
      return report;
    }
    report.got = state[field];
    report.readBack = state.remembered?.includes(field) ? 'remembered' : state[field] === null ? 'none' : 'kernel';
    report.honoured = state[field] === report.asked;
    if (field === 'enable') return report;

    if (raw) {
      try {
        const held = getSockOpt(socket, raw.level, raw.name, 'int');
        if (held > 0) report.unitMs = TRIAL[field] / held;
      } catch (error) {
        report.kernelNote = `getsockopt(${raw.option}) fails here: ${codeOf(error)}`;
      }
    } else {
      report.kernelNote = 'this platform names no socket option for it';
    }
    const unit = stated.unitMs || 1;
    for (const value of [stated.min - unit, stated.min, stated.max, stated.max + unit]) report.library.push(tryLibrary(socket, field, value));
    if (raw && report.unitMs !== null) {
      const kmin = Math.ceil(stated.min / report.unitMs);
      const kmax = Math.floor(stated.max / report.unitMs);
      for (const value of [kmin - 1, kmin, kmax, kmax + 1]) report.kernel.push(tryRaw(socket, raw.level, raw.name, value));
    }
    return report;
  } finally {
    connection.close();
  }
}

async function probeFresh(): Promise<Report['fresh'] & { defaults: Report['defaults'] }> {
  let defaults: Report['defaults'];
  try {
    defaults = systemDefaults();
  } catch (error) {
    defaults = { error: codeOf(error) };
  }
  const connection = await pair();
  try {
    const state = getKeepalive(connection.client);
    // Only values read from the kernel say anything: not null, not remembered.
    const read = (['idle', 'interval', 'count'] as const).filter((f) => state[f] !== null && !state.remembered?.includes(f));
    const followsDefaults = 'error' in defaults || read.length === 0 ? null : read.every((f) => state[f] === defaults[f]);
    return { defaults, state, followsDefaults };
  } catch (error) {
    return { defaults, state: null, followsDefaults: null, error: codeOf(error) };
  } finally {
    connection.close();
  }
}

/** Node core's own setKeepAlive, each call on a fresh socket, read back through getKeepalive. */
async function probeNodeCore(): Promise<Report['nodeCore']> {
  const calls: Array<[string, unknown[]]> = [
    ['setKeepAlive(true, 5000)', [true, 5_000]],
    ['setKeepAlive(true, 500)', [true, 500]],
    ['setKeepAlive(true, 30000, 5000, 3)', [true, 30_000, 5_000, 3]],
  ];
  const results: Report['nodeCore'] = [];
  for (const [call, args] of calls) {
    const connection = await pair();
    try {
      (connection.client.setKeepAlive as (...a: unknown[]) => unknown).apply(connection.client, args);
      results.push({ call, state: getKeepalive(connection.client) });
    } catch (error) {
      results.push({ call, state: null, error: codeOf(error) });
    } finally {
      connection.close();
    }
  }
  return results;
}

async function probeTcpInfo(): Promise<Report['tcpInfo']> {
  const connection = await pair();
  try {
    const info = getTcpInfo(connection.client) as unknown as Record<string, unknown>;
    const names = Object.keys(info);
    return { available: true, fields: names.filter((n) => info[n] !== null), nullFields: names.filter((n) => info[n] === null) };
  } catch (error) {
    return { available: false, fields: [], nullFields: [], error: codeOf(error) };
  } finally {
    connection.close();
  }
}

/** SO_KEEPALIVE (and the idle option, where readable) set raw on a listener, read on what it accepts. */
async function probeInheritance(): Promise<Report['listenerInheritance']> {
  const stated = capabilities().listenerInheritance;
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let client: net.Socket | undefined;
  let accepted: net.Socket | undefined;
  try {
    setSockOpt(server, constants.SOL_SOCKET!, constants.SO_KEEPALIVE!, true, 'bool');
    const idle = rawOption('idle');
    let idleSet = false;
    if (idle) {
      try {
        setSockOpt(server, idle.level, idle.name, 41, 'int');
        idleSet = getSockOpt(server, idle.level, idle.name, 'int') === 41;
      } catch {
        // Not settable raw here: SO_KEEPALIVE alone answers the question.
      }
    }
    const connection = once(server, 'connection') as Promise<[net.Socket]>;
    client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    [accepted] = await connection;
    const keepaliveInherited = getSockOpt(accepted, constants.SOL_SOCKET!, constants.SO_KEEPALIVE!, 'bool');
    const idleInherited = idle && idleSet ? getSockOpt(accepted, idle.level, idle.name, 'int') === 41 : null;
    return { stated, keepaliveInherited, idleInherited };
  } catch (error) {
    return { stated, keepaliveInherited: null, idleInherited: null, error: codeOf(error) };
  } finally {
    client?.destroy();
    accepted?.destroy();
    server.close();
  }
}

/** Runs every trial. Sequential: each uses its own loopback connection, closed after it. */
export async function buildReport(): Promise<Report> {
  const fields: FieldReport[] = [];
  for (const field of FIELDS) fields.push(await probeField(field));
  const { defaults, ...fresh } = await probeFresh();
  return {
    tool: 'tcp-keepalive report',
    version: 1,
    platform: {
      os: os.platform(),
      release: os.release(),
      arch: os.arch(),
      node: process.version,
      uv: process.versions.uv ?? 'unknown',
      backend: capabilities().backend,
    },
    fields,
    defaults,
    fresh,
    nodeCore: await probeNodeCore(),
    tcpInfo: await probeTcpInfo(),
    listenerInheritance: await probeInheritance(),
  };
}

// --- Rendering -----------------------------------------------------------------------------

function ms(value: number | null): string {
  if (value === null) return 'null';
  return value % 1000 === 0 && value !== 0 ? `${value / 1000} s` : `${value} ms`;
}

function fieldValue(field: KeepaliveField, value: number | boolean | null): string {
  if (typeof value === 'boolean' || value === null) return String(value);
  return field === 'count' ? String(value) : ms(value);
}

function unitOf(f: FieldReport): string {
  if (f.field === 'enable') return 'on/off';
  if (f.unitMs === null) return 'unknown';
  return f.field === 'count' ? 'probes' : ms(f.unitMs);
}

function attempts(list: Attempt[]): string {
  return list.map((a) => `${a.value}: ${a.result === 'ok' ? `ok${a.readBack !== undefined && a.readBack !== a.value ? ` (reads ${a.readBack})` : ''}` : a.result}`).join(', ');
}

/** One line per field: the verdict a reader wants first. */
export function verdict(f: FieldReport): string {
  if (f.error) return `not honoured (${f.error})`;
  if (!f.honoured) return `not honoured (asked ${fieldValue(f.field, f.asked)}, got ${fieldValue(f.field, f.got)})`;
  return f.readBack === 'kernel' ? 'yes, read back from the kernel' : 'yes, set (not readable: remembered)';
}

/** A state as read: a value the library only remembers (core bypassed it) is not evidence. */
function stateLine(s: KeepaliveState): string {
  const show = (field: 'idle' | 'interval' | 'count') =>
    s.remembered?.includes(field) || s[field] === null ? 'unreadable' : fieldValue(field, s[field]);
  return `enable ${s.enable}, idle ${show('idle')}, interval ${show('interval')}, count ${show('count')}`;
}

function coreLine(c: Report['nodeCore'][number]): string {
  return c.state ? `${c.call}: ${stateLine(c.state)}` : `${c.call}: ${c.error}`;
}

export function renderText(r: Report): string {
  const out: string[] = [];
  const p = r.platform;
  out.push(`tcp-keepalive report: ${p.os} ${p.release} ${p.arch}, Node ${p.node} (libuv ${p.uv}), back end ${p.backend}`);
  out.push('', 'Options, set on a loopback connection and read back:');
  for (const f of r.fields) {
    out.push(`  ${f.field.padEnd(12)}${verdict(f)}`);
    if (f.field === 'enable' || f.error) continue;
    out.push(`  ${''.padEnd(12)}option ${f.option ?? 'none'}, unit ${unitOf(f)}; stated ${fieldValue(f.field, f.stated.min)}..${fieldValue(f.field, f.stated.max)}`);
    out.push(`  ${''.padEnd(12)}library: ${attempts(f.library)}`);
    out.push(`  ${''.padEnd(12)}kernel:  ${f.kernel.length ? attempts(f.kernel) : (f.kernelNote ?? 'not tried')}`);
  }
  out.push('');
  if ('error' in r.defaults) out.push(`System defaults: unavailable (${r.defaults.error})`);
  else out.push(`System defaults: idle ${ms(r.defaults.idle)}, interval ${ms(r.defaults.interval)}, count ${r.defaults.count}, from ${r.defaults.source}`);
  if (r.fresh.state) {
    out.push(`A socket that set nothing reads ${stateLine(r.fresh.state)}` +
      (r.fresh.followsDefaults === null ? '' : r.fresh.followsDefaults ? ': the defaults' : ': NOT the defaults'));
  }
  out.push('', `Node ${p.node} core, each on a fresh socket, read back:`);
  for (const c of r.nodeCore) out.push(`  ${coreLine(c)}`);
  out.push('');
  if (r.tcpInfo.available) out.push(`TCP_INFO: ${r.tcpInfo.fields.length} fields${r.tcpInfo.nullFields.length ? `; null here: ${r.tcpInfo.nullFields.join(', ')}` : ''}`);
  else out.push(`TCP_INFO: unavailable (${r.tcpInfo.error})`);
  const li = r.listenerInheritance;
  out.push(`Listener inheritance: SO_KEEPALIVE ${li.keepaliveInherited ?? `unknown (${li.error})`}, idle ${li.idleInherited ?? 'not tried'}; capabilities() says ${li.stated}`);
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(r: Report): string {
  const p = r.platform;
  const out: string[] = [];
  out.push(`### tcp-keepalive report: ${p.os} ${p.arch}, Node ${p.node}`, '');
  out.push(`${p.os} ${p.release}, libuv ${p.uv}, back end \`${p.backend}\`.`, '');
  out.push('| option | honoured | unit | stated range | kernel: min-1, min, max, max+1 |', '| --- | --- | --- | --- | --- |');
  for (const f of r.fields) {
    const range = f.field === 'enable' ? '' : `${fieldValue(f.field, f.stated.min)}..${fieldValue(f.field, f.stated.max)}`;
    const unit = unitOf(f);
    const kernel = f.kernel.length ? attempts(f.kernel) : (f.kernelNote ?? '');
    out.push(`| ${f.field} | ${verdict(f)} | ${unit} | ${range} | ${kernel} |`);
  }
  out.push('');
  if ('error' in r.defaults) out.push(`**System defaults:** unavailable (${r.defaults.error})`, '');
  else out.push(`**System defaults:** idle ${ms(r.defaults.idle)}, interval ${ms(r.defaults.interval)}, count ${r.defaults.count} (\`${r.defaults.source}\`)`, '');
  out.push('**Node core:**', '');
  for (const c of r.nodeCore) out.push(`- ${coreLine(c)}`);
  out.push('');
  out.push(`**TCP_INFO:** ${r.tcpInfo.available ? `${r.tcpInfo.fields.length} fields${r.tcpInfo.nullFields.length ? `, null: ${r.tcpInfo.nullFields.join(', ')}` : ''}` : `unavailable (${r.tcpInfo.error})`}`, '');
  out.push(`**Listener inheritance:** SO_KEEPALIVE ${r.listenerInheritance.keepaliveInherited}, idle ${r.listenerInheritance.idleInherited ?? 'not tried'}`, '');
  return `${out.join('\n')}\n`;
}

function parseExpect(text: string): KeepaliveField[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!FIELDS.includes(name as KeepaliveField)) throw usageError(`unknown field '${name}' for --expect (fields: ${FIELDS.join(', ')})`);
  }
  if (names.length === 0) throw usageError(`--expect needs at least one field (${FIELDS.join(', ')})`);
  return names as KeepaliveField[];
}

export async function runReport(argv: readonly string[]): Promise<number> {
  const args = parseArgs('report', argv, [
    { name: 'json', value: false },
    { name: 'markdown', value: false },
    { name: 'expect', value: true },
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(REPORT_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}' for 'report'`);
  if (args.options.has('json') && args.options.has('markdown')) throw usageError("choose one of --json and --markdown for 'report'");
  const expectText = args.options.get('expect');
  const expected = typeof expectText === 'string' ? parseExpect(expectText) : [];

  const report = await buildReport();
  const missing = report.fields.filter((f) => expected.includes(f.field) && !f.honoured);
  if (expected.length > 0) report.expected = { fields: expected, notHonoured: missing.map((f) => f.field) };
  if (args.options.has('json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  // Error messages and the OS's own strings are text from outside: escaped like every line of the command.
  else if (args.options.has('markdown')) process.stdout.write(escapeLines(renderMarkdown(report)));
  else process.stdout.write(escapeLines(renderText(report)));

  if (missing.length > 0) {
    throw new CliError(
      `this platform does not honour ${missing.map((f) => `${f.field} (${verdict(f)})`).join(', ')}`,
      ExitCode.NOT_HONOURED,
      'NOT_HONOURED',
    );
  }
  return ExitCode.OK;
}
