// `tcp-keepalive inspect PID` of a process started with TCP_KEEPALIVE and
// --require tcp-keepalive/register: the configured values in the header, and
// which connections carry them, as the kernel reports them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect } from 'vitest';
import { assertBuilt, killAll, ROOT, runCli, type CliEvent } from '../helpers/command';
import { openKernelSession, stateOf } from '../helpers/kernel';
import { needs } from '../helpers/platform';

beforeAll(assertBuilt);
afterEach(killAll);

interface Held {
  localPort: number;
  keepalive: { enable: boolean; idle: number; interval: number; count: number };
}

/** The fixture, started as a user would: the default from the environment, no code change. */
async function startHolder(
  variable: string,
  nodeOptions?: string,
): Promise<{ pid: number; serverPort: number; a: Held; b: Held; stop: () => void }> {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const register = nodeOptions === undefined ? ['--require', 'tcp-keepalive/register'] : [];
  const child = spawn(process.execPath, [...register, join(ROOT, 'test', 'fixtures', 'cli-configured-holder.cjs')], {
    cwd: ROOT,
    env: { ...env, TCP_KEEPALIVE: variable, ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const ready = JSON.parse(line) as { serverPort: number; a: Held; b: Held };
  return { pid: child.pid!, ...ready, stop: () => child.kill('SIGKILL') };
}

const byLocalPort = (sockets: CliEvent[], port: number): CliEvent => sockets.find((s) => (s.local as { port: number } | null)?.port === port)!;

describe('inspect and TCP_KEEPALIVE', () => {
  needs('pidfd', 'procNet').it('marks the connections that carry the configured values, and the one the application changed', async () => {
    const holder = await startHolder('idle=37s,interval=7s,count=5');
    try {
      // From inside the process: the default on `a`, the application's own values on `b`.
      expect(holder.a.keepalive).toMatchObject({ enable: true, idle: 37_000, interval: 7_000, count: 5 });
      expect(holder.b.keepalive).toMatchObject({ enable: true, idle: 20_000, interval: 3_000, count: 2 });

      const json = await runCli(['inspect', String(holder.pid), '--json']);
      expect(json.code).toBe(0);
      const processEvent = json.events.find((e) => e.event === 'process')!;
      expect(processEvent.configured).toEqual({
        status: 'set',
        text: 'idle=37s,interval=7s,count=5',
        options: { idle: 37_000, interval: 7_000, count: 5 },
        registerFrom: ['argv'],
      });
      const sockets = json.events.filter((e) => e.event === 'socket');
      const a = byLocalPort(sockets, holder.a.localPort);
      const b = byLocalPort(sockets, holder.b.localPort);
      const listener = sockets.find((s) => s.state === 'LISTEN')!;
      expect(a).toMatchObject({ keepalive: { enable: true, idle: 37_000, interval: 7_000, count: 5 }, carriesConfigured: true });
      expect(b).toMatchObject({ keepalive: { enable: true, idle: 20_000, interval: 3_000, count: 2 }, carriesConfigured: false });
      expect(listener.carriesConfigured).toBeNull();
      // The accepted sides got the default too.
      const accepted = sockets.filter((s) => s.state === 'ESTABLISHED' && (s.local as { port: number }).port === holder.serverPort);
      expect(accepted.map((s) => s.carriesConfigured)).toEqual([true, true]);

      // The independent reader agrees with what inspect read from the kernel.
      const session = await openKernelSession([a, b].map((s) => ({ pid: holder.pid, fd: s.fd as number })));
      try {
        const [kernelA, kernelB] = (await session.keepalive()).map(stateOf);
        expect(kernelA).toMatchObject({ enable: true, idle: 37_000, interval: 7_000, count: 5 });
        expect(kernelB).toMatchObject({ enable: true, idle: 20_000, interval: 3_000, count: 2 });
      } finally {
        session.close();
      }

      const text = await runCli(['inspect', String(holder.pid)]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        'TCP_KEEPALIVE there: idle=37s,interval=7s,count=5 (idle 37 s, interval 7 s, count 5; tcp-keepalive/register loaded through argv)',
      );
      expect(text.stdout).toMatch(/^FD +STATE +LOCAL +PEER +KEEPALIVE +IDLE +INTERVAL +COUNT +USER TIMEOUT +NEXT PROBE +UNANSWERED +DEFAULT$/m);
      expect(text.stdout).toMatch(new RegExp(`ESTABLISHED +127\\.0\\.0\\.1:${holder.a.localPort} +127\\.0\\.0\\.1:${holder.serverPort} +on +37 s +7 s +5 +.* yes$`, 'm'));
      expect(text.stdout).toMatch(new RegExp(`ESTABLISHED +127\\.0\\.0\\.1:${holder.b.localPort} +127\\.0\\.0\\.1:${holder.serverPort} +on +20 s +3 s +2 +.* no$`, 'm'));
      expect(text.stdout).toMatch(/ LISTEN .* -$/m);
      expect(text.stdout).toContain('DEFAULT = whether the connection carries the TCP_KEEPALIVE values');
    } finally {
      holder.stop();
    }
  });

  needs('pidfd', 'procNet').it('recognises the register entry point loaded by absolute path through NODE_OPTIONS, as the docs recommend', async () => {
    const absolute = join(ROOT, 'dist', 'register.js');
    const holder = await startHolder('idle=41s,interval=6s,count=3', `--require ${absolute}`);
    try {
      expect(holder.a.keepalive).toMatchObject({ enable: true, idle: 41_000, interval: 6_000, count: 3 });
      const json = await runCli(['inspect', String(holder.pid), '--json']);
      expect(json.code).toBe(0);
      expect(json.events.find((e) => e.event === 'process')!.configured).toMatchObject({ status: 'set', registerFrom: ['NODE_OPTIONS'] });
    } finally {
      holder.stop();
    }
  });

  needs('pidfd', 'procNet').it('a malformed TCP_KEEPALIVE is named, escaped, and marks nothing', async () => {
    // Without the register entry point (it would refuse to start): the variable alone.
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    const child = spawn(
      process.execPath,
      ['-e', "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => console.log('up')); process.stdin.on('end', () => process.exit(0)).resume()"],
      { env: { ...env, TCP_KEEPALIVE: 'idle=soon\u001b[2J' }, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await once(createInterface({ input: child.stdout! }), 'line');
      const text = await runCli(['inspect', String(child.pid)]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('TCP_KEEPALIVE there is malformed: "idle=soon\\x1b[2J": bad part');
      expect(text.stdout).toContain('tcp-keepalive/register not in its argv or NODE_OPTIONS');
      expect(text.stdout).not.toContain('\u001b');
      expect(text.stdout).not.toMatch(/DEFAULT/);
      const json = await runCli(['inspect', String(child.pid), '--json']);
      expect(json.events.find((e) => e.event === 'process')!.configured).toMatchObject({ status: 'malformed', text: 'idle=soon\u001b[2J', registerFrom: [] });
      expect(json.events.filter((e) => e.event === 'socket').every((s) => !('carriesConfigured' in s))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
