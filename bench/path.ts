// The path measurement (`tcp-keepalive path`) against NAT routers in network
// namespaces (test/helpers/nat-router.ts) whose idle timeout is known, side
// by side with what a person would script: a binary search over one
// connection at a time (bench/path-baseline.ts). Each case has its own router;
// all run at once. Goals: the bracket holds the router's timeout and is at
// most max(3 %, 1 s) wide; the run takes at most 2.4 x the timeout + 10 s
// with at most 16 connections at once; for `none`, 1.1 x --max + 10 s.
//
//   node build/bench/path.js [--quick]
//
// --quick skips it: every case waits for real idle timeouts (minutes).
import path from 'node:path';
import { createNatRouter, natRouterUnavailable, type NatRouter, type RouterMode } from '../test/helpers/nat-router';
import { ROOT } from './common';
import type { Target } from './report';

const PORT = 7000;
/** How late a Node timer may fire on a loaded machine and still count as the time it was set for. */
const SERVER_TIMER_LATENESS_MS = 500;
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const BASELINE = path.join(ROOT, 'build', 'bench', 'path-baseline.js');

export interface PathCase {
  name: string;
  router: RouterMode;
  /** The router's idle timeout, or the server's (closed), s; null for none. */
  timeoutS: number | null;
  /** The server closes connections idle this long (ms). */
  serverIdleCloseMs?: number;
  maxS: number;
  expectedMode: 'silent' | 'reset' | 'closed' | 'none';
}

export const PATH_CASES: readonly PathCase[] = [
  { name: 'silent 20 s', router: 'silent', timeoutS: 20, maxS: 300, expectedMode: 'silent' },
  { name: 'silent 75 s', router: 'silent', timeoutS: 75, maxS: 300, expectedMode: 'silent' },
  { name: 'reset 30 s', router: 'reset', timeoutS: 30, maxS: 300, expectedMode: 'reset' },
  { name: 'server closes at 25 s', router: 'none', timeoutS: 25, serverIdleCloseMs: 25_000, maxS: 300, expectedMode: 'closed' },
  { name: 'none (--max 60 s)', router: 'none', timeoutS: null, maxS: 60, expectedMode: 'none' },
];

export interface PathRun {
  method: 'path' | 'binary search';
  mode: string;
  lowerMs: number;
  upperMs: number | null;
  elapsedMs: number;
  connections: number;
  error?: string;
}

export interface PathCaseReport {
  case: PathCase;
  runs: PathRun[];
}

export interface PathReport {
  skipped: string | null;
  command: string;
  cases: PathCaseReport[];
}

function runChild(router: NatRouter, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = router.spawnInClient(process.execPath, args, { ...process.env, NODE_OPTIONS: '' });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

function parseRun(method: PathRun['method'], result: { code: number | null; stdout: string; stderr: string }): PathRun {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const json = JSON.parse(line) as Partial<PathRun> & { message?: string };
    if (result.code === 0) {
      return { method, mode: json.mode!, lowerMs: json.lowerMs!, upperMs: json.upperMs ?? null, elapsedMs: json.elapsedMs!, connections: json.connections! };
    }
    return { method, mode: 'error', lowerMs: 0, upperMs: null, elapsedMs: 0, connections: 0, error: json.message ?? result.stderr.trim() };
  } catch {
    return { method, mode: 'error', lowerMs: 0, upperMs: null, elapsedMs: 0, connections: 0, error: `exit ${result.code}: ${result.stderr.trim()}` };
  }
}

async function runCase(c: PathCase, method: PathRun['method']): Promise<PathRun> {
  const router = await createNatRouter({ mode: c.router, timeoutS: c.timeoutS ?? undefined });
  try {
    await router.startServer({ port: PORT, idleCloseMs: c.serverIdleCloseMs ?? 0 });
    const target = `${router.serverAddress}:${PORT}`;
    const args = method === 'path' ? [CLI, 'path', target, '--max', `${c.maxS}s`, '--json'] : [BASELINE, target, String(c.maxS * 1000)];
    return parseRun(method, await runChild(router, args));
  } finally {
    router.destroy();
  }
}

export async function runPath(options: { quick: boolean; log: (line: string) => void }): Promise<PathReport> {
  const command = 'node --expose-gc build/bench/run.js --only path';
  if (options.quick) return { skipped: 'skipped in --quick: every case waits for real idle timeouts (minutes); `npm run bench -- --only path` runs it', command, cases: [] };
  const unavailable = natRouterUnavailable();
  if (unavailable) return { skipped: `skipped: ${unavailable}`, command, cases: [] };
  options.log(`path: ${PATH_CASES.length} routers, the command and a binary search side by side (about 10 min)...`);
  const cases = await Promise.all(
    PATH_CASES.map(async (c) => ({ case: c, runs: await Promise.all([runCase(c, 'path'), runCase(c, 'binary search')]) })),
  );
  return { skipped: null, command, cases };
}

function seconds(ms: number | null): string {
  return ms === null ? '-' : (ms / 1000).toFixed(2);
}

function holds(c: PathCase, run: PathRun): boolean {
  if (run.mode !== c.expectedMode) return false;
  if (c.timeoutS === null) return run.lowerMs >= c.maxS * 1000;
  const trueMs = c.timeoutS * 1000;
  if (run.upperMs === null) return false;
  // The server's own timer (Node's socket.setTimeout) fires at its time or later, counted from
  // its accept: the true close is at or a little after the time set.
  if (c.serverIdleCloseMs !== undefined) return run.upperMs >= trueMs && run.lowerMs <= trueMs + SERVER_TIMER_LATENESS_MS;
  // conntrack and tcpi_last_ack_recv count jiffies (10 ms at HZ=100).
  return run.lowerMs < trueMs + 10 && run.upperMs >= trueMs - 10;
}

function narrow(c: PathCase, run: PathRun): boolean {
  if (c.timeoutS === null) return true;
  return run.upperMs !== null && run.upperMs - run.lowerMs <= Math.max(0.03 * c.timeoutS * 1000, 1000);
}

function timeGoalMs(c: PathCase): number {
  return c.timeoutS === null ? 1.1 * c.maxS * 1000 + 10_000 : 2.4 * c.timeoutS * 1000 + 10_000;
}

export function pathTable(report: PathReport): string {
  if (report.skipped) return `Path measurement: ${report.skipped}`;
  const rows = ['| case | method | mode | bracket, s | width, s | time, s | goal, s | connections |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const { case: c, runs } of report.cases) {
    for (const run of runs) {
      if (run.error) {
        rows.push(`| ${c.name} | ${run.method} | error: ${run.error} | | | | | |`);
        continue;
      }
      const width = run.upperMs === null ? '-' : seconds(run.upperMs - run.lowerMs);
      rows.push(
        `| ${c.name} | ${run.method} | ${run.mode} | ${seconds(run.lowerMs)} .. ${seconds(run.upperMs)} | ${width} | ${seconds(run.elapsedMs)} | ${seconds(timeGoalMs(c))} | ${run.connections} |`,
      );
    }
  }
  return `Path measurement (${report.command}), each case behind its own namespaced router:\n${rows.join('\n')}`;
}

export function pathTargets(report: PathReport): Target[] {
  const targets: Target[] = [];
  for (const { case: c, runs } of report.cases) {
    const run = runs.find((r) => r.method === 'path')!;
    targets.push({
      name: `path, ${c.name}: the bracket holds the true value, at most max(3 %, 1 s) wide`,
      goal: c.timeoutS === null ? `mode none, lower >= ${c.maxS} s` : `${c.expectedMode}, holds ${c.timeoutS} s, width <= ${seconds(Math.max(0.03 * c.timeoutS * 1000, 1000))} s`,
      measured: run.error ?? `${run.mode} ${seconds(run.lowerMs)} .. ${seconds(run.upperMs)}`,
      met: !run.error && holds(c, run) && narrow(c, run),
    });
    targets.push({
      name: `path, ${c.name}: time and connections`,
      goal: `<= ${seconds(timeGoalMs(c))} s, <= 16 connections`,
      measured: run.error ? 'error' : `${seconds(run.elapsedMs)} s, ${run.connections}`,
      met: !run.error && run.elapsedMs <= timeGoalMs(c) && run.connections <= 16,
    });
  }
  return targets;
}
