// npm run report:table: the "Which OS honours which option" tables, made from
// `tcp-keepalive report --json` runs, never written by hand: a short one in
// README.md, one with limits and Node core's behaviour in docs/platforms.md.
//
//   node build/tools/platform-table.js [--check]
//
// Reads docs/platform-reports/<run>.json (one file per run: the name says
// where it ran, e.g. linux-x64, win32-x64-wine) and rewrites the part of each
// file between the platform-table markers; with --check it only says whether
// they are up to date (exit 1 if not). A run listed in RUNS
// without its file yet shows as "not run yet" with the command that makes it.
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const REPORTS = path.join(REPO, 'docs', 'platform-reports');
const TARGETS: ReadonlyArray<{ file: string; detailed: boolean }> = [
  { file: path.join(REPO, 'README.md'), detailed: false },
  { file: path.join(REPO, 'docs', 'platforms.md'), detailed: true },
];
const START = '<!-- platform-table:start (made by npm run report:table from docs/platform-reports; do not edit) -->';
const END = '<!-- platform-table:end -->';

/** The runs the table is meant to show, in order, and how each is made. */
const RUNS: ReadonlyArray<{ file: string; label: string; how: string }> = [
  { file: 'linux-x64', label: 'Linux x64', how: 'node dist/cli/main.js report --json' },
  { file: 'win32-x64-wine', label: 'Windows x64, under Wine', how: 'npm run test:windows (build/reports/win32-x64-wine-node22.json)' },
  // Hook: the arm64 harness (npm run test:arm64, branch platform-build) runs the report under
  // qemu-user; copy its JSON here as docs/platform-reports/linux-arm64-qemu.json.
  { file: 'linux-arm64-qemu', label: 'Linux arm64, under qemu-user', how: 'npm run test:arm64 (report --json under qemu-aarch64)' },
];

// The subset of lib/cli/commands/report/report.ts's Report this table reads.
interface Attempt {
  value: number;
  result: string;
}
interface Field {
  field: string;
  honoured: boolean;
  readBack: 'kernel' | 'remembered' | 'none';
  error?: string;
  unitMs: number | null;
  stated: { min: number; max: number };
  kernel: Attempt[];
  kernelNote?: string;
}
interface State {
  enable: boolean;
  idle: number | null;
  interval: number | null;
  count: number | null;
  remembered?: string[];
}
interface Report {
  platform: { os: string; release: string; arch: string; node: string; backend: string };
  fields: Field[];
  defaults: { idle: number; interval: number; count: number; source: string } | { error: string };
  nodeCore: Array<{ call: string; state: State | null; error?: string }>;
  tcpInfo: { available: boolean; fields: string[]; nullFields: string[]; error?: string };
  listenerInheritance: { stated: boolean; keepaliveInherited: boolean | null; idleInherited: boolean | null };
}

function time(ms: number): string {
  return ms % 1000 === 0 && ms !== 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function fieldCell(report: Report, name: string, detailed: boolean): string {
  const f = report.fields.find((field) => field.field === name);
  if (!f) return '?';
  if (!f.honoured) return detailed ? `no (${f.error ?? 'not as asked'})` : 'no';
  const how = f.readBack === 'kernel' ? 'set, read back' : 'set; not readable (remembered)';
  if (name === 'enable' || !detailed) return how;
  const value = (v: number) => (name === 'count' ? String(v) : time(v));
  const [below, min, max, above] = f.kernel;
  let limits = `${value(f.stated.min)} – ${value(f.stated.max)}`;
  if (min && max) {
    const refused = [below, above].filter((a): a is Attempt => a !== undefined && a.result !== 'ok' && a.result !== 'not an int32');
    limits += ` (kernel: ${min.value}–${max.value} accepted${refused.length ? `, ${refused.map((a) => `${a.value} ${a.result}`).join(', ')}` : ''})`;
  } else if (f.kernelNote) {
    limits += ` (kernel not asked: ${f.kernelNote})`;
  }
  return `${how}; ${limits}`;
}

function coreCell(report: Report, call: string): string {
  const c = report.nodeCore.find((entry) => entry.call === call);
  if (!c?.state) return c?.error ?? '?';
  const s = c.state;
  const show = (field: 'idle' | 'interval' | 'count') =>
    s.remembered?.includes(field) || s[field] === null ? 'unreadable' : field === 'count' ? String(s[field]) : time(s[field]!);
  return `idle ${show('idle')}, interval ${show('interval')}, count ${show('count')}`;
}

function rows(reports: Array<Report | null>, detailed: boolean): string[][] {
  const each = (cell: (r: Report) => string) => reports.map((r) => (r ? cell(r) : ''));
  const fields = ['enable', 'idle', 'interval', 'count', 'userTimeout'].map((name) => [`\`${name}\``, ...each((r) => fieldCell(r, name, detailed))]);
  if (!detailed) {
    return [
      ...fields,
      ['`systemDefaults()`', ...each((r) => ('error' in r.defaults ? 'no' : `${time(r.defaults.idle)} / ${time(r.defaults.interval)} / ${r.defaults.count}`))],
      ['`getTcpInfo()`', ...each((r) => (r.tcpInfo.available ? 'yes' : 'no'))],
      ['a listener\'s SO_KEEPALIVE reaches accepted sockets', ...each((r) => (r.listenerInheritance.keepaliveInherited ? 'yes' : 'no'))],
    ];
  }
  return [
    ['run on', ...each((r) => `${r.platform.os} ${r.platform.release} ${r.platform.arch}, Node ${r.platform.node}`)],
    ...fields,
    ['`systemDefaults()`', ...each((r) => ('error' in r.defaults ? `no (${r.defaults.error})` : `${time(r.defaults.idle)} / ${time(r.defaults.interval)} / ${r.defaults.count} from ${r.defaults.source}`))],
    ['core `setKeepAlive(true, 5000)` leaves', ...each((r) => coreCell(r, 'setKeepAlive(true, 5000)'))],
    ['core `setKeepAlive(true, 30000, 5000, 3)` leaves', ...each((r) => coreCell(r, 'setKeepAlive(true, 30000, 5000, 3)'))],
    ['`getTcpInfo()`', ...each((r) => (r.tcpInfo.available ? `${r.tcpInfo.fields.length} fields${r.tcpInfo.nullFields.length ? `; null: ${r.tcpInfo.nullFields.join(', ')}` : ''}` : `no (${r.tcpInfo.error})`))],
    ['accepted socket has the listener\'s SO_KEEPALIVE', ...each((r) => `${r.listenerInheritance.keepaliveInherited}${r.listenerInheritance.stated ? '' : ' (not relied on: applied per connection)'}`)],
  ];
}

export function renderTable(detailed: boolean): string {
  const reports = RUNS.map(({ file }) => {
    const full = path.join(REPORTS, `${file}.json`);
    return fs.existsSync(full) ? (JSON.parse(fs.readFileSync(full, 'utf8')) as Report) : null;
  });
  const header = ['', ...RUNS.map((run, i) => (reports[i] ? run.label : `${run.label}: not run yet`))];
  const body = rows(reports, detailed);
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [header, header.map(() => '---'), ...body].map((row) => `| ${row.map(escape).join(' | ')} |`);
  const missing = RUNS.filter((_, i) => !reports[i]).map((run) => `*${run.label}: not run yet; made by \`${run.how}\`.*`);
  return [START, ...lines, ...(missing.length ? ['', ...missing] : []), END].join('\n');
}

function main(): number {
  let stale = 0;
  for (const target of TARGETS) {
    const name = path.relative(REPO, target.file);
    const text = fs.readFileSync(target.file, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${name} has no platform-table markers (${START} ... ${END})`);
    const updated = `${text.slice(0, start)}${renderTable(target.detailed)}${text.slice(end + END.length)}`;
    if (!process.argv.includes('--check')) {
      fs.writeFileSync(target.file, updated);
      console.log(`${name}: platform table from ${RUNS.length} runs`);
    } else if (updated !== text) {
      console.error(`${name}: the platform table is not what docs/platform-reports says; run npm run report:table`);
      stale++;
    } else {
      console.log(`${name}: the platform table is up to date`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (require.main === module) process.exit(main());
