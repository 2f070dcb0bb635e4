// The command as a tool left running: the CPU time and memory of `listen`'s
// live view watching idle connections (alone, and among many other sockets
// on the host), and `inspect` of a process with many sockets next to
// `ss -tnpo`. Everything is on loopback, in child processes this part
// starts and kills.
//
//   node build/bench/watch.js [--quick] [--cli dist/cli/main.js] [--inspect-only] [--rounds N]
//
// --cli runs another build of the command (main's, for a before/after).
// --inspect-only skips the live view; --rounds sets how many times inspect,
// node -e 0, ss and the floor each run, one after the other in turn (5).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ensureFdLimit, ROOT } from './common';
import type { Target } from './report';
import { median } from './stats';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WatchRow {
  readonly case: string;
  readonly connections: number;
  /** Connections the live view had reported when the window began (fewer: it did not keep up). */
  readonly reported: number;
  readonly otherSockets: number;
  /** CPU time of the listening process over the window, % of one core. */
  readonly cpuPercent: number;
  readonly rssMiB: number;
  readonly windowS: number;
}

export interface InspectRow {
  readonly sockets: number;
  readonly inspectS: number;
  readonly inspectMiB: number;
  readonly ssS: number;
  readonly ssMiB: number;
  /** `node -e 0`: what any command written for Node pays before its first line. */
  readonly nodeStartS: number;
  /** INSPECT_FLOOR: Node, the library and inspect's kernel reads, nothing shown. */
  readonly floorS: number;
  readonly rounds: number;
}

export interface WatchReport {
  readonly cli: string;
  readonly watch: WatchRow[];
  readonly inspect: InspectRow | null;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ, the unit of /proc/PID/stat times

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S; // utime, stime
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The child's stdout lines, and a wait for the first that matches. */
function lines(child: ChildProcess): { count: (pattern: RegExp) => number; waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string> } {
  const seen: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const counts = new Map<RegExp, number>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(line);
    if (seen.length > 100) seen.shift();
    for (const [pattern, n] of counts) if (pattern.test(line)) counts.set(pattern, n + 1);
    for (const waiter of waiters.splice(0)) {
      if (waiter.pattern.test(line)) waiter.resolve(line);
      else waiters.push(waiter);
    }
  });
  return {
    count: (pattern) => {
      if (!counts.has(pattern)) counts.set(pattern, 0);
      return counts.get(pattern)!;
    },
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const found = seen.find((line) => pattern.test(line));
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; last: ${seen.slice(-3).join(' | ')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      }),
  };
}

async function connectMany(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  // In batches, so that the listen backlog never overflows.
  for (let i = 0; i < count; i += 200) {
    const batch = Array.from({ length: Math.min(200, count - i) }, () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      sockets.push(socket);
      return once(socket, 'connect');
    });
    await Promise.all(batch);
  }
  return sockets;
}

/** Idle sockets that are none of the watched connections: a server and its clients in this process. */
async function otherSockets(pairs: number): Promise<{ close: () => void }> {
  const server = net.createServer((socket) => socket.on('error', () => undefined));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const clients = await connectMany((server.address() as net.AddressInfo).port, pairs);
  return {
    close: () => {
      for (const socket of clients) socket.destroy();
      server.close();
    },
  };
}

async function measureListen(cli: string, label: string, connections: number, others: number, idle: string[], windowS: number): Promise<WatchRow> {
  const background = others > 0 ? await otherSockets(others / 2) : null;
  const child = spawn(process.execPath, [cli, 'listen', '127.0.0.1:0', ...idle], { stdio: ['ignore', 'pipe', 'inherit'] });
  const output = lines(child);
  const accepted = /^\s*\S+\s+#\d+ connection /;
  output.count(accepted);
  let clients: net.Socket[] = [];
  try {
    const first = await output.waitFor(/^listening on /, 10_000);
    const port = Number(/^listening on \S*:(\d+) /.exec(first)![1]);
    clients = await connectMany(port, connections);
    // A live view that cannot keep up is measured anyway, and says so.
    for (const deadline = Date.now() + 30_000 + connections * 5; output.count(accepted) < connections && Date.now() < deadline; ) await sleep(100);
    await sleep(1000); // the arrivals' own work is not what is measured
    const reported = output.count(accepted);
    const before = cpuSeconds(child.pid!);
    await sleep(windowS * 1000);
    const cpu = cpuSeconds(child.pid!) - before;
    return { case: label, connections, reported, otherSockets: others, cpuPercent: (cpu / windowS) * 100, rssMiB: rssMiB(child.pid!), windowS };
  } finally {
    child.kill('SIGKILL');
    for (const socket of clients) socket.destroy();
    background?.close();
  }
}

/**
 * Wall time (measured here, to the millisecond: /usr/bin/time's %e has two
 * decimals, and ss on a small table takes less than 0.005 s) and peak memory
 * (from /usr/bin/time, NaN where it is missing) of a command.
 */
function timed(command: string, args: string[]): { s: number; mib: number } {
  const withTime = fs.existsSync('/usr/bin/time');
  const started = performance.now();
  const result = withTime
    ? spawnSync('/usr/bin/time', ['-f', 'TIME %M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const s = (performance.now() - started) / 1000;
  const match = /TIME (\d+)/.exec(result.stderr);
  if (result.status !== 0 || (withTime && !match)) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.slice(-300)}`);
  return { s, mib: match ? Number(match[1]) / 1024 : NaN };
}

async function measureInspect(cli: string, sockets: number, rounds: number): Promise<InspectRow> {
  // A process holding `sockets` TCP sockets: connections to itself, both ends.
  const holder = spawn(process.execPath, ['-e', HOLDER, String(sockets / 2)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await lines(holder).waitFor(/^ready$/, 120_000);
    const inspect: { s: number; mib: number }[] = [];
    const ss: { s: number; mib: number }[] = [];
    const nodeStart: { s: number; mib: number }[] = [];
    const floor: { s: number; mib: number }[] = [];
    const diagnostics = path.join(ROOT, 'dist', 'diagnostics', 'index.js');
    for (let round = 0; round < rounds; round++) {
      inspect.push(timed(process.execPath, [cli, 'inspect', String(holder.pid)]));
      ss.push(timed('ss', ['-tnpo']));
      nodeStart.push(timed(process.execPath, ['-e', '0']));
      floor.push(timed(process.execPath, ['-e', INSPECT_FLOOR, diagnostics, String(holder.pid)]));
    }
    return {
      sockets,
      inspectS: median(inspect.map((r) => r.s)),
      inspectMiB: median(inspect.map((r) => r.mib)),
      ssS: median(ss.map((r) => r.s)),
      ssMiB: median(ss.map((r) => r.mib)),
      nodeStartS: median(nodeStart.map((r) => r.s)),
      floorS: median(floor.map((r) => r.s)),
      rounds,
    };
  } finally {
    holder.kill('SIGKILL');
  }
}

// The least any Node command can do to show what inspect shows: start, load the
// library, list the process's sockets, dump the socket table, read each one's
// keepalive settings; then print nothing. Against ss, this is the floor.
const INSPECT_FLOOR = `
const d = require(process.argv[1]);
const pid = Number(process.argv[2]);
const sockets = d.processSockets(pid);
const found = d.SocketTable.open().find({}, new Set(sockets.values()));
const listed = [];
for (const [fd, inode] of sockets) if (found.has(inode)) listed.push(fd);
d.processKeepalive(d.openProcess(pid), listed);
`;

const HOLDER = `
const net = require('net');
const pairs = Number(process.argv[1]);
const server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  for (let i = 0; i < pairs; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, pairs - i) }, () => new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', resolve);
      c.on('error', () => {});
    })));
  }
  server.close();
  console.log('ready');
});
setInterval(() => {}, 1 << 30);
`;

export async function runWatch(options: { quick: boolean; cli?: string; inspectOnly?: boolean; rounds?: number; log: (line: string) => void }): Promise<WatchReport> {
  const cli = options.cli ?? path.join(ROOT, 'dist', 'cli', 'main.js');
  const many = options.quick ? 1_000 : 10_000;
  const windowS = options.quick ? 3 : 10;
  // Each process (this one, the listener, the inspected one) holds one end of each connection.
  ensureFdLimit(many + 4096, options.log);
  // A setting as users run it: probes every 30 s, none in the window; and
  // probes every second, answered, to show the cost when something is due.
  const idle = ['-d', '30', '-i', '5', '-c', '3'];
  const probing = ['-d', '1', '-i', '1', '-c', '3'];
  const cases: [string, number, number, string[]][] = [
    ['idle, no connection', 0, 0, idle],
    ['idle', 1, 0, idle],
    ['idle, among other sockets', 1, many, idle],
    ['idle', many, 0, idle],
    ['probing every 1 s', 1, 0, probing],
    ['probing every 1 s', options.quick ? 100 : 1_000, 0, probing],
  ];
  const watch: WatchRow[] = [];
  for (const [label, connections, others, args] of options.inspectOnly ? [] : cases) {
    options.log(`  listen ${args.join(' ')}: ${connections} connection(s), ${others} other sockets, ${windowS} s...`);
    watch.push(await measureListen(cli, label, connections, others, args, windowS));
  }
  options.log(`  inspect of ${many} sockets vs ss -tnpo...`);
  const inspect = await measureInspect(cli, many, options.rounds ?? (options.quick ? 1 : 5));
  return { cli: path.relative(process.cwd(), cli), watch, inspect };
}

/** inspect's time over what a Node command starts with plus all of ss: Node cannot start faster than `node -e 0`. */
function inspectRatio(i: InspectRow): number {
  return i.inspectS / (i.nodeStartS + i.ssS);
}

export function watchTable(report: WatchReport): string {
  const rows = report.watch.map(
    (r) => `| ${r.case} | ${r.connections.toLocaleString('en-US')}${r.reported < r.connections ? ` (only ${r.reported.toLocaleString('en-US')} reported)` : ''} | ${r.otherSockets.toLocaleString('en-US')} | ${r.cpuPercent.toFixed(1)} % | ${r.rssMiB.toFixed(0)} MiB |`,
  );
  const lines = rows.length === 0 ? [] : [`live view (${report.cli} listen, CPU over ${report.watch[0]?.windowS ?? '?'} s, piped output)`, '| case | connections | other sockets | CPU (one core) | RSS |', '| --- | ---: | ---: | ---: | ---: |', ...rows];
  const i = report.inspect;
  if (i) {
    lines.push(
      '',
      `inspect of ${i.sockets.toLocaleString('en-US')} sockets (median of ${i.rounds}, alternating): inspect ${i.inspectS.toFixed(3)} s, ${i.inspectMiB.toFixed(0)} MiB; node -e 0 ${i.nodeStartS.toFixed(3)} s; ss -tnpo ${i.ssS.toFixed(3)} s, ${i.ssMiB.toFixed(0)} MiB`,
      `inspect / (node -e 0 + ss -tnpo) = ${inspectRatio(i).toFixed(2)}; Node, the library and the kernel reads alone ${i.floorS.toFixed(3)} s (${(i.floorS / (i.nodeStartS + i.ssS)).toFixed(2)})`,
    );
  }
  return lines.join('\n');
}

/** What the command left running may cost: a watcher must cost next to nothing, whatever else the host holds. */
export function watchTargets(report: WatchReport): Target[] {
  const targets: Target[] = [];
  const row = (label: string, connections: number, others = 0): WatchRow | undefined =>
    report.watch.find((r) => r.case === label && r.connections === connections && r.otherSockets === others);
  const one = row('idle', 1);
  const among = report.watch.find((r) => r.case === 'idle, among other sockets');
  const many = report.watch.filter((r) => r.case === 'idle' && r.connections > 1).at(-1);
  if (one) targets.push({ name: 'live view, 1 idle connection', goal: '<= 2 % of a core', measured: `${one.cpuPercent.toFixed(1)} %`, met: one.cpuPercent <= 2 });
  if (among) targets.push({ name: `live view, 1 connection among ${among.otherSockets.toLocaleString('en-US')} other sockets`, goal: '<= 2 % of a core', measured: `${among.cpuPercent.toFixed(1)} %`, met: among.cpuPercent <= 2 });
  if (many) {
    const behind = many.reported < many.connections ? `, only ${many.reported} reported` : '';
    targets.push({ name: `live view, ${many.connections.toLocaleString('en-US')} idle connections`, goal: '<= 10 % of a core', measured: `${many.cpuPercent.toFixed(1)} %${behind}`, met: many.cpuPercent <= 10 && !behind });
    // "Linear and modest": what each connection adds over the process with none.
    const base = row('idle, no connection', 0);
    if (base) {
      const perConnectionKiB = ((many.rssMiB - base.rssMiB) * 1024) / many.connections;
      targets.push({ name: 'live view, memory per connection', goal: '<= 10 KiB', measured: `${perConnectionKiB.toFixed(1)} KiB`, met: perConnectionKiB <= 10 });
    }
  }
  const i = report.inspect;
  if (i) {
    targets.push({
      name: `inspect of ${i.sockets.toLocaleString('en-US')} sockets vs node -e 0 + ss -tnpo`,
      goal: '<= 1.1x',
      measured: `${inspectRatio(i).toFixed(2)}x (${i.inspectS.toFixed(3)} s vs ${i.nodeStartS.toFixed(3)} + ${i.ssS.toFixed(3)} s)`,
      met: inspectRatio(i) <= 1.1,
    });
  }
  return targets;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const cliAt = argv.indexOf('--cli');
  const roundsAt = argv.indexOf('--rounds');
  runWatch({
    quick: argv.includes('--quick'),
    cli: cliAt >= 0 ? path.resolve(argv[cliAt + 1]!) : undefined,
    inspectOnly: argv.includes('--inspect-only'),
    rounds: roundsAt >= 0 ? Number(argv[roundsAt + 1]) : undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  })
    .then((report) => process.stdout.write(`${watchTable(report)}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
