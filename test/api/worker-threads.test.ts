// The addon is context-aware: it loads and works in worker threads, each
// with its own result buffer, alongside the main thread.
import path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { getKeepalive, setKeepalive } from '../../lib/index';
import { fdOf, kernelKeepalive } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';

afterEach(closeAll);

const CHILD = path.join(__dirname, '../fixtures/worker-child.cjs');

function runWorker(fd: number, idle: number) {
  const worker = new Worker(CHILD, { workerData: { fd, idle } });
  return once(worker, 'message').then(([message]) => ({ worker, message }));
}

describe('worker threads', () => {
  it('configures sockets from several workers at once, each reading back its own values', async () => {
    const pairs = await Promise.all([connectedPair(), connectedPair(), connectedPair()]);
    const runs = await Promise.all(pairs.map(({ client }, i) => runWorker(fdOf(client), (i + 2) * 10_000)));
    runs.forEach(({ message }, i) => {
      expect(message.sawOwnValues).toBe(true);
      expect(message.error).toBe('ERR_OUT_OF_RANGE');
      expect(message.last.idle).toBe((i + 2) * 10_000 + 1000);
      expect(kernelKeepalive(pairs[i].client)).toMatchObject({ keepalive: 1, idle: (i + 2) * 10 + 1 });
    });
    await Promise.all(runs.map(({ worker }) => worker.terminate()));
  });

  it('the main thread keeps working after workers load and unload the addon', async () => {
    const { client } = await connectedPair();
    for (let round = 0; round < 3; round++) {
      const { worker } = await runWorker(fdOf(client), 5_000);
      await worker.terminate();
    }
    expect(setKeepalive(client, { idle: 9_000 })).toMatchObject({ idle: 9_000 });
    expect(getKeepalive(client).idle).toBe(9_000);
  });
});
