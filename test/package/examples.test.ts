// The examples in examples/ run, on loopback, as the README shows them: their
// functions here, and each file as `node examples/<name>.mjs` (which imports
// 'tcp-keepalive' by name: the package refers to itself through "exports").
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { kernelKeepalive } from '../helpers/kernel';
import { closeAll, listen, portOf, track } from '../helpers/loopback';
import { needs } from '../helpers/platform';

afterEach(closeAll);

// ES modules, loaded as a user's `import` would (this file is CommonJS to TypeScript).
let client: typeof import('../../examples/client.mjs', { with: { 'resolution-mode': 'import' } });
let fetchExample: typeof import('../../examples/fetch.mjs', { with: { 'resolution-mode': 'import' } });
let httpAgent: typeof import('../../examples/http-agent.mjs', { with: { 'resolution-mode': 'import' } });
let migration: typeof import('../../examples/net-keepalive-migration.mjs', { with: { 'resolution-mode': 'import' } });
let serverExample: typeof import('../../examples/server.mjs', { with: { 'resolution-mode': 'import' } });
beforeAll(async () => {
  [client, fetchExample, httpAgent, migration, serverExample] = await Promise.all([
    import('../../examples/client.mjs'),
    import('../../examples/fetch.mjs'),
    import('../../examples/http-agent.mjs'),
    import('../../examples/net-keepalive-migration.mjs'),
    import('../../examples/server.mjs'),
  ]);
});

describe('examples', () => {
  it('server.mjs: every request runs on a connection with the server options', async () => {
    const server = await listen(track(serverExample.createServer()));
    const body = JSON.parse(await httpAgent.get(`http://127.0.0.1:${portOf(server)}/`));
    expect(body).toMatchObject({ enable: true, idle: 60_000, interval: 10_000, count: 6 });
  });

  it('client.mjs: connects and prints the state in force', async () => {
    const server = await listen();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await client.main(portOf(server));
    expect(log).toHaveBeenCalledWith('keepalive in force:', expect.objectContaining({ idle: 30_000, interval: 5_000, count: 4 }));
    log.mockRestore();
  });

  it('http-agent.mjs: pooled sockets carry the agent options', async () => {
    const server = await listen(track(http.createServer((_req, res) => res.end('ok'))));
    const freed = once(httpAgent.agent, 'free') as Promise<[net.Socket]>;
    expect(await httpAgent.get(`http://127.0.0.1:${portOf(server)}/`)).toBe('ok');
    const [socket] = await freed;
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 15, interval: 5, count: 3 });
    httpAgent.agent.destroy();
  });

  needs('ss').it('fetch.mjs: fetch() connections have keepalive armed (seen by ss)', async () => {
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
    const dispatcher = fetchExample.installKeepaliveDispatcher();
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

  it('net-keepalive-migration.mjs: runs unchanged on the drop-in', async () => {
    const server = await listen();
    const socket = track(net.connect(portOf(server), '127.0.0.1'));
    await once(socket, 'connect');
    expect(migration.tune(socket)).toEqual({ interval: 1_000, probes: 3 });
    expect(kernelKeepalive(socket)).toMatchObject({ keepalive: 1, idle: 5, interval: 1, count: 3 });
  });
});

describe('each example runs with node', () => {
  // What each prints when run without arguments (against a loopback server of its own).
  const EXPECTED: Array<[string, RegExp]> = [
    ['client.mjs', /^keepalive in force: \{ enable: true, idle: 30000, interval: 5000, count: 4/m],
    ['server.mjs', /^a request to it ran on a connection with: \{"enable":true,"idle":60000,"interval":10000,"count":6/m],
    ['http-agent.mjs', /^pooled connection keepalive: \{ enable: true, idle: 15000, interval: 5000, count: 3[^]*^response: ok$/m],
    ['fetch.mjs', /^fetch: 200 ok$/m],
    ['net-keepalive-migration.mjs', /^net-keepalive calls, on tcp-keepalive: \{ interval: 1000, probes: 3 \}$/m],
  ];
  for (const [file, output] of EXPECTED) {
    it(`node examples/${file}`, () => {
      const result = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'examples', file)], { encoding: 'utf8', timeout: 20_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(output);
    });
  }
});
