// The baseline for bench/path.ts: what a person would script to find a
// path's idle timeout, a binary search over one connection at a time. Each
// step opens a connection, leaves it idle for the middle of the bracket,
// probes it once (the same probe at a chosen moment the command uses, so
// that only the method differs) and closes it. It stops at the same width
// as the command: max(3 % of the lower end, 1 s). Runs inside the client's
// namespace; prints one JSON object.
//
//   node build/bench/path-baseline.js HOST:PORT MAX_MS
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { capabilities, getTcpInfo, setKeepalive } from 'tcp-keepalive';

type Outcome = 'answered' | 'silent' | 'reset' | 'closed';

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
  });
}

/** Leaves a new connection idle `idleMs`, probes it, and says what came back. */
async function tryIdle(host: string, port: number, idleMs: number): Promise<Outcome> {
  const socket = await connect(host, port);
  let ended: Outcome | null = null;
  socket.on('end', () => (ended ??= 'closed'));
  socket.on('error', (error: NodeJS.ErrnoException) => (ended ??= error.code === 'ECONNRESET' ? 'reset' : 'silent'));
  setKeepalive(socket, { enable: true, idle: capabilities().idle.max, interval: 1000, count: 5 });
  await sleep(idleMs);
  if (ended) return ended;
  const before = getTcpInfo(socket).lastAckRecv!;
  const askedAt = performance.now();
  setKeepalive(socket, { idle: 1000 });
  // The kernel retries once after 1 s; an answer takes microseconds here.
  while (performance.now() - askedAt < 2500) {
    await sleep(20);
    if (ended) break;
    // An answer drops the time since the last ACK from the idle to about nothing.
    if (getTcpInfo(socket).lastAckRecv! < Math.min(500, before / 2)) {
      socket.destroy();
      return 'answered';
    }
  }
  socket.destroy();
  return ended ?? 'silent';
}

async function main(): Promise<void> {
  const [target, maxText] = process.argv.slice(2);
  const colon = target!.lastIndexOf(':');
  const host = target!.slice(0, colon);
  const port = Number(target!.slice(colon + 1));
  const maxMs = Number(maxText);
  const started = performance.now();
  let lower = 0;
  let upper = maxMs;
  let failedMode: Outcome | null = null;
  while (upper - lower > Math.max(0.03 * lower, 1000)) {
    const middle = Math.round((lower + upper) / 2);
    const outcome = await tryIdle(host, port, middle);
    if (outcome === 'answered') lower = middle;
    else {
      upper = middle;
      failedMode = outcome;
    }
  }
  // Nothing failed: the path kept every idle tried, up to max.
  if (failedMode === null) {
    process.stdout.write(`${JSON.stringify({ mode: 'none', lowerMs: lower, upperMs: null, elapsedMs: Math.round(performance.now() - started), connections: 1 })}\n`);
    return;
  }
  process.stdout.write(`${JSON.stringify({ mode: failedMode, lowerMs: lower, upperMs: upper, elapsedMs: Math.round(performance.now() - started), connections: 1 })}\n`);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ message: (error as Error).message })}\n`);
  process.exitCode = 1;
});
