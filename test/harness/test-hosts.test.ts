// Tests of the network-namespace test-host harness itself, with Node's own `net` only.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestHosts,
  leftoverNamespaces,
  sweepStaleNamespaces,
  type Message,
  type NodeChild,
  type TestHosts,
} from '../helpers/netns.js';
import { needs } from '../helpers/platform';

// __dirname: vitest provides it, and it type-checks whether tsc treats this file as CJS or ESM.
const fixture = (name: string): string => join(__dirname, '..', 'fixtures', name);
const ECHO_SERVER = fixture('echo-server.mjs');
const TCP_CLIENT = fixture('tcp-client.mjs');
const HARNESS_DRIVER = fixture('harness-driver.mjs');


function namespacesOnSystem(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

/** Running (not exited): a zombie waiting for its new parent to reap it counts as gone. */
function pidAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}


/** A child killed just before its parent exited may need a moment to be gone. */
async function waitGone(pid: number, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; pidAlive(pid) && Date.now() < end; ) await sleep(20);
  return !pidAlive(pid);
}

/**
 * How long, from now, data written at `writtenAt` to a peer that was cut off may wait for its
 * next retransmission once the peer is back: the retransmission timeout doubles from 200 ms,
 * so each wait is about as long as all before it (plus a margin for a loaded machine).
 */
const nextRetransmissionWithin = (writtenAt: number): number => Date.now() - writtenAt + 3000;

needs('netns').describe('netns test hosts', () => {
  const made: TestHosts[] = [];
  const track = async (hosts: Promise<TestHosts>): Promise<TestHosts> => {
    const h = await hosts;
    made.push(h);
    return h;
  };

  afterEach(async () => {
    await Promise.all(made.splice(0).map((h) => h.destroy()));
  });

  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  /** Echo server in B, client in A connected to it. */
  async function connectedPair(
    hosts: TestHosts,
    family: 4 | 6 = 4,
  ): Promise<{ server: NodeChild; client: NodeChild }> {
    const host = family === 4 ? hosts.b.addr : hosts.b.addr6!;
    const server = hosts.spawnNode('b', ECHO_SERVER, [host]);
    const { port } = await server.nextMessage<Message & { port: number }>('listening');
    const client = hosts.spawnNode('a', TCP_CLIENT, [host, String(port)]);
    await client.nextMessage('connected');
    return { server, client };
  }

  it('joins A and B with a veth pair; a client in A talks to an echo server in B', async () => {
    const t0 = performance.now();
    const hosts = await track(createTestHosts());
    const createMs = performance.now() - t0;

    expect(namespacesOnSystem()).toEqual(expect.arrayContaining([hosts.a.name, hosts.b.name]));
    expect(hosts.a.iface.length).toBeLessThanOrEqual(15);
    expect(hosts.b.iface.length).toBeLessThanOrEqual(15);
    // The veth ends exist only inside the namespaces, never in the host's own.
    const rootLinks = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    expect(rootLinks).not.toContain(hosts.a.iface);
    const { stdout } = await hosts.exec('a', 'ip', ['-o', 'addr', 'show', 'dev', hosts.a.iface]);
    expect(stdout).toContain(`${hosts.a.addr}/30`);

    const { server, client } = await connectedPair(hosts);
    const conn = await server.nextMessage('connection');
    expect(conn.remoteAddress).toBe(hosts.a.addr);
    client.send({ cmd: 'write', data: 'hello' });
    expect((await client.nextMessage('data')).data).toBe('hello');
    console.info(`[netns-harness] createTestHosts took ${createMs.toFixed(1)} ms`);
  });

  it('works over IPv6 as well', async () => {
    const hosts = await track(createTestHosts());
    const { server, client } = await connectedPair(hosts, 6);
    expect((await server.nextMessage('connection')).remoteAddress).toBe(hosts.a.addr6);
    client.send({ cmd: 'write', data: 'v6' });
    expect((await client.nextMessage('data')).data).toBe('v6');
  });

  it('silence(b) makes B vanish: a write from A gets no answer until unsilence(b)', async () => {
    const hosts = await track(createTestHosts());
    const { client } = await connectedPair(hosts);

    await hosts.silence('b');
    await hosts.silence('b'); // idempotent
    const writtenAt = Date.now();
    client.send({ cmd: 'write', data: 'anyone?' });
    await expect(client.nextMessage('data', 1500)).rejects.toThrow(/no matching message/);

    // The connection is still alive on both sides: retransmission delivers once B is back.
    await hosts.unsilence('b');
    await hosts.unsilence('b'); // idempotent
    expect((await client.nextMessage('data', nextRetransmissionWithin(writtenAt))).data).toBe('anyone?');
  });

  it('linkDown(b) also cuts B off; linkUp(b) restores it, addresses included', async () => {
    const hosts = await track(createTestHosts());
    const { client } = await connectedPair(hosts);

    await hosts.linkDown('b');
    const writtenAt = Date.now();
    client.send({ cmd: 'write', data: 'down?' });
    await expect(client.nextMessage('data', 1000)).rejects.toThrow(/no matching message/);
    await hosts.linkUp('b');
    expect((await client.nextMessage('data', nextRetransmissionWithin(writtenAt))).data).toBe('down?');
    const { stdout } = await hosts.exec('b', 'ip', ['-o', 'addr', 'show', 'dev', hosts.b.iface]);
    expect(stdout).toContain(hosts.b.addr);
    expect(stdout).toContain(hosts.b.addr6);
  });

  it('silence + killSockets + unsilence makes a rebooted peer: A\'s next write gets a RST', async () => {
    const hosts = await track(createTestHosts());
    const { server, client } = await connectedPair(hosts);
    await server.nextMessage('connection');

    await hosts.silence('b');
    await hosts.killSockets('b');
    await hosts.unsilence('b');
    await server.nextMessage('socket-close'); // B's side is gone (Node sees ECONNABORTED)
    client.send({ cmd: 'write', data: 'still there?' });
    expect((await client.nextMessage('error')).code).toBe('ECONNRESET');
    // The listener survived: a new connection works.
    const again = hosts.spawnNode('a', TCP_CLIENT, [hosts.b.addr, String(server.messages[0]!.port)]);
    await again.nextMessage('connected');
  });

  it('sysctl changes only that namespace', async () => {
    const key = 'net.ipv4.tcp_keepalive_time';
    const hostValue = readFileSync('/proc/sys/net/ipv4/tcp_keepalive_time', 'utf8').trim();
    const hosts = await track(createTestHosts({ sysctls: { 'net.ipv4.tcp_keepalive_intvl': 3 } }));

    await hosts.sysctl('a', key, 17);
    expect(await hosts.readSysctl('a', key)).toBe('17');
    expect(await hosts.readSysctl('b', key)).not.toBe('17');
    expect(await hosts.readSysctl('a', 'net.ipv4.tcp_keepalive_intvl')).toBe('3');
    expect(await hosts.readSysctl('b', 'net.ipv4.tcp_keepalive_intvl')).toBe('3');
    expect(readFileSync('/proc/sys/net/ipv4/tcp_keepalive_time', 'utf8').trim()).toBe(hostValue);

    // Keys outside net.* are not per namespace: refused before anything runs.
    await expect(hosts.sysctl('a', 'kernel.hostname', 'x')).rejects.toThrow(/only net\.\* keys/);
    await expect(hosts.sysctl('a', 'net.ipv4/../../kernel/hostname', 'x')).rejects.toThrow(/refusing/);
  });

  it('two harnesses at once get different names and addresses and both work', async () => {
    const [h1, h2] = await Promise.all([track(createTestHosts()), track(createTestHosts())]);
    const names = [h1.a.name, h1.b.name, h2.a.name, h2.b.name];
    expect(new Set(names).size).toBe(4);
    expect(new Set([h1.a.addr, h1.b.addr, h2.a.addr, h2.b.addr]).size).toBe(4);
    expect(new Set([h1.a.iface, h1.b.iface, h2.a.iface, h2.b.iface]).size).toBe(4);

    const pairs = await Promise.all([connectedPair(h1), connectedPair(h2)]);
    pairs[0].client.send({ cmd: 'write', data: 'one' });
    pairs[1].client.send({ cmd: 'write', data: 'two' });
    expect((await pairs[0].client.nextMessage('data')).data).toBe('one');
    expect((await pairs[1].client.nextMessage('data')).data).toBe('two');

    // Silencing one pair leaves the other alone.
    await h1.silence('b');
    pairs[0].client.send({ cmd: 'write', data: 'lost' });
    pairs[1].client.send({ cmd: 'write', data: 'kept' });
    expect((await pairs[1].client.nextMessage('data')).data).toBe('kept');
    await expect(pairs[0].client.nextMessage('data', 500)).rejects.toThrow(/no matching message/);
  });

  it('nextMessage fails fast with stderr when the child dies', async () => {
    const hosts = await track(createTestHosts());
    // Port 1 on B's address from A: nobody listens, so the client gets ECONNREFUSED and exits.
    const client = hosts.spawnNode('a', TCP_CLIENT, [hosts.b.addr, '1']);
    expect((await client.nextMessage('error')).code).toBe('ECONNREFUSED');
    client.send({ cmd: 'destroy' });
    const missing = hosts.spawnNode('a', fixture('does-not-exist.mjs'));
    await expect(missing.nextMessage('anything')).rejects.toThrow(/exited \(code 1\)[\s\S]*Cannot find module/);
  });

  it('destroy() kills children, deletes both namespaces and is idempotent', async () => {
    const hosts = await createTestHosts();
    const { server, client } = await connectedPair(hosts);
    await Promise.all([hosts.destroy(), hosts.destroy()]);
    await hosts.destroy();

    expect(hosts.destroyed).toBe(true);
    const present = namespacesOnSystem();
    expect(present).not.toContain(hosts.a.name);
    expect(present).not.toContain(hosts.b.name);
    expect(pidAlive(server.pid)).toBe(false);
    expect(pidAlive(client.pid)).toBe(false);
    expect(() => hosts.spawnNode('a', ECHO_SERVER)).toThrow(/destroyed/);
    expect(leftoverNamespaces()).toEqual([]);
  });

  describe('when the process using the harness is interrupted', () => {
    // Run the real harness, compiled from its TypeScript, in a separate node process.
    // Made in beforeAll, not here: a skipped suite still runs this body but never its hooks.
    let dir = '';
    let compiled = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tka-harness-'));
      compiled = join(dir, 'netns.mjs');
    });
    const drivers: ReturnType<typeof spawn>[] = [];
    afterEach(async () => {
      // A failed test may leave its driver running or its namespaces behind: clean both.
      for (const d of drivers.splice(0)) {
        if (d.exitCode === null && d.signalCode === null) {
          d.kill('SIGTERM');
          await new Promise((r) => d.once('close', r));
        }
      }
      sweepStaleNamespaces();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function startDriver(mode: 'wait' | 'throw'): Promise<{
      driver: ReturnType<typeof spawn>;
      names: string[];
      childPid: number;
      exited: Promise<void>;
    }> {
      const source = readFileSync(join(__dirname, '..', 'helpers', 'netns.ts'), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      // Standalone in a temporary folder: its imports of the command's modules point at the build.
      const built = (name: string): string => JSON.stringify(pathToFileURL(join(__dirname, '..', '..', 'dist', 'cli', `${name}.js`)).href);
      writeFileSync(compiled, outputText.replace(/(['"])\.\.\/\.\.\/lib\/cli\/([\w/-]+)\1/g, (_, _quote, name: string) => built(name)));
      const driver = spawn(process.execPath, [HARNESS_DRIVER, compiled, ECHO_SERVER, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      drivers.push(driver);
      const exited = new Promise<void>((r) => driver.on('close', () => r()));
      let out = '';
      let err = '';
      driver.stderr!.on('data', (d: Buffer) => (err += String(d)));
      const ready = await new Promise<{ names: string[]; childPid: number }>((resolve, reject) => {
        driver.stdout!.on('data', (d: Buffer) => {
          out += String(d);
          const line = out.split('\n').find((l) => l.includes('"ready"'));
          if (line !== undefined) resolve(JSON.parse(line) as { names: string[]; childPid: number });
        });
        driver.on('close', (code) => reject(new Error(`driver exited ${code}: ${err}`)));
      });
      expect(namespacesOnSystem()).toEqual(expect.arrayContaining(ready.names));
      expect(pidAlive(ready.childPid)).toBe(true);
      return { driver, ...ready, exited };
    }

    it.each(['SIGTERM', 'SIGINT'] as const)('%s: namespaces and children are removed', async (signal) => {
      const { driver, names, childPid, exited } = await startDriver('wait');
      driver.kill(signal);
      await exited;
      expect(driver.signalCode).toBe(signal); // still dies of the signal, as without the handler
      const present = namespacesOnSystem();
      for (const name of names) expect(present).not.toContain(name);
      expect(await waitGone(childPid)).toBe(true);
    });

    it('uncaught exception: namespaces are removed on exit', async () => {
      const { driver, names, exited } = await startDriver('throw');
      driver.kill('SIGUSR2');
      await exited;
      expect(driver.exitCode).toBe(1);
      const present = namespacesOnSystem();
      for (const name of names) expect(present).not.toContain(name);
    });

    it('SIGKILL: nothing can run, so sweepStaleNamespaces() removes the leftovers later', async () => {
      const { driver, names, childPid, exited } = await startDriver('wait');
      driver.kill('SIGKILL');
      await exited;
      expect(namespacesOnSystem()).toEqual(expect.arrayContaining(names));
      // The echo server notices its stdin closing and exits by itself.
      expect(await waitGone(childPid)).toBe(true);
      // (Another test process sweeping at the same moment may have deleted them first.)
      sweepStaleNamespaces();
      const present = namespacesOnSystem();
      for (const name of names) expect(present).not.toContain(name);
    });
  });
});
