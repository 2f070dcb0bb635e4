// `npm run demo` (`tcp-keepalive demo`): as root the namespaced version
// (ETIMEDOUT for the connection with keepalive, ESTABLISHED for the one
// without), cleaned up however it ends; without root the loopback version.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AS_NOBODY, assertBuilt, killAll, oneLineError, pidAlive, runCli, startCli, type CliEvent } from '../helpers/command';
import { has, needs, type Need } from '../helpers/platform';

const DETECTION_BOUND_MS = (1 + 1 * 3) * 1000 * 1.13 + 300;
// As root with network namespaces; elsewhere a named pending test (test/helpers/platform.ts).
const NAMESPACED: Need[] = ['root', 'netns'];
const canRunNamespaced = has(...NAMESPACED);

function demoNamespaces(pid?: number): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => (pid === undefined ? /^tkademo-\d+-[cp]$/.test(name) : name.startsWith(`tkademo-${pid}-`)));
}

/** The pids of the processes the demo started (its peer and connections report theirs). */
function childPids(events: CliEvent[]): number[] {
  return events.filter((e) => (e.event === 'connected' || e.event === 'listening') && typeof e.pid === 'number').map((e) => e.pid as number);
}

beforeAll(assertBuilt);
afterEach(killAll);
afterAll(() => {
  // A failed test must not leave namespaces of dead demo processes behind.
  if (!canRunNamespaced) return;
  for (const name of demoNamespaces()) {
    const pid = Number(/^tkademo-(\d+)-/.exec(name)![1]);
    if (!pidAlive(pid)) execFileSync('ip', ['netns', 'del', name]);
  }
});

needs(...NAMESPACED).describe('demo as root: namespaced test hosts', () => {
  it('shows the keepalive connection failing with ETIMEDOUT in about 4 s while the other stays ESTABLISHED, then cleans up', async () => {
    const demo = startCli(['demo', '--json']);
    const result = await demo.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const { events } = result;
    expect(events[0]).toMatchObject({ event: 'demo', mode: 'namespaces' });

    const connectedA = events.find((e) => e.event === 'connected' && e.connection === 'A')!;
    expect(connectedA).toMatchObject({ keepalive: { enable: true, idle: 1000, interval: 1000, count: 3 }, capture: { mode: 'packets' } });
    expect(events.find((e) => e.event === 'connected' && e.connection === 'B')).toMatchObject({ keepalive: { enable: false } });

    // The probes after the silence go unanswered, captured on the wire.
    const silence = events.find((e) => e.event === 'step' && e.step === 'silence')!;
    const after = (e: CliEvent): boolean => Date.parse(e.time!) > Date.parse(silence.time!);
    const unanswered = events.filter((e) => e.event === 'probe' && e.connection === 'A' && after(e));
    expect(unanswered.map((p) => p.unanswered)).toEqual([1, 2, 3]);
    expect(unanswered.every((p) => p.source === 'capture')).toBe(true);
    expect(events.filter((e) => e.event === 'answer' && e.connection === 'A' && after(e))).toEqual([]);

    const result_ = events.find((e) => e.event === 'result')!;
    expect(result_.keepalive).toMatchObject({ reason: 'ETIMEDOUT', message: expect.stringMatching(/^ETIMEDOUT after 3 unanswered probes/) });
    const keepalive = result_.keepalive as { afterSilenceMs: number; sinceLastAckMs: number };
    expect(keepalive.sinceLastAckMs).toBeGreaterThan(3400);
    expect(keepalive.sinceLastAckMs).toBeLessThan(DETECTION_BOUND_MS);
    expect(keepalive.afterSilenceMs).toBeLessThan(DETECTION_BOUND_MS);
    expect(result_.noKeepalive).toEqual({ state: 'ESTABLISHED' });
    const halfOpen = events.find((e) => e.event === 'step' && e.step === 'half-open')!;
    expect(halfOpen.inspected).toMatchObject({ state: 'ESTABLISHED', keepalive: { enable: false } });

    expect(events.at(-1)).toMatchObject({ event: 'cleanup', ok: true });
    expect(demoNamespaces(demo.pid)).toEqual([]);
    const pids = childPids(events);
    expect(pids.length).toBe(3);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('as text: the story in lines, ending with what happened', async () => {
    const result = await runCli(['demo'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/A \(keepalive\) +-> TCP Keep-Alive, unanswered 3\/3/);
    expect(out).toMatch(/A \(keepalive\) +connection ended: ETIMEDOUT after 3 unanswered probes, [34]\.\d s after the last ACK/);
    expect(out).toMatch(/B \(no keepalive\) +still claims ESTABLISHED/);
    expect(out).toContain('What happened:');
    expect(out).toMatch(/cleaned up: test hosts removed, their processes ended$/m);
  });

  it('Ctrl-C in the middle: one line, exit code 130, no namespace and no process left', async () => {
    const demo = startCli(['demo', '--json']);
    await demo.waitFor((e) => e.event === 'step' && e.step === 'silence', 15_000);
    const pids = childPids(demo.events);
    expect(demoNamespaces(demo.pid)).toHaveLength(2);
    demo.kill('SIGINT');
    const result = await demo.done;
    expect(result.code).toBe(130);
    expect(oneLineError(result)).toBe("tcp-keepalive: interrupted (SIGINT); the demo's namespaces and processes were removed");
    expect(demoNamespaces(demo.pid)).toEqual([]);
    await sleep(200);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('killed outright (SIGKILL): its processes end with it, and the next run removes its namespaces', async () => {
    const demo = startCli(['demo', '--json']);
    await demo.waitFor((e) => e.event === 'connected' && e.connection === 'B', 15_000);
    const pids = childPids(demo.events);
    demo.kill('SIGKILL');
    await demo.done;
    expect(demoNamespaces(demo.pid)).toHaveLength(2);
    // Its children watch their stdin (TCP_KEEPALIVE_LIFELINE) and end when it closes.
    for (const deadline = Date.now() + 3000; pids.some(pidAlive) && Date.now() < deadline; ) await sleep(50);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);

    const next = startCli(['demo', '--json']);
    await next.waitFor((e) => e.event === 'step' && e.step === 'hosts', 15_000);
    expect(demoNamespaces(demo.pid)).toEqual([]);
    // It says what it removed.
    const sweep = next.events.find((e) => e.event === 'step' && e.step === 'sweep');
    expect(sweep?.removed).toEqual(expect.arrayContaining([`tkademo-${demo.pid}-c`, `tkademo-${demo.pid}-p`]));
    next.kill('SIGINT');
    expect((await next.done).code).toBe(130);
    expect(demoNamespaces(next.pid)).toEqual([]);
  });
});

needs(...NAMESPACED).describe('the sweep of leftovers touches nothing else', () => {
  it('namespaces of a live owner, of other tools, or not of this shape are left alone', async () => {
    // A pid that is provably dead: a process that has exited and been reaped.
    // (No name of the test harness's shape, tka-PID-...: other runs sweep those.)
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('close', resolve));
    const others = [
      `tkademo-${process.pid}-c`, // a demo-shaped name whose owner (this test) is alive
      `tkademo-${dead.pid}-x`, // not a name the demo makes
      `other-${dead.pid}-c`,
    ];
    for (const name of others) execFileSync('ip', ['netns', 'add', name]);
    try {
      const next = startCli(['demo', '--json']);
      await next.waitFor((e) => e.event === 'step' && e.step === 'hosts', 15_000);
      const all = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      for (const name of others) expect(all).toMatch(new RegExp(`^${name}( |$)`, 'm'));
      expect(next.events.find((e) => e.event === 'step' && e.step === 'sweep')?.removed ?? []).not.toEqual(expect.arrayContaining([others[0]]));
      next.kill('SIGINT');
      expect((await next.done).code).toBe(130);
    } finally {
      for (const name of others) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    }
  });
});

describe('demo without root: the loopback version', () => {
  it('sets keepalive, reads it back, shows the probes answered, and says what root adds', async () => {
    const result = await runCli(['demo'], { ...AS_NOBODY, timeoutMs: 20_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^tcp-keepalive demo, loopback version \(creating network namespaces needs root\)\.$/m);
    expect(result.stdout).toMatch(/^ {2}idle {10}1 s {9}1 s {12}\d+ s/m);
    expect(result.stdout).toContain('packets: inferred from TCP_INFO');
    // It waits for three probes, one a second: one more may leave while the
    // demo is not scheduled (a loaded machine); it says how many it showed.
    const shown = result.stdout.match(/-> keepalive probe/g)?.length ?? 0;
    expect(shown).toBeGreaterThanOrEqual(3);
    expect(result.stdout).toMatch(new RegExp(`^${shown} probes sent and answered: the peer is alive`, 'm'));
    expect(result.stdout).toMatch(/^As root, the demo also runs two namespaced test hosts .*ETIMEDOUT.*half-open/m);
  });

  it('Ctrl-C: one line, exit code 130', async () => {
    const demo = startCli(['demo', '--loopback', '--json']);
    await demo.waitFor('connected');
    demo.kill('SIGINT');
    const result = await demo.done;
    expect(result.code).toBe(130);
    expect(oneLineError(result)).toBe('tcp-keepalive: interrupted (SIGINT); the demo closed its connection');
  });

  it('--loopback asks for it as root too; --json gives events', async () => {
    const result = await runCli(['demo', '--loopback', '--json'], { timeoutMs: 20_000 });
    expect(result.code).toBe(0);
    expect(result.events[0]).toMatchObject({ event: 'demo', mode: 'loopback', reason: 'asked for with --loopback' });
    expect(result.events.find((e) => e.event === 'connected')).toMatchObject({ keepalive: { enable: true, idle: 1000, interval: 1000, count: 3 } });
    expect(result.events.filter((e) => e.event === 'answer').length).toBeGreaterThanOrEqual(3);
    // At least the three it waits for (see above), each one shown, none unanswered.
    const probes = result.events.filter((e) => e.event === 'probe').length;
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(result.events.find((e) => e.event === 'result')).toMatchObject({ probesSent: probes, unanswered: 0 });
  });
});
