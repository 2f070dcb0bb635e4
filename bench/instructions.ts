// Instructions per operation in user space, counted by callgrind: unlike
// time, the count does not depend on what else the machine is doing, so it
// shows the library's own work exactly. Kernel time (the system calls
// themselves) is not counted; the floor rows show what calling them costs in
// user space.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FLOOR_BINARY } from './floor';

/** The cases counted, each with the floor making its calls. */
export const COUNTED: readonly { id: string; floor: string }[] = [
  { id: 'lib.setKeepalive', floor: 'floor.setKeepalive' },
  { id: 'addon.setKeepalive', floor: 'floor.setKeepalive' },
  { id: 'lib.getKeepalive', floor: 'floor.getKeepalive' },
  { id: 'lib.getTcpInfo', floor: 'floor.getTcpInfo' },
  { id: 'core.setKeepAlive', floor: 'floor.set4' },
];

const CALLS = 20_000;

export interface InstructionCount {
  id: string;
  perOp: number;
  floor: string;
  floorPerOp: number;
}

export function valgrindAvailable(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Instructions of the main thread (callgrind writes one file per thread). */
function mainThreadInstructions(command: string[]): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-callgrind-'));
  try {
    const out = path.join(dir, 'out');
    const result = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}`, ...command],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`valgrind ${command.join(' ')} failed: ${result.stderr.slice(-2000)}`);
    const summary = /^summary: (\d+)/m.exec(fs.readFileSync(`${out}-01`, 'utf8'));
    if (!summary) throw new Error(`no summary in ${out}-01`);
    return Number(summary[1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Per operation: the difference between a run with CALLS more operations and
 * one without, so that start-up and warm-up cancel out. Node runs with
 * --single-threaded --predictable, so that V8 compiles on the main thread at
 * the same points in every run and the difference is exact.
 */
function jsPerOp(childScript: string, id: string): number {
  const run = (calls: number) =>
    mainThreadInstructions([process.execPath, '--single-threaded', '--predictable', childScript, 'count', id, String(calls)]);
  return (run(CALLS) - run(0)) / CALLS;
}

/** c-floor runs iterations/8 + 16 warm-up operations before the timed ones. */
function floorPerOp(id: string): number {
  const operations = (n: number) => n + Math.floor(n / 8) + 16;
  const run = (n: number) => mainThreadInstructions([FLOOR_BINARY, 'bench', `${id}=${n}`]);
  const [small, large] = [1_000, 9_000];
  return (run(large) - run(small)) / (operations(large) - operations(small));
}

export function countInstructions(childScript: string, log: (line: string) => void): InstructionCount[] {
  const floors = new Map<string, number>();
  return COUNTED.map(({ id, floor }) => {
    if (!floors.has(floor)) floors.set(floor, floorPerOp(floor));
    const perOp = jsPerOp(childScript, id);
    log(`  ${id}: ${Math.round(perOp)} instructions per operation`);
    return { id, perOp, floor, floorPerOp: floors.get(floor)! };
  });
}
