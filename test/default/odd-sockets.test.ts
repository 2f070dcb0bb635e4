// The process default in the odd states Node itself produces: nothing the
// package does in a socket's listeners may throw into the application.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { setDefaultKeepalive } from '../../lib/index';
import { closeAll, listen, portOf, track } from '../helpers/loopback';

const ROOT = path.join(__dirname, '..', '..');
const ABORTED = path.join(__dirname, '../fixtures/aborted-tls-connect.cjs');

afterEach(async () => {
  setDefaultKeepalive(null);
  await closeAll();
});

function runUnderRegister(script: string, args: string[]) {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  return spawnSync(process.execPath, ['--require', 'tcp-keepalive/register', script, ...args], {
    cwd: ROOT,
    env: { ...env, TCP_KEEPALIVE: 'idle=5s,interval=1s,count=3' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the default never throws into the application', () => {
  // localhost is in /etc/hosts (127.0.0.1): the lookup is what lets Node
  // connect the handle after the abort has closed the socket.
  it("tls.connect({ host: 'localhost', signal: AbortSignal.abort() }) under --require: AbortError, and the process carries on", () => {
    const result = runUnderRegister(ABORTED, ['20']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ rounds: 20, errors: Array(20).fill('AbortError') });
  });

  it('the same with setDefaultKeepalive() in this process: no uncaught error', async () => {
    const server = await listen(net.createServer((socket) => socket.on('error', () => {})));
    setDefaultKeepalive({ idle: 5_000 });
    const uncaught: Error[] = [];
    const record = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      for (let round = 0; round < 10; round++) {
        const socket = track(tls.connect({ host: 'localhost', port: portOf(server), signal: AbortSignal.abort() } as tls.ConnectionOptions));
        const errors: string[] = [];
        socket.on('error', (error) => errors.push(error.name));
        await new Promise((resolve) => socket.on('close', resolve));
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(errors).toEqual(['AbortError']);
      }
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
  });
});
