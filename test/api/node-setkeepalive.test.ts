// Node's own socket.setKeepAlive against this package, on whichever Node runs
// the suite (npm run test:matrix runs it under 20, 22, 24 and 26). Every claim
// is checked in the kernel through the independent reader (Python on the same
// descriptor), never through this package alone.
//
// Node 24.19+ and 26.4+ take setKeepAlive(enable, initialDelay, interval,
// count) and an options object; 20 and 22 take (enable, initialDelay) only.
// The cases for each side are registered only where they apply (found by
// trying the 4-argument call on a real socket, below), never skipped: in CI a
// skipped test fails the run. (Where the file's facts are missing, such as /proc/sys or
// TCP_USER_TIMEOUT, the file is pending, named with the reason: test/helpers/platform.ts.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { getKeepalive, getTcpInfo, setKeepalive, systemDefaults } from '../../lib/index';
import { kernelKeepalive, kernelTcpInfo, kernelWrite, type KernelRead } from '../helpers/kernel';
import { closeAll, connectedPair, listen, portOf, track } from '../helpers/loopback';
import { has, needs, type Need } from '../helpers/platform';

afterEach(closeAll);

/** Calls Node's own setKeepAlive with any arguments (@types/node 20 knows only two). */
function core(socket: net.Socket, ...args: unknown[]): unknown {
  return (socket.setKeepAlive as (...a: unknown[]) => unknown).apply(socket, args);
}

// The claims are checked against /proc/sys, TCP_INFO's numbering and the user
// timeout, through the reader on an inherited descriptor.
const NEEDS: Need[] = ['spawnsNode', 'procSys', 'userTimeout', 'tcpInfo', 'inheritableDescriptors', 'python:TCP_KEEPIDLE', 'python:TCP_USER_TIMEOUT'];
const RUNS = has(...NEEDS);

/**
 * Whether the running Node's setKeepAlive sets interval and count: tried on a
 * real loopback connection in a child of this very Node, and read back by the
 * independent reader. Synchronous, because tests are registered synchronously.
 */
function probeCoreIntervalCount(): boolean {
  if (!RUNS) return false;
  const script = `
    const net = require('node:net');
    const { spawnSync } = require('node:child_process');
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1', () => {
        socket.setKeepAlive(true, 30000, 5000, 3);
        const read = spawnSync(process.env.PYTHON || 'python3', [process.env.TKA_READER, '{"do":"read"}'],
          { stdio: ['ignore', 'pipe', 'inherit', socket._handle.fd], encoding: 'utf8' });
        process.stdout.write(read.stdout);
        socket.destroy();
        server.close();
      });
    });`;
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, TKA_READER: path.join(__dirname, '..', 'helpers', 'kernel-reader.py') },
    timeout: 20_000,
  });
  if (result.status !== 0) throw new Error(`probing setKeepAlive failed: ${result.stderr || result.error}`);
  const kernel = JSON.parse(result.stdout) as KernelRead;
  return kernel.idle === 30 && kernel.interval === 5 && kernel.count === 3;
}

const CORE_HAS_INTERVAL_COUNT = probeCoreIntervalCount();
const [MAJOR, MINOR] = process.versions.node.split('.').map(Number) as [number, number];

/** Node's changelog: 24.19.0 and 26.4.0 added interval and count. Odd majors are not listed. */
function documentedToHaveIntervalCount(): boolean | undefined {
  if (MAJOR === 20 || MAJOR === 22) return false;
  if (MAJOR === 24) return MINOR >= 19;
  if (MAJOR === 26) return MINOR >= 4;
  if (MAJOR > 26 && MAJOR % 2 === 0) return true;
  return undefined;
}

/** The system defaults, read straight from /proc (not through this package). */
function procDefaults(): { idle: number; interval: number; count: number } {
  const read = (name: string) => Number(fs.readFileSync(`/proc/sys/net/ipv4/tcp_keepalive_${name}`, 'utf8'));
  return { idle: read('time'), interval: read('intvl'), count: read('probes') };
}

/** A connection whose client end holds known, non-default values, keepalive off. */
async function pinnedClient(): Promise<{ client: net.Socket; before: KernelRead }> {
  const { client } = await connectedPair();
  const before = kernelWrite(client, { keepalive: 0, idle: 111, interval: 22, count: 7, userTimeout: 0 });
  return { client, before };
}

const withCore = CORE_HAS_INTERVAL_COUNT ? 'with' : 'without';

needs(...NEEDS).describe(`Node ${process.version}: core setKeepAlive, ${withCore} interval and count, against this package`, () => {
  it('finding out what core can do agrees with the Node versions documented to have interval and count', () => {
    const documented = documentedToHaveIntervalCount();
    if (documented !== undefined) expect(CORE_HAS_INTERVAL_COUNT).toBe(documented);
    else expect(typeof CORE_HAS_INTERVAL_COUNT).toBe('boolean');
  });

  it('core floors the delay to whole seconds (1500 ms is 1 s); this package rounds up (2 s) and returns it', async () => {
    const { client } = await connectedPair();
    core(client, true, 1_500);
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 1 });
    expect(setKeepalive(client, { idle: 1_500 })).toMatchObject({ enable: true, idle: 2_000 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 2 });
  });

  it('core turns a delay under 1 s into 0 and silently keeps the old values (as for one over 32767 s); this package makes it 1 s', async () => {
    const { client, before } = await pinnedClient();
    expect(core(client, true, 999)).toBe(client); // no error, no sign of the loss
    expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1 });
    // The same for a delay over the kernel's 32767 s.
    const tooLong = await pinnedClient();
    expect(core(tooLong.client, true, 40_000_000)).toBe(tooLong.client);
    expect(kernelKeepalive(tooLong.client)).toEqual({ ...tooLong.before, keepalive: 1 });
    // A socket never configured keeps the system default (2 h here) the same way.
    const { client: fresh } = await connectedPair();
    core(fresh, true, 999);
    expect(kernelKeepalive(fresh)).toMatchObject({ keepalive: 1, idle: procDefaults().idle });

    expect(setKeepalive(client, { idle: 999 })).toMatchObject({ idle: 1_000 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 1 });
  });

  it('core returns the socket and has nothing to read back; getKeepalive reads what the kernel holds', async () => {
    const { client } = await connectedPair();
    expect(core(client, true, 30_000)).toBe(client);
    const readers = Object.getOwnPropertyNames(net.Socket.prototype).filter((name) => /keep.?alive/i.test(name));
    expect(readers).toEqual(['setKeepAlive']);
    const kernel = kernelKeepalive(client);
    expect(getKeepalive(client)).toEqual({
      enable: kernel.keepalive === 1,
      idle: kernel.idle! * 1_000,
      interval: kernel.interval! * 1_000,
      count: kernel.count,
      userTimeout: kernel.userTimeout,
    });
    // On Linux core's 2-argument form also sets interval 1 s and count 10.
    expect(kernel).toMatchObject({ keepalive: 1, idle: 30, interval: 1, count: 10 });
  });

  it('core exposes no system defaults, TCP_INFO or user timeout; this package does, checked in the kernel', async () => {
    const coreNames = [...Object.keys(net), ...Object.getOwnPropertyNames(net.Socket.prototype)];
    expect(coreNames.filter((name) => /keep.?alive|tcp.?info|user.?timeout/i.test(name))).toEqual(['setKeepAlive']);

    const { client } = await connectedPair();
    // Not even the options form of 24.19+/26.4+ takes a user timeout.
    core(client, { enable: true, initialDelay: 30_000, userTimeout: 5_000 });
    expect(kernelKeepalive(client).userTimeout).toBe(0);

    const proc = procDefaults();
    expect(systemDefaults()).toMatchObject({ idle: proc.idle * 1_000, interval: proc.interval * 1_000, count: proc.count });
    expect(getTcpInfo(client).state).toBe('ESTABLISHED');
    expect(kernelTcpInfo(client).state).toBe(1); // TCP_ESTABLISHED
    expect(setKeepalive(client, { userTimeout: 5_000 })).toMatchObject({ userTimeout: 5_000 });
    expect(kernelKeepalive(client).userTimeout).toBe(5_000);
  });

  it('on one socket the later call wins in the kernel (core resets interval and count), and getKeepalive shows it', async () => {
    const { client } = await connectedPair();
    core(client, true, 45_000);
    setKeepalive(client, { idle: 30_000, interval: 5_000, count: 3 });
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 30, interval: 5, count: 3 });
    core(client, true, 46_000);
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 46, interval: 1, count: 10 });
    expect(getKeepalive(client)).toMatchObject({ enable: true, idle: 46_000, interval: 1_000, count: 10 });
  });

  it('but core skips a call that repeats its own last values, so the options this package set in between stay', async () => {
    const { client } = await connectedPair();
    core(client, true, 45_000);
    setKeepalive(client, { idle: 30_000, interval: 5_000, count: 3 });
    core(client, true, 45_000); // core remembers 45 s and makes no system call
    expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 30, interval: 5, count: 3 });
    expect(getKeepalive(client)).toMatchObject({ enable: true, idle: 30_000, interval: 5_000, count: 3 });
  });

  it("before connect, this package's options are applied after core's, whichever was called first", async () => {
    const server = await listen();
    for (const order of ['core first', 'package first']) {
      const client = track(net.connect(portOf(server), '127.0.0.1'));
      if (order === 'core first') core(client, true, 45_000);
      expect(setKeepalive(client, { idle: 30_000, interval: 5_000, count: 3 })).toBeNull();
      if (order === 'package first') core(client, true, 45_000);
      await once(client, 'connect');
      expect(kernelKeepalive(client), order).toMatchObject({ keepalive: 1, idle: 30, interval: 5, count: 3 });
    }
  });

  it("a server's keepAlive option re-applies core's settings to each accepted socket, over what the listener passed on", async () => {
    // net.Server has no interval or count option on any version: 1 s and 10.
    const server = await listen(net.createServer({ keepAlive: true, keepAliveInitialDelay: 10_000 }));
    setKeepalive(server, { idle: 30_000, interval: 5_000, count: 3 });
    expect(kernelKeepalive(server)).toMatchObject({ keepalive: 1, idle: 30, interval: 5, count: 3 });
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    track(net.connect(portOf(server), '127.0.0.1'));
    const [socket] = await accepted;
    track(socket);
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 10, interval: 1, count: 10 });
    expect(getKeepalive(socket)).toMatchObject({ idle: 10_000, interval: 1_000, count: 10 });
  });

  if (!CORE_HAS_INTERVAL_COUNT) {
    it('core ignores interval and count: on Linux the interval is always 1 s and the count 10', async () => {
      const { client, before } = await pinnedClient();
      core(client, true, 30_000, 5_000, 3);
      expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1, idle: 30, interval: 1, count: 10 });
      setKeepalive(client, { idle: 30_000, interval: 5_000, count: 3 });
      expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1, idle: 30, interval: 5, count: 3 });
    });

    it('the options object of newer Nodes only turns keepalive on here: every value is lost, without an error', async () => {
      const { client, before } = await pinnedClient();
      expect(core(client, { enable: true, initialDelay: 30_000, interval: 5_000, count: 3 })).toBe(client);
      expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1 });
    });
  }

  if (CORE_HAS_INTERVAL_COUNT) {
    it('core sets idle, interval and count: the same kernel state as setKeepalive with the same values', async () => {
      const a = await connectedPair();
      const b = await connectedPair();
      const c = await connectedPair();
      core(a.client, true, 30_000, 5_000, 3);
      core(b.client, { enable: true, initialDelay: 30_000, interval: 5_000, count: 3 });
      setKeepalive(c.client, { idle: 30_000, interval: 5_000, count: 3 });
      const expected = { keepalive: 1, idle: 30, interval: 5, count: 3, userTimeout: 0 };
      expect(kernelKeepalive(a.client)).toEqual(expected);
      expect(kernelKeepalive(b.client)).toEqual(expected);
      expect(kernelKeepalive(c.client)).toEqual(expected);
    });

    it('core floors every time (1500 ms is 1 s, 2500 ms is 2 s); this package rounds up (2 s, 3 s) and says so', async () => {
      const { client } = await connectedPair();
      core(client, true, 1_500, 2_500, 3);
      expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 1, interval: 2, count: 3 });
      expect(setKeepalive(client, { idle: 1_500, interval: 2_500, count: 3 })).toMatchObject({ idle: 2_000, interval: 3_000 });
      expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 2, interval: 3, count: 3 });
    });

    it('core drops the whole configuration, silently, for a sub-second interval or a count of 0; this package does not', async () => {
      for (const args of [
        [true, 30_000, 999, 3],
        [true, 30_000, 5_000, 0],
        [true, 999, 5_000, 3],
      ]) {
        const { client, before } = await pinnedClient();
        expect(core(client, ...args)).toBe(client);
        // Keepalive is on, and not one of the values asked for is in place.
        expect(kernelKeepalive(client), JSON.stringify(args)).toEqual({ ...before, keepalive: 1 });
      }
      const { client, before } = await pinnedClient();
      expect(setKeepalive(client, { idle: 30_000, interval: 999, count: 3 })).toMatchObject({ interval: 1_000 });
      expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1, idle: 30, interval: 1, count: 3 });
      expect(() => setKeepalive(client, { count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    });

    it('core half-applies values over the kernel limits (count 127, interval 32767 s), without an error', async () => {
      const tooLongInterval = await pinnedClient();
      expect(core(tooLongInterval.client, true, 30_000, 40_000_000, 3)).toBe(tooLongInterval.client);
      expect(kernelKeepalive(tooLongInterval.client)).toEqual({ ...tooLongInterval.before, keepalive: 1, idle: 30 });
      expect(() => setKeepalive(tooLongInterval.client, { interval: 40_000_000 })).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
      );

      const { client, before } = await pinnedClient();
      expect(core(client, true, 30_000, 5_000, 200)).toBe(client);
      expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1, idle: 30, interval: 5 });
      // This package validates first: nothing reaches the kernel.
      const now = kernelKeepalive(client);
      expect(() => setKeepalive(client, { idle: 60_000, interval: 10_000, count: 200 })).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
      );
      expect(kernelKeepalive(client)).toEqual(now);
    });

    it('core turns a fractional, negative or string count into 10 without a word; this package rejects them', async () => {
      for (const count of [3.7, -1, '3']) {
        const { client } = await pinnedClient();
        core(client, true, 30_000, 5_000, count);
        expect(kernelKeepalive(client), String(count)).toMatchObject({ keepalive: 1, idle: 30, interval: 5, count: 10 });
        expect(() => setKeepalive(client, { count: count as number }), String(count)).toThrow(
          expect.objectContaining({ code: expect.stringMatching(/^ERR_(OUT_OF_RANGE|INVALID_ARG_TYPE)$/) }),
        );
      }
    });

    it("core's options object without enable turns keepalive off; this package's enable defaults to true", async () => {
      const { client } = await connectedPair();
      core(client, true, 60_000);
      core(client, { initialDelay: 30_000, interval: 5_000, count: 3 });
      expect(kernelKeepalive(client).keepalive).toBe(0);
      setKeepalive(client, { idle: 30_000, interval: 5_000, count: 3 });
      expect(kernelKeepalive(client)).toMatchObject({ keepalive: 1, idle: 30, interval: 5, count: 3 });
    });

    it('4-argument core calls and this package interleave: the later wins field by field, getKeepalive shows it', async () => {
      const { client } = await connectedPair();
      setKeepalive(client, { idle: 30_000, interval: 5_000, count: 3, userTimeout: 20_000 });
      core(client, true, 45_000, 6_000, 4);
      expect(kernelKeepalive(client)).toEqual({ keepalive: 1, idle: 45, interval: 6, count: 4, userTimeout: 20_000 });
      setKeepalive(client, { interval: 7_000 }); // the other fields stay as core left them
      expect(kernelKeepalive(client)).toEqual({ keepalive: 1, idle: 45, interval: 7, count: 4, userTimeout: 20_000 });
      expect(getKeepalive(client)).toEqual({ enable: true, idle: 45_000, interval: 7_000, count: 4, userTimeout: 20_000 });
      // Core without interval and count goes back to 1 s and 10.
      core(client, true, 46_000);
      expect(kernelKeepalive(client)).toMatchObject({ idle: 46, interval: 1, count: 10 });
    });
  }
});
