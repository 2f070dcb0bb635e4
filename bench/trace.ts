// Proves with strace that each library row and its floor row make the same
// system calls: both programs run every case a few times between markers,
// and the getsockopt/setsockopt calls between two markers are that case's.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FLOOR_BINARY } from './floor';
import type { CaseInfo } from './cases';

const ITERATIONS = 10;

export interface TracedCase {
  /** The calls one operation makes, e.g. "set TCP_KEEPIDLE". */
  perOp: string[];
  /** How the calls compare with the floor case's. */
  vsFloor?: 'identical' | 'same calls, other order';
}

function strace(outFile: string, command: string[]): void {
  const result = spawnSync(
    'strace',
    ['-o', outFile, '-s', '200', '-e', 'trace=getsockopt,setsockopt,write', ...command],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`strace ${command.join(' ')} failed: ${result.stderr}`);
}

function parse(file: string): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const marker = /^write\(2, "@@bench:([^"\\]+)\\n"/.exec(line);
    if (marker) {
      // "-" opens a stretch that belongs to no case, "end" closes the last.
      current = marker[1] === 'end' || marker[1] === '-' ? null : [];
      if (current) calls.set(marker[1], current);
      continue;
    }
    const call = /^(get|set)sockopt\(\d+, (\w+), (\w+),/.exec(line);
    if (call && current) current.push(`${call[1]} ${call[3]}`);
  }
  return calls;
}

function perOperation(id: string, calls: string[]): string[] {
  const length = calls.length / ITERATIONS;
  const op = calls.slice(0, length);
  const repeated = Number.isInteger(length) && calls.every((call, i) => call === op[i % length]);
  if (!repeated) throw new Error(`${id}: ${calls.length} calls in ${ITERATIONS} operations are not one sequence repeated`);
  return op;
}

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

export function traceCases(cases: readonly CaseInfo[], childScript: string): Map<string, TracedCase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-bench-'));
  try {
    strace(path.join(dir, 'floor'), [FLOOR_BINARY, 'trace', String(ITERATIONS)]);
    strace(path.join(dir, 'node'), [process.execPath, childScript, 'trace', String(ITERATIONS)]);
    const raw = new Map([...parse(path.join(dir, 'floor')), ...parse(path.join(dir, 'node'))]);
    const traced = new Map<string, TracedCase>();
    for (const c of cases) {
      const calls = raw.get(c.id);
      if (!calls) throw new Error(`${c.id} was not traced`);
      traced.set(c.id, { perOp: perOperation(c.id, calls) });
    }
    return traced;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function straceVersion(): string {
  return execFileSync('strace', ['-V'], { encoding: 'utf8' }).split('\n')[0];
}

/**
 * Checks every case against its floor and returns the floor each case is to
 * be compared with. A case whose calls no longer match its declared floor (the
 * library changed its sequence) is given the floor case that matches exactly,
 * if there is one; otherwise the bench stops: floor.c needs that sequence.
 */
export function resolveFloors(cases: readonly CaseInfo[], traced: Map<string, TracedCase>, log: (line: string) => void): Map<string, string> {
  const floors = cases.filter((c) => c.group === 'floor');
  const sorted = (list: string[]): string => [...list].sort().join();
  const resolved = new Map<string, string>();
  const problems: string[] = [];
  for (const c of cases) {
    if (!c.floor) continue;
    const mine = traced.get(c.id)!;
    const declared = traced.get(c.floor)!.perOp;
    if (mine.perOp.join() === declared.join()) {
      mine.vsFloor = 'identical';
      resolved.set(c.id, c.floor);
      continue;
    }
    const exact = floors.find((f) => traced.get(f.id)!.perOp.join() === mine.perOp.join());
    if (exact) {
      log(`  ${c.id} now makes the calls of ${exact.id}, not of ${c.floor}: compared with ${exact.id}`);
      mine.vsFloor = 'identical';
      resolved.set(c.id, exact.id);
    } else if (sorted(mine.perOp) === sorted(declared)) {
      mine.vsFloor = 'same calls, other order';
      resolved.set(c.id, c.floor);
    } else {
      problems.push(`${c.id} makes ${mine.perOp.length} calls (${mine.perOp.join(', ')}), which no floor case makes`);
    }
  }
  if (problems.length) throw new Error(`add the sequence to bench/floor.c: ${problems.join('; ')}`);
  return resolved;
}
