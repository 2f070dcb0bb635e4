// `tcp-keepalive path` and measureIdleTimeout() against a NAT router in network namespaces
// (test/helpers/nat-router.ts) with short idle timeouts: a router that drops forgotten
// connections silently, one that resets them, a server that closes idle connections itself, a
// path that forgets nothing, the target going silent mid-run (the control connection dies), a
// refused target, and an abort. Every case has its own router, so they run side by side; each
// measurement is read as the command prints it (--json), from a process inside the client's
// namespace. How fast the measurement is belongs to the benchmark (bench/path.ts), not here.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capabilities, measureIdleTimeout } from '../../lib/index';
import { createNatRouter, NAT_ROUTER_PREFIX, type NatRouter, type RouterOptions } from '../helpers/nat-router';
import { needs } from '../helpers/platform';
import { listNamespaces } from '../../lib/cli/commands/demo/testhosts';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const PORT = 7000;
/** conntrack counts its timeouts in jiffies (HZ=100 at worst) and lastAckRecv in ms: the bracket's ends may be off by that. */
const JIFFY_MS = 10;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the command inside the router's client namespace; `during` runs while it does. */
async function runInClient(router: NatRouter, args: readonly string[], during?: (child: ReturnType<NatRouter['spawnInClient']>) => Promise<void>, script = false): Promise<Run> {
  const started = performance.now();
  const child = router.spawnInClient(process.execPath, script ? args : [CLI, ...args], { ...process.env, NODE_OPTIONS: '' });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
  if (during) await during(child);
  const [status, signal] = await ended;
  return { status, signal, stdout, stderr, ms: performance.now() - started };
}

async function withRouter<T>(options: RouterOptions, server: { idleCloseMs?: number } | null, work: (router: NatRouter) => Promise<T>): Promise<T> {
  const router = await createNatRouter(options);
  try {
    if (server) await router.startServer({ port: PORT, ...server });
    return await work(router);
  } finally {
    router.destroy();
  }
}

function measurement(run: Run): Record<string, unknown> {
  expect(run.status, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

function errorOf(run: Run): { code: string; exitCode: number; message: string } {
  const line = run.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line) as { code: string; exitCode: number; message: string };
}

/** The bracket holds the router's timeout T and is at most max(3 % of it, 1 s) wide. */
function expectBracket(result: Record<string, unknown>, trueMs: number): void {
  const lower = result.lowerMs as number;
  const upper = result.upperMs as number;
  expect(lower).toBeLessThan(trueMs + JIFFY_MS);
  expect(upper).toBeGreaterThanOrEqual(trueMs - JIFFY_MS);
  expect(upper - lower).toBeLessThanOrEqual(Math.max(0.03 * trueMs, 1000));
  expect(result.precise).toBe(true);
}

needs('netns', 'nft').describeConcurrent('tcp-keepalive path, through a NAT router with a short idle timeout', () => {
  afterAll(() => {
    expect(listNamespaces().filter((name) => name.startsWith(NAT_ROUTER_PREFIX))).toEqual([]);
  });

  it('silent: a router that drops what it forgot after 4 s; keepalive refreshes it; the advice beats it with timers 12.5 % late', async () => {
    const result = await withRouter({ mode: 'silent', timeoutS: 4 }, {}, async (router) =>
      measurement(await runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--max', '60s', '--json'])),
    );
    expect(result).toMatchObject({ target: `10.231.2.2:${PORT}`, mode: 'silent', refreshedByKeepalive: true, maxMs: 60_000 });
    expectBracket(result, 4000);
    expect(result.connections).toBeLessThanOrEqual(16);
    expect(result.rfc5382).toMatchObject({ verdict: 'violates' });
    const advice = result.advice as { options: { idle: number }; firstProbeLatestMs: number; environment: string };
    expect(advice.options.idle * 1.125).toBeLessThan(result.lowerMs as number);
    expect(advice.environment).toMatch(/^TCP_KEEPALIVE="idle=\d+s,interval=\d+s,count=\d+"$/);
  });

  it('advise --path: measures, then advises from the longest idle the path kept', async () => {
    const run = await withRouter({ mode: 'silent', timeoutS: 4 }, {}, async (router) =>
      runInClient(router, ['advise', '--detect-within', '30s', '--path', `${router.serverAddress}:${PORT}`, '--max', '60s', '--json']),
    );
    const advice = measurement(run) as { event: string; options: { idle: number }; idleTimeoutMs: number; path: Record<string, unknown> };
    expect(advice.event).toBe('advice');
    expect(advice.path.mode).toBe('silent');
    expectBracket(advice.path, 4000);
    expect(advice.idleTimeoutMs).toBe(advice.path.lowerMs);
    expect(advice.options.idle * 1.125).toBeLessThan(advice.idleTimeoutMs);
  });

  it('reset: a router that resets what it forgot after 5 s, with --connections 4', async () => {
    const result = await withRouter({ mode: 'reset', timeoutS: 5 }, {}, async (router) =>
      measurement(await runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--max', '60s', '--connections', '4', '--json'])),
    );
    expect(result).toMatchObject({ mode: 'reset', refreshedByKeepalive: true });
    expectBracket(result, 5000);
    expect(result.connections).toBeLessThanOrEqual(4);
  });

  it('closed: a server that closes connections idle 3 s is the answer (not a failure), and keepalive cannot help', async () => {
    const result = await withRouter({ mode: 'none' }, { idleCloseMs: 3000 }, async (router) =>
      measurement(await runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--max', '60s', '--json'])),
    );
    expect(result).toMatchObject({ mode: 'closed', refreshedByKeepalive: false, rfc5382: { verdict: 'not-applicable' } });
    // The server's timer fires at 3 s or later (Node's timers are never early), measured from its accept.
    expect(result.upperMs as number).toBeGreaterThanOrEqual(3000);
    expect(result.lowerMs as number).toBeGreaterThan(2000);
    expect((result.upperMs as number) - (result.lowerMs as number)).toBeLessThanOrEqual(1000);
  });

  it('none: nothing forgets a connection up to --max 6s; upperMs is null', async () => {
    const result = await withRouter({ mode: 'none' }, {}, async (router) =>
      measurement(await runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--max', '6s', '--json'])),
    );
    expect(result).toMatchObject({ mode: 'none', upperMs: null, refreshedByKeepalive: null, rfc5382: { verdict: 'untested' } });
    expect(result.lowerMs as number).toBeGreaterThanOrEqual(6000);
  });

  it('the target goes silent mid-run: the control connection dies and the run stops with an error, not a bracket', async () => {
    let silencedAt = 0;
    const run = await withRouter({ mode: 'silent', timeoutS: 60 }, {}, async (router) =>
      runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--max', '2m', '--json'], async () => {
        await new Promise((resolve) => setTimeout(resolve, 4000));
        await router.silenceServer();
        silencedAt = performance.now();
      }),
    );
    expect(run.status, run.stdout + run.stderr).toBe(7);
    const error = errorOf(run);
    expect(error.code).toMatch(/^ERR_PATH_(LOST|CHANGED)$/);
    expect(error.exitCode).toBe(7);
    expect(run.stderr).toContain('the measurement stopped');
    // Found within the control connection's two probes and one connect attempt, generously.
    expect(performance.now() - silencedAt).toBeLessThan(20_000);
  });

  it('a refused target: exit code 4 within seconds', async () => {
    const run = await withRouter({ mode: 'none' }, null, async (router) => runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--json']));
    expect(run.status, run.stderr).toBe(4);
    expect(errorOf(run)).toMatchObject({ code: 'ECONNREFUSED', exitCode: 4 });
    expect(run.stderr).toContain('connection refused');
    expect(run.ms).toBeLessThan(10_000);
  });

  it('a name that does not resolve: exit code 3 within seconds (the client namespace has its own hosts file and a resolver on its loopback, so no query leaves it)', async () => {
    const run = await withRouter({ mode: 'none' }, null, async (router) => {
      const etc = path.join('/etc/netns', router.client);
      mkdirSync(etc, { recursive: true });
      try {
        writeFileSync(path.join(etc, 'hosts'), '127.0.0.1 localhost\n');
        writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
        return await runInClient(router, ['path', 'no-such-host.invalid:7000', '--json']);
      } finally {
        rmSync(etc, { recursive: true, force: true });
      }
    });
    expect(run.status, run.stderr).toBe(3);
    expect(errorOf(run)).toMatchObject({ exitCode: 3 });
    expect(errorOf(run).code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
    expect(run.stderr).toContain("cannot resolve the host of 'no-such-host.invalid:7000'");
    expect(run.ms).toBeLessThan(10_000);
  });

  it('abort: the signal rejects with an AbortError at once and every connection is closed; Ctrl-C ends the command with 130', async () => {
    await withRouter({ mode: 'none' }, {}, async (router) => {
      const script = `
        const { measureIdleTimeout } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
        const controller = new AbortController();
        let abortedAt = 0;
        measureIdleTimeout('${router.serverAddress}:${PORT}', { signal: controller.signal, max: 60000 }).then(
          () => process.stdout.write('resolved\\n'),
          (error) => {
            const ms = performance.now() - abortedAt;
            const open = process._getActiveHandles().filter((h) => h.constructor.name === 'Socket' && h.remotePort === ${PORT} && !h.destroyed).length;
            process.stdout.write(JSON.stringify({ name: error.name, code: error.code, ms, open }) + '\\n');
          },
        );
        setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 2500);
      `;
      const library = await runInClient(router, ['-e', script], undefined, true);
      expect(library.status, library.stderr).toBe(0);
      const outcome = JSON.parse(library.stdout.trim()) as { name: string; code: string; ms: number; open: number };
      expect(outcome).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', open: 0 });
      expect(outcome.ms).toBeLessThan(100);

      const run = await runInClient(router, ['path', `${router.serverAddress}:${PORT}`, '--max', '60s'], async (cli) => {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        cli.kill('SIGINT');
      });
      // `ip netns exec` passes the signal on to the command it runs.
      expect(run.status, run.stderr).toBe(130);
      expect(run.stderr).toContain('every connection of the measurement was closed');
      const left = spawnSync('ip', ['netns', 'exec', router.client, 'ss', '-tnH', 'state', 'established', `dport = :${PORT}`], { encoding: 'utf8' });
      expect(left.stdout.trim()).toBe('');
    });
  });
});

needs('netns', 'nft').describe('measureIdleTimeout(), aborted while it connects', () => {
  it('an abort while the connections are still connecting (the target does not answer) rejects at once', async () => {
    await withRouter({ mode: 'none' }, {}, async (router) => {
      await router.silenceServer();
      const script = `
        const { measureIdleTimeout } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
        const started = performance.now();
        measureIdleTimeout('${router.serverAddress}:${PORT}', { signal: AbortSignal.timeout(500) }).then(
          () => process.stdout.write('resolved\\n'),
          (error) => {
            const open = process._getActiveHandles().filter((h) => h.constructor.name === 'Socket' && h.remotePort === ${PORT} && !h.destroyed).length;
            process.stdout.write(JSON.stringify({ name: error.name, code: error.code, ms: performance.now() - started, open }) + '\\n');
          },
        );
      `;
      const run = await runInClient(router, ['-e', script], undefined, true);
      expect(run.status, run.stderr).toBe(0);
      const outcome = JSON.parse(run.stdout.trim()) as { name: string; code: string; ms: number; open: number };
      expect(outcome).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', open: 0 });
      // Well before the 5 s connect timeout.
      expect(outcome.ms).toBeLessThan(2000);
      // The process ends at once: nothing is left connecting.
      expect(run.ms).toBeLessThan(4500);
    });
  });
});

describe('measureIdleTimeout() and tcp-keepalive path: bad input', () => {
  it('refuses a bad target or option with a Node-style code, before any connection', async () => {
    await expect(measureIdleTimeout('no-port')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(measureIdleTimeout(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(measureIdleTimeout({ host: '127.0.0.1', port: 70_000 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(measureIdleTimeout('127.0.0.1:1', { max: 1000 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(measureIdleTimeout('127.0.0.1:1', { max: '30s' as unknown as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(measureIdleTimeout('127.0.0.1:1', { connections: 1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(measureIdleTimeout('127.0.0.1:1', { signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(measureIdleTimeout('127.0.0.1:1', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  });

  it('says whether this platform can probe at a chosen moment (Linux can)', () => {
    expect(capabilities().probeAtChosenMoment).toBe(capabilities().backend === 'linux');
  });

  it('--max too short, fewer than 2 connections, no target: exit code 2 with a message', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'path', ...args], { encoding: 'utf8' });
    const short = cli(['127.0.0.1:1', '--max', '2s']);
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('--max 2s is too short to test');
    const one = cli(['127.0.0.1:1', '--connections', '1']);
    expect(one.status).toBe(2);
    expect(one.stderr).toContain('at least 2 are needed');
    expect(cli([]).status).toBe(2);
    expect(cli(['--help']).stdout).toContain('default 30 min');
  });
});
