// Loopback connection set-up (connect, accept, first byte) with the process
// default installed (setDefaultKeepalive) against without it, side by side,
// and how many native configuration calls each end costs.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { COUNT, INTERVAL_MS, ka } from './common';
import { pairedRatio, summarize, type Ratio, type Summary } from './stats';
import { straceAvailable } from './trace';

export type SetupMode = 'without' | 'default' | 'default-filter' | 'core';

export const SETUP_MODES: Record<SetupMode, string> = {
  without: 'no default installed (baseline)',
  default: 'setDefaultKeepalive() before listen: client configured on connect, accepted sockets inherit the listener',
  'default-filter': 'the same with a filter (() => true): each accepted socket configured on its own',
  core: "no default; Node's own client.setKeepAlive(true, 60000) in a prepended 'connect' listener, as a client library does: what keepalive costs through Node itself",
};

export interface SetupSummary {
  mode: SetupMode;
  /** Wall time per connection, ns, one value per round. */
  ns: Summary;
  /** Against 'without', paired by round. */
  ratio: Ratio | null;
  /** CPU time per connection, ns: less disturbed by other processes on a loaded machine. */
  cpuNs: Summary;
  cpuRatio: Ratio | null;
  /**
   * setsockopt calls per connection beyond the baseline's, both ends
   * together, counted by strace (null without strace): 4 (enable, idle,
   * interval, count) with 'default' are the client's, so the accepted end
   * costs none; 8 with a filter.
   */
  setsockoptPerConnection: number | null;
}

const OPTIONS = { idle: 60_000, interval: INTERVAL_MS, count: COUNT };

/** `connections` set-ups one after the other; ns per connection, and native calls on each side. */
/** Wall time and this process's CPU time (user + system: both ends run here), ns per connection. */
async function measure(mode: SetupMode, connections: number): Promise<{ wall: number; cpu: number }> {
  if (mode !== 'without') ka.setDefaultKeepalive(mode === 'default' ? OPTIONS : { ...OPTIONS, filter: () => true });
  // Each accepted socket sends the first byte; the client closes with RST, so
  // that no TIME_WAIT piles up over thousands of connections.
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end('x');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  try {
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < connections; i++) {
      const client = net.connect(port, '127.0.0.1');
      if (mode === 'core') client.prependOnceListener('connect', () => client.setKeepAlive(true, OPTIONS.idle));
      await once(client, 'data');
      client.resetAndDestroy();
    }
    const cpu = process.cpuUsage(cpuBefore);
    const wall = Number(process.hrtime.bigint() - started) / connections;
    return { wall, cpu: ((cpu.user + cpu.system) * 1000) / connections };
  } finally {
    server.close();
    ka.setDefaultKeepalive(null);
  }
}

export async function runSetup(connections: number, rounds: number, log: (line: string) => void): Promise<SetupSummary[]> {
  const modes = Object.keys(SETUP_MODES) as SetupMode[];
  // Unrecorded: warm every path first.
  for (const mode of modes) await measure(mode, Math.min(200, connections));
  const ns = new Map<SetupMode, number[]>(modes.map((mode) => [mode, []]));
  const cpu = new Map<SetupMode, number[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(k + round) % modes.length]!;
      const result = await measure(mode, connections);
      ns.get(mode)!.push(result.wall);
      cpu.get(mode)!.push(result.cpu);
    }
    log(`  round ${round + 1}/${rounds}: ${modes.map((mode) => `${mode} ${(ns.get(mode)!.at(-1)! / 1000).toFixed(1)} us (CPU ${(cpu.get(mode)!.at(-1)! / 1000).toFixed(1)})`).join(', ')}`);
  }
  const syscalls = countSetsockopt(modes);
  return modes.map((mode) => ({
    mode,
    ns: summarize(ns.get(mode)!),
    ratio: mode === 'without' ? null : pairedRatio(ns.get(mode)!, ns.get('without')!),
    cpuNs: summarize(cpu.get(mode)!),
    cpuRatio: mode === 'without' ? null : pairedRatio(cpu.get(mode)!, cpu.get('without')!),
    setsockoptPerConnection: syscalls && syscalls.get(mode)! - syscalls.get('without')!,
  }));
}

const COUNTED_CONNECTIONS = 200;

/** setsockopt calls per connection in each mode, from `strace -c` over this file run as a child. */
function countSetsockopt(modes: readonly SetupMode[]): Map<SetupMode, number> | null {
  if (!straceAvailable()) return null;
  const counts = new Map<SetupMode, number>();
  for (const mode of modes) {
    const perRun = (connections: number): number => {
      const result = spawnSync('strace', ['-f', '-c', '-e', 'trace=setsockopt', process.execPath, __filename, 'count', mode, String(connections)], {
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`strace failed: ${result.stderr}`);
      const line = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?setsockopt$/m.exec(result.stderr);
      return line ? Number(line[1]) : 0;
    };
    // The difference of two runs leaves out what start-up and listen cost.
    counts.set(mode, (perRun(2 * COUNTED_CONNECTIONS) - perRun(COUNTED_CONNECTIONS)) / COUNTED_CONNECTIONS);
  }
  return counts;
}

if (require.main === module && process.argv[2] === 'count') {
  void measure(process.argv[3] as SetupMode, Number(process.argv[4]));
}

export function setupTable(summaries: readonly SetupSummary[], connections: number, rounds: number): string {
  if (summaries.length === 0) return '';
  const lines = [
    `Loopback connection set-up (connect, accept, first byte), ${connections} connections x ${rounds} rounds; goal: default within 1.03x`,
    '| mode | wall us/conn (median, min) | x without (median of rounds, mins) | CPU us/conn (median, min) | CPU x without (median of rounds, mins) | extra setsockopt/conn (both ends) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const us = (value: number) => (value / 1000).toFixed(1);
  const times = (summary: Summary) => `${us(summary.median)}, ${us(summary.min)}`;
  const ratio = (r: Ratio | null) => (r ? `${r.median.toFixed(3)}, ${r.ofMins.toFixed(3)}` : '1');
  for (const s of summaries) {
    const syscalls = s.setsockoptPerConnection === null ? 'no strace' : s.setsockoptPerConnection.toFixed(2);
    lines.push(`| ${s.mode} | ${times(s.ns)} | ${ratio(s.ratio)} | ${times(s.cpuNs)} | ${ratio(s.cpuRatio)} | ${syscalls} |`);
  }
  for (const [mode, text] of Object.entries(SETUP_MODES)) lines.push(`  ${mode}: ${text}`);
  return lines.join('\n');
}
