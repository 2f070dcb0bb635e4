// Which descendants of a process started with tcp-keepalive/register get the
// default, and how: worker threads whatever their `env`, child processes
// through NODE_OPTIONS, from any working directory with the documented line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const WORKER_APP = path.join(__dirname, '../fixtures/worker-default-app.cjs');
const APP = path.join(__dirname, '../fixtures/default-app.cjs');
const VARIABLE = 'idle=30s,interval=5s,count=4';
const KERNEL = { keepalive: 1, idle: 30, interval: 5, count: 4 };
// What Node's setKeepAlive(true, 1000) leaves without the default.
const NODE_ALONE = { keepalive: 1, idle: 1, interval: 1, count: 10 };
const ELSEWHERE = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-elsewhere-'));

afterAll(() => fs.rmSync(ELSEWHERE, { recursive: true, force: true }));

function node(args: string[], env: Record<string, string | undefined>, cwd = ROOT) {
  const { NODE_OPTIONS: _dropped, TCP_KEEPALIVE: _unset, ...base } = process.env;
  const result = spawnSync(process.execPath, args, { cwd, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function workerRun(entry: string[], env: Record<string, string | undefined>, workerEnv: unknown) {
  const result = node([...entry, WORKER_APP, workerEnv === 'inherit' ? 'inherit' : JSON.stringify(workerEnv)], env);
  expect(result.status, result.stderr).toBe(0);
  return { ...JSON.parse(result.stdout), stderr: result.stderr };
}

describe('worker threads', () => {
  it.each([
    ['--require', ['--require', 'tcp-keepalive/register']],
    ['--import', ['--import', 'tcp-keepalive/register']],
  ])('%s: a worker created with env {} runs, with the main thread\'s default', (_name, entry) => {
    for (const workerEnv of [{}, 'inherit', { UNRELATED: '1' }]) {
      const { exitCode, report, errors, stderr } = workerRun(entry, { TCP_KEEPALIVE: VARIABLE }, workerEnv);
      expect({ exitCode, errors, stderr }).toEqual({ exitCode: 0, errors: [], stderr: '' });
      expect(report.client).toMatchObject(KERNEL);
      expect(report.accepted).toMatchObject(KERNEL);
    }
  });

  it("a worker's own TCP_KEEPALIVE wins; a bad one is said on stderr and the worker runs without the default", () => {
    const own = workerRun(['--require', 'tcp-keepalive/register'], { TCP_KEEPALIVE: VARIABLE }, { TCP_KEEPALIVE: 'idle=7s' });
    expect(own.report.client).toMatchObject({ keepalive: 1, idle: 7, interval: 1, count: 10 });
    const bad = workerRun(['--require', 'tcp-keepalive/register'], { TCP_KEEPALIVE: VARIABLE }, { TCP_KEEPALIVE: 'idle=30000' });
    expect(bad.exitCode).toBe(0);
    expect(bad.report.client).toMatchObject(NODE_ALONE);
    expect(bad.stderr).toContain('tcp-keepalive/register (in a worker thread, which runs on without the default): TCP_KEEPALIVE="idle=30000"');
  });

  it('NODE_OPTIONS: a worker whose env has no NODE_OPTIONS does not load the entry point (documented), and runs', () => {
    const registerPath = path.join(ROOT, 'dist/register.js');
    const { exitCode, report, errors } = workerRun([], { TCP_KEEPALIVE: VARIABLE, NODE_OPTIONS: `--require ${registerPath}` }, {});
    expect({ exitCode, errors }).toEqual({ exitCode: 0, errors: [] });
    expect(report.client).toMatchObject(NODE_ALONE);
  });
});

describe('NODE_OPTIONS from any working directory', () => {
  it('the bare name of the old documented line fails outside the project (MODULE_NOT_FOUND)', () => {
    const result = node([APP], { TCP_KEEPALIVE: VARIABLE, NODE_OPTIONS: '--require tcp-keepalive/register' }, ELSEWHERE);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MODULE_NOT_FOUND');
  });

  it('--require: the documented command prints an absolute path that works from anywhere', () => {
    const printed = node(['-p', "require.resolve('tcp-keepalive/register')"], {});
    expect(printed.status, printed.stderr).toBe(0);
    const line = `--require ${printed.stdout.trim()}`;
    expect(path.isAbsolute(printed.stdout.trim())).toBe(true);
    const result = node([APP], { TCP_KEEPALIVE: VARIABLE, NODE_OPTIONS: line }, ELSEWHERE);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: KERNEL, client: KERNEL });
  });

  it('--import: the documented command prints a file URL that works from anywhere', () => {
    const printed = node(['--input-type=module', '-e', "console.log(import.meta.resolve('tcp-keepalive/register'))"], {});
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toMatch(/^file:\/\/\/.*register\.mjs$/);
    const result = node([APP], { TCP_KEEPALIVE: VARIABLE, NODE_OPTIONS: `--import ${printed.stdout.trim()}` }, ELSEWHERE);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: KERNEL, client: KERNEL });
  });
});
