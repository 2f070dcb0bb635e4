// The bench's child processes, one entry point:
//   child trace ITERATIONS         every per-call case between stderr markers,
//                                  run under strace by the parent
//   child memory CASE CALLS        RSS and heap over CALLS calls of one case
//   child count CASE CALLS         a warm-up, then CALLS calls of one case, for
//                                  callgrind's instruction counts
//   child client PORT COUNT        opens COUNT loopback connections on 'go',
//                                  resets them all on 'close'
import fs from 'node:fs';
import net from 'node:net';
import { jsCases, type JsCase } from './cases';
import { closeLoopback, collectGarbage, ka, loadPeers, openLoopback, tcpOption, type Loopback, type Peers } from './common';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryReport {
  id: string;
  calls: number;
  elapsedMs: number;
  /** After warm-up, then after each tenth of the calls; all after a full GC. */
  samples: MemorySample[];
}

/** Library functions that only the memory check calls. */
function memoryOnlyCases(loopback: Loopback): JsCase[] {
  const { client } = loopback;
  const { SOL_SOCKET, SO_KEEPALIVE, IPPROTO_TCP } = ka.constants;
  const TCP_KEEPIDLE = tcpOption('TCP_KEEPIDLE');
  return [
    {
      id: 'lib.getSockOpt',
      group: 'lib',
      work: "getSockOpt(socket, IPPROTO_TCP, TCP_KEEPIDLE, 'int')",
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += ka.getSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, 'int');
        return sink;
      },
    },
    {
      id: 'lib.setSockOpt',
      group: 'lib',
      work: "setSockOpt(socket, SOL_SOCKET, SO_KEEPALIVE, true, 'bool')",
      run(n) {
        for (let i = 0; i < n; i++) ka.setSockOpt(client, SOL_SOCKET, SO_KEEPALIVE, true, 'bool');
        return 0;
      },
    },
    {
      id: 'lib.systemDefaults',
      group: 'lib',
      work: 'systemDefaults()',
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += ka.systemDefaults().idle;
        return sink;
      },
    },
  ];
}

/** Enough calls for V8 to have optimized the case before counting. */
const COUNT_WARM_UP = 20_000;

function allCases(loopback: Loopback, peers: Peers | null): JsCase[] {
  return [...jsCases(loopback, peers), ...memoryOnlyCases(loopback)];
}

function memory(): MemorySample {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

async function traceMain(iterations: number): Promise<void> {
  const loopback = await openLoopback();
  // Without the peers installed, the parent leaves their rows out too.
  let peers: Peers | null = null;
  try {
    peers = loadPeers();
  } catch {
    peers = null;
  }
  for (const c of jsCases(loopback, peers)) {
    // First calls may do one-time work (ffi-rs opens libc): not counted.
    fs.writeSync(2, '@@bench:-\n');
    c.run(2);
    fs.writeSync(2, `@@bench:${c.id}\n`);
    c.run(iterations);
  }
  fs.writeSync(2, '@@bench:end\n');
  closeLoopback(loopback);
}

/**
 * The case named `id`. The peers are loaded only to measure them: a library
 * row's process holds nothing but Node and the library.
 */
function findCase(loopback: Loopback, id: string): JsCase {
  const isPeer = id.startsWith('sockopt.') || id.startsWith('net-keepalive.');
  const c = allCases(loopback, isPeer ? loadPeers() : null).find((candidate) => candidate.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}

/** Everything before the counted calls is the same for any CALLS. */
async function countMain(id: string, calls: number): Promise<void> {
  const loopback = await openLoopback();
  const c = findCase(loopback, id);
  c.run(COUNT_WARM_UP);
  c.run(calls);
  closeLoopback(loopback);
}

async function memoryMain(id: string, calls: number): Promise<void> {
  const loopback = await openLoopback();
  const c = findCase(loopback, id);
  const chunk = Math.ceil(calls / 10);
  // Warm-up: optimized code, inline caches and the heap's working size are
  // in place before the baseline.
  c.run(Math.min(chunk, 100_000));
  collectGarbage();
  const samples = [memory()];
  const start = process.hrtime.bigint();
  for (let k = 0; k < 10; k++) {
    c.run(chunk);
    collectGarbage();
    samples.push(memory());
  }
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const report: MemoryReport = { id, calls: chunk * 10, elapsedMs, samples };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  closeLoopback(loopback);
}

/** Opens `count` connections, at most `concurrency` in flight at once. */
function clientMain(port: number, count: number, concurrency: number): void {
  const send = (message: object): void => {
    process.send!(message);
  };
  const sockets: net.Socket[] = [];
  let started = 0;
  let connected = 0;
  const openOne = (): void => {
    started++;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', (error) => send({ error: error.message }));
    socket.once('connect', () => {
      sockets.push(socket);
      if (++connected === count) send({ connected });
      else if (started < count) openOne();
    });
  };
  process.on('message', (message: { command: string }) => {
    if (message.command === 'go') {
      for (let i = 0; i < Math.min(concurrency, count); i++) openOne();
    } else if (message.command === 'close') {
      // A reset leaves no TIME_WAIT behind, so repeated runs never run short
      // of ephemeral ports.
      for (const socket of sockets) socket.resetAndDestroy();
      process.disconnect();
    }
  });
  send({ ready: true });
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'trace') await traceMain(Number(args[0]));
  else if (command === 'memory') await memoryMain(args[0], Number(args[1]));
  else if (command === 'count') await countMain(args[0], Number(args[1]));
  else if (command === 'client') clientMain(Number(args[0]), Number(args[1]), Number(args[2] ?? 200));
  else throw new Error(`unknown command ${command}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
