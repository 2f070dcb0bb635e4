// The examples in examples/ run, on loopback, as the README shows them.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main as clientMain } from '../examples/client';
import { installKeepaliveDispatcher } from '../examples/fetch';
import { agent, get } from '../examples/http-agent';
import { tune } from '../examples/net-keepalive-migration';
import { createServer } from '../examples/server';
import { kernelKeepalive } from './helpers/kernel';
import { closeAll, listen, portOf, track } from './helpers/loopback';
import { needs } from './helpers/platform';

afterEach(closeAll);

describe('examples', () => {
  it('server.ts: every request runs on a connection with the server options', async () => {
    const server = await listen(track(createServer()));
    const body = JSON.parse(await get(`http://127.0.0.1:${portOf(server)}/`));
    expect(body).toMatchObject({ enable: true, idle: 60_000, interval: 10_000, count: 6 });
  });

  it('client.ts: connects and prints the state in force', async () => {
    const server = await listen();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await clientMain(portOf(server));
    expect(log).toHaveBeenCalledWith('keepalive in force:', expect.objectContaining({ idle: 30_000, interval: 5_000, count: 4 }));
    log.mockRestore();
  });

  it('http-agent.ts: pooled sockets carry the agent options', async () => {
    const server = await listen(track(http.createServer((_req, res) => res.end('ok'))));
    const freed = once(agent, 'free') as Promise<[net.Socket]>;
    expect(await get(`http://127.0.0.1:${portOf(server)}/`)).toBe('ok');
    const [socket] = await freed;
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 15, interval: 5, count: 3 });
    agent.destroy();
  });

  needs('ss').it('fetch.ts: fetch() connections have keepalive armed (seen by ss)', async () => {
    // While the request is open, ss(8) shows the client socket's timer:
    // "timer:(keepalive,19sec,0)" for a 20 s idle time.
    const server = await listen(
      track(
        http.createServer((req, res) => {
          const clientPort = req.socket.remotePort;
          const out = execFileSync('ss', ['-tnoH', 'state', 'established', `( sport = :${clientPort} )`], { encoding: 'utf8' });
          res.end(out);
        }),
      ),
    );
    const previous = getGlobalDispatcher();
    const dispatcher = installKeepaliveDispatcher();
    try {
      const ssLine = await (await fetch(`http://127.0.0.1:${portOf(server)}/`)).text();
      const timer = /timer:\(keepalive,(\d+(?:\.\d+)?)(ms|sec|min)?,(\d+)\)/.exec(ssLine);
      expect(timer, ssLine).not.toBeNull();
      const seconds = Number(timer![1]) / (timer![2] === 'ms' ? 1000 : 1);
      expect(seconds).toBeGreaterThan(15);
      expect(seconds).toBeLessThanOrEqual(20);
    } finally {
      setGlobalDispatcher(previous);
      await dispatcher.close();
    }
  });

  it('net-keepalive-migration.ts: runs unchanged on the drop-in', async () => {
    const server = await listen();
    const socket = track(net.connect(portOf(server), '127.0.0.1'));
    await once(socket, 'connect');
    expect(tune(socket)).toEqual({ interval: 1_000, probes: 3 });
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 5, interval: 1, count: 3 });
  });
});
