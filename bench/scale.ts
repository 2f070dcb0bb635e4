// Many accepted connections: configured one by one as they arrive, or not at
// all because they inherit the listener's options. The clients run in a
// child process, as they would on another host.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { collectGarbage, COUNT, IDLE_MS, INTERVAL_MS, ka, tcpOption, type Peers } from './common';

export type ScaleMode = 'none' | 'core' | 'lib' | 'lib-listener' | 'sockopt' | 'net-keepalive';

export const SCALE_MODES: Record<ScaleMode, string> = {
  none: 'accept only, nothing configured (baseline)',
  core: "socket.setKeepAlive(true, idle) in the 'connection' handler",
  lib: "setKeepalive(socket, { idle, interval, count }) in the 'connection' handler",
  'lib-listener': 'setKeepalive(server, { idle, interval, count }) once; accepted sockets inherit',
  sockopt: "sockopt: setsockopt x4 in the 'connection' handler",
  'net-keepalive': "net-keepalive: setKeepAlive + setKeepAliveInterval + setKeepAliveProbes in the 'connection' handler",
};

export interface ScaleRun {
  mode: ScaleMode;
  connections: number;
  /** From 'go' to the last accepted connection, per connection. */
  acceptNsPerConnection: number;
  /** Time inside the configuration call in the handler, per connection. */
  handlerNsPerConnection: number;
  /** Reconfiguring every accepted socket in one loop, per connection. */
  batchNsPerConnection: number | null;
  /** The one call on the listening server (lib-listener). */
  serverCallNs: number | null;
  /** After a full GC, all connections open, minus before the first. */
  rssDelta: number;
  heapDelta: number;
}

type Configure = (socket: net.Socket, idle: number) => void;

function configureFor(mode: ScaleMode, peers: Peers | null): Configure | null {
  const { SOL_SOCKET, SO_KEEPALIVE, IPPROTO_TCP } = ka.constants;
  const [TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT] = [tcpOption('TCP_KEEPIDLE'), tcpOption('TCP_KEEPINTVL'), tcpOption('TCP_KEEPCNT')];
  switch (mode) {
    case 'none':
    case 'lib-listener':
      return null;
    case 'core':
      return (socket, idle) => socket.setKeepAlive(true, idle);
    case 'lib':
      return (socket, idle) => ka.setKeepalive(socket, { idle, interval: INTERVAL_MS, count: COUNT });
    case 'sockopt': {
      const { sockopt } = peers!;
      return (socket, idle) => {
        sockopt.setsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE, idle / 1000);
        sockopt.setsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL, INTERVAL_MS / 1000);
        sockopt.setsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT, COUNT);
        sockopt.setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, 1);
      };
    }
    case 'net-keepalive': {
      const { netKeepalive } = peers!;
      return (socket, idle) => {
        socket.setKeepAlive(true, idle);
        netKeepalive.setKeepAliveInterval(socket, INTERVAL_MS);
        netKeepalive.setKeepAliveProbes(socket, COUNT);
      };
    }
  }
}

/** Every accepted socket must hold what its mode configured. */
function verify(mode: ScaleMode, sockets: readonly net.Socket[], idle: number): void {
  const expected =
    mode === 'none'
      ? null
      : mode === 'core'
        ? { idle, interval: 1000, count: 10 }
        : { idle, interval: INTERVAL_MS, count: COUNT };
  for (const socket of sockets) {
    const state = ka.getKeepalive(socket);
    const ok = expected
      ? state.enable && state.idle === expected.idle && state.interval === expected.interval && state.count === expected.count
      : !state.enable;
    if (!ok) throw new Error(`scale ${mode}: an accepted socket holds ${JSON.stringify(state)}`);
  }
}

function nextMessage(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>): void => {
      if (typeof message.error === 'string') return; // counted by the server side
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(message);
    };
    const onExit = (code: number | null): void => reject(new Error(`client exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function runScale(
  mode: ScaleMode,
  connections: number,
  peers: Peers | null,
  childScript: string,
): Promise<ScaleRun> {
  const server = net.createServer();
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  let serverCallNs: number | null = null;
  if (mode === 'lib-listener') {
    const start = process.hrtime.bigint();
    ka.setKeepalive(server, { idle: IDLE_MS[0], interval: INTERVAL_MS, count: COUNT });
    serverCallNs = Number(process.hrtime.bigint() - start);
  }
  const configure = configureFor(mode, peers);
  const port = (server.address() as net.AddressInfo).port;
  const child = fork(childScript, ['client', String(port), String(connections), '256'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await nextMessage(child); // ready

  collectGarbage();
  const before = process.memoryUsage();
  const accepted: net.Socket[] = [];
  let handlerNs = 0;
  let done!: () => void;
  const allAccepted = new Promise<void>((resolve) => (done = resolve));
  server.on('connection', (socket) => {
    socket.on('error', () => {}); // resets at the end
    // Timed in every mode, so that 'none' shows what the timer itself costs.
    const start = process.hrtime.bigint();
    if (configure) configure(socket, IDLE_MS[0]);
    handlerNs += Number(process.hrtime.bigint() - start);
    accepted.push(socket);
    if (accepted.length === connections) done();
  });
  const start = process.hrtime.bigint();
  const clientDone = nextMessage(child);
  child.send({ command: 'go' });
  await allAccepted;
  const acceptNs = Number(process.hrtime.bigint() - start);
  await clientDone;

  collectGarbage();
  const after = process.memoryUsage();
  verify(mode, accepted, IDLE_MS[0]);

  let batchNs: number | null = null;
  if (configure) {
    const batchStart = process.hrtime.bigint();
    for (const socket of accepted) configure(socket, IDLE_MS[1]);
    batchNs = Number(process.hrtime.bigint() - batchStart);
    verify(mode, accepted, IDLE_MS[1]);
  }

  const exited = once(child, 'exit');
  child.send({ command: 'close' });
  await exited;
  for (const socket of accepted) socket.destroy();
  server.close();
  await once(server, 'close');

  return {
    mode,
    connections,
    acceptNsPerConnection: acceptNs / connections,
    handlerNsPerConnection: handlerNs / connections,
    batchNsPerConnection: batchNs === null ? null : batchNs / connections,
    serverCallNs,
    rssDelta: after.rss - before.rss,
    heapDelta: after.heapUsed - before.heapUsed,
  };
}
