// Input written to deceive (a caller's objects can run code while they are
// read): getters with side effects, proxies, a polluted Object.prototype,
// views that lie about their bytes.
// Each call either does exactly what the caller's values say, on the socket
// named, or throws a coded error with the kernel untouched.
import http from 'node:http';
import net from 'node:net';
import { inspect } from 'node:util';
import * as undici from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { configureAgent, constants, getKeepalive, getSockOpt, getTcpInfo, setKeepalive, setSockOpt, undiciConnect } from '../../lib/index';
import * as netKeepalive from '../../lib/net-keepalive';
import { fdOf, kernelKeepalive } from '../helpers/kernel';
import { closeAll, connectedPair, listen, listenUnix, portOf, track } from '../helpers/loopback';

afterEach(closeAll);

const { IPPROTO_TCP, SOL_SOCKET, SO_KEEPALIVE } = constants;
// Linux and Windows (macOS names it TCP_KEEPALIVE): these tests run on those.
const TCP_KEEPIDLE = constants.TCP_KEEPIDLE!;

/** Runs `fn`, expecting it to throw an error whose `code` is `code`. */
function thrownBy(fn: () => unknown): Error & { code?: unknown; cause?: unknown } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: unknown };
  }
  throw new Error('expected a throw, got a return');
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** An options object whose getters count how often each is read. */
function countingOptions(values: Record<string, unknown>): { options: object; reads: Record<string, number> } {
  const reads: Record<string, number> = {};
  const options = {};
  for (const [key, value] of Object.entries(values)) {
    reads[key] = 0;
    Object.defineProperty(options, key, { enumerable: true, configurable: true, get: () => (reads[key]++, value) });
  }
  return { options, reads };
}

describe('options are read once, before the target is resolved', () => {
  it('a getter that closes the socket and opens a server in its place cannot make the call configure the server', async () => {
    const { client } = await connectedPair();
    const fd = fdOf(client);
    let intruder: net.Server | undefined;
    const options = {
      get idle() {
        client.destroy(); // closes the descriptor now
        // Without a host, listen() creates its socket synchronously: it takes the lowest free number.
        intruder = track(net.createServer().listen(0));
        return 5_000;
      },
    };
    const error = thrownBy(() => setKeepalive(client, options));
    expect(error.code).toBe('ERR_SOCKET_CLOSED');
    expect(fdOf(intruder!)).toBe(fd); // the attack's premise: the number was reused
    expect(kernelKeepalive(intruder!)).toMatchObject({ keepalive: 0 });
    expect(kernelKeepalive(intruder!).idle).not.toBe(5);
  });

  it('each option is read exactly once, through getters and through a proxy', async () => {
    const { client } = await connectedPair();
    const values = { enable: true, idle: 7_000, interval: 2_000, count: 4, userTimeout: 9_000 };
    const { options, reads } = countingOptions(values);
    setKeepalive(client, options);
    expect(reads).toEqual({ enable: 1, idle: 1, interval: 1, count: 1, userTimeout: 1 });
    expect(kernelKeepalive(client)).toEqual({ keepalive: 1, idle: 7, interval: 2, count: 4, userTimeout: 9_000 });

    const trapped: string[] = [];
    const proxy = new Proxy({ idle: 8_000 }, { get: (object, key, receiver) => (trapped.push(String(key)), Reflect.get(object, key, receiver)) });
    setKeepalive(client, proxy);
    expect(trapped).toEqual(['idle']);
    expect(kernelKeepalive(client).idle).toBe(8);
  });

  it('a getter or proxy trap that throws: ERR_INVALID_ARG_VALUE with the reason as cause, nothing changed', async () => {
    const { client } = await connectedPair();
    const before = kernelKeepalive(client);
    const reason = new Error('getter failed');
    const fromGetter = thrownBy(() => setKeepalive(client, { idle: 3_000, get count(): number { throw reason; } }));
    expect(fromGetter).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', cause: reason });
    expect(fromGetter.message).toMatch(/'options' could not be read: getter failed/);
    const fromTrap = thrownBy(() => setKeepalive(client, new Proxy({}, { ownKeys: () => { throw 'no keys'; } })));
    expect(fromTrap).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', cause: 'no keys' });
    expect(kernelKeepalive(client)).toEqual(before);
  });
});

describe('own properties only', () => {
  function polluted(key: string, value: unknown, run: () => void): void {
    Object.defineProperty(Object.prototype, key, { value, enumerable: true, configurable: true, writable: true });
    try {
      run();
    } finally {
      delete (Object.prototype as Record<string, unknown>)[key];
    }
  }

  it('Object.prototype.idle = 1000 sets nothing', async () => {
    const { client } = await connectedPair();
    const before = kernelKeepalive(client);
    polluted('idle', 1_000, () => setKeepalive(client, {}));
    expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1 });
  });

  it('Object.prototype.enable = false does not turn keepalive off', async () => {
    const { client } = await connectedPair();
    polluted('enable', false, () => expect(setKeepalive(client, {})?.enable).toBe(true));
    expect(kernelKeepalive(client).keepalive).toBe(1);
  });

  it('options inherited from a prototype object are ignored, and own ones are not', async () => {
    const { client } = await connectedPair();
    const before = kernelKeepalive(client);
    setKeepalive(client, Object.assign(Object.create({ idle: 2_000, interval: 3_000 }), { count: 6 }));
    expect(kernelKeepalive(client)).toEqual({ ...before, keepalive: 1, count: 6 });
  });
});

describe('every error the public API throws has a code', () => {
  it('configureAgent(null | undefined | primitive | revoked proxy, options): ERR_INVALID_ARG_TYPE', () => {
    for (const agent of [null, undefined, 42, 'agent', revokedProxy(), new Proxy(new http.Agent(), {})]) {
      const error = thrownBy(() => configureAgent(agent as http.Agent, { idle: 5_000 }));
      expect(error.code, inspect(agent)).toBe('ERR_INVALID_ARG_TYPE');
    }
  });

  it('an agent whose createConnection getter throws: ERR_INVALID_ARG_VALUE', () => {
    const agent = Object.defineProperty(new http.Agent(), 'createConnection', { get() { throw new Error('nope'); } });
    expect(thrownBy(() => configureAgent(agent, { idle: 5_000 })).code).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('a revoked proxy as target of every function: ERR_INVALID_ARG_TYPE', () => {
    const target = revokedProxy() as net.Socket;
    const calls: Array<() => unknown> = [
      () => setKeepalive(target, { idle: 5_000 }),
      () => getKeepalive(target),
      () => getTcpInfo(target),
      () => getSockOpt(target, SOL_SOCKET, SO_KEEPALIVE, 'int'),
      () => setSockOpt(target, SOL_SOCKET, SO_KEEPALIVE, 1, 'int'),
    ];
    for (const call of calls) expect(thrownBy(call).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrownBy(() => netKeepalive.setKeepAliveProbes(target, 3)).code).toBe('ERR_ASSERTION');
    expect(thrownBy(() => netKeepalive.getKeepAliveInterval(target)).code).toBe('ERR_ASSERTION');
  });

  it('a proxy of a real socket is refused: it could answer anything for the descriptor', async () => {
    const { client } = await connectedPair();
    const before = kernelKeepalive(client);
    const lying = new Proxy(client, { get: (object, key) => (key === '_handle' ? { fd: 0 } : Reflect.get(object, key)) });
    expect(thrownBy(() => setKeepalive(lying, { idle: 5_000 })).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(kernelKeepalive(client)).toEqual(before);
  });

  it('a revoked proxy as options: ERR_INVALID_ARG_VALUE from setKeepalive, configureAgent and undiciConnect', async () => {
    const { client } = await connectedPair();
    const options = revokedProxy();
    expect(thrownBy(() => setKeepalive(client, options)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrownBy(() => configureAgent(new http.Agent(), options)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrownBy(() => undiciConnect(options)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrownBy(() => undiciConnect({ idle: 5_000 }, options as Record<string, unknown>)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrownBy(() => undiciConnect({ idle: 5_000 }, null as unknown as Record<string, unknown>)).code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it("a target whose constructor.name is a Symbol, or whose constructor getter throws: ERR_INVALID_ARG_TYPE", () => {
    const symbolName = { constructor: { name: Symbol('sneaky') } };
    class Named {
      static get name(): never {
        throw new Error('name getter');
      }
    }
    const throwingConstructor = Object.defineProperty({}, 'constructor', { get() { throw new Error('constructor getter'); } });
    for (const target of [symbolName, new Named(), throwingConstructor]) {
      const error = thrownBy(() => getKeepalive(target as unknown as net.Socket));
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
    }
  });

  it('a value whose custom inspect throws is still described: ERR_INVALID_ARG_TYPE', async () => {
    const { client } = await connectedPair();
    // No constructor to name it by, so the message inspects it: its own inspect must not run.
    const idle = Object.assign(Object.create(null), { [inspect.custom]() { throw new Error('inspect'); } });
    expect(thrownBy(() => setKeepalive(client, { idle } as never)).code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('net-keepalive drop-in: a number argument whose constructor getter throws or a revoked proxy fail its assertion', async () => {
    const { client } = await connectedPair();
    const throwing = Object.defineProperty({}, 'constructor', { get() { throw new Error('constructor getter'); } });
    expect(thrownBy(() => netKeepalive.setKeepAliveInterval(client, throwing as never)).code).toBe('ERR_ASSERTION');
    expect(thrownBy(() => netKeepalive.setUserTimeout(client, revokedProxy() as never)).code).toBe('ERR_ASSERTION');
  });
});

describe('setSockOpt takes the bytes a view really shows', () => {
  const int32 = (value: number) => new Int32Array([value]);

  it('a detached DataView or typed array: ERR_INVALID_ARG_VALUE, nothing changed', async () => {
    const { client } = await connectedPair();
    const before = kernelKeepalive(client);
    for (const make of [(b: ArrayBuffer) => new DataView(b), (b: ArrayBuffer) => new Int32Array(b)]) {
      const buffer = new ArrayBuffer(4);
      const view = make(buffer);
      structuredClone(buffer, { transfer: [buffer] }); // detaches it
      const error = thrownBy(() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, view, 'buffer'));
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toMatch(/detached/);
    }
    expect(kernelKeepalive(client)).toEqual(before);
  });

  it('own byteOffset/byteLength/buffer properties that lie are not believed', async () => {
    const { client } = await connectedPair();
    const backing = new ArrayBuffer(12);
    new DataView(backing).setInt32(4, 42, true); // os.endianness() is LE on every supported target
    for (const view of [new DataView(backing, 4, 4), new Int32Array(backing, 4, 1)]) {
      Object.defineProperties(view, {
        byteOffset: { value: 0 },
        byteLength: { value: 65_536 },
        buffer: { value: new ArrayBuffer(65_536) },
      });
      setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, view, 'buffer');
      expect(kernelKeepalive(client).idle).toBe(42);
      setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, int32(1), 'buffer'); // reset for the next view
    }
  });

  it('SharedArrayBuffer, resizable and subarray views give their own bytes', async () => {
    const { client } = await connectedPair();
    const shared = new Int32Array(new SharedArrayBuffer(0x400004), 0x400000, 1);
    shared[0] = 77;
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, shared, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(77);

    // (Resizable buffers are newer than the ES2022 library types this project compiles against.)
    const resizable = new (ArrayBuffer as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(8, { maxByteLength: 64 });
    const tracking = new Int32Array(resizable, 4); // follows the buffer's length
    tracking[0] = 88;
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, tracking, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(88);

    const sub = new Int32Array([1, 2, 99, 4]).subarray(2, 3);
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, sub, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(99);
  });
});

describe('configureAgent and undiciConnect keep what they were given', () => {
  it('an error on a later connection still has a stack trace (its caller is no longer on the stack)', async () => {
    const { path: socketPath } = await listenUnix(http.createServer((_req, res) => res.end('ok')));
    const agent = configureAgent(new http.Agent(), { idle: 5_000 });
    const error = await new Promise<Error>((resolve) => http.get({ socketPath, agent, path: '/' }).on('error', resolve));
    expect(error).toMatchObject({ code: 'ENOTSUP' });
    expect(error.stack).toMatch(/\n\s+at /);
    agent.destroy();
  });

  it('configureAgent: each option read once, later changes to the object change nothing', async () => {
    const server = await listen(http.createServer((_req, res) => res.end('ok')));
    const { options, reads } = countingOptions({ idle: 15_000, count: 3 });
    const agent = configureAgent(new http.Agent({ keepAlive: true }), options);
    Object.defineProperty(options, 'idle', { value: 99_000 });
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: portOf(server), agent }, (res) => {
          sockets.push(res.socket as net.Socket);
          res.resume().on('end', resolve);
        }).on('error', reject);
      });
      await new Promise((resolve) => setImmediate(resolve)); // re-pooled: options applied again
      expect(kernelKeepalive(sockets[i])).toMatchObject({ keepalive: 1, idle: 15, count: 3 });
    }
    expect(reads).toEqual({ idle: 1, count: 1 });
    agent.destroy();
  });

  it('undiciConnect: options and connectOptions read once; later changes change nothing', async () => {
    const server = await listen(http.createServer((_req, res) => res.end('ok')));
    const { options, reads } = countingOptions({ idle: 16_000, interval: 4_000 });
    let timeoutReads = 0;
    const connectOptions = { get timeout() { return (timeoutReads++, 5_000); } };
    const connector = undiciConnect(options, connectOptions);
    let seen: ReturnType<typeof kernelKeepalive> | undefined;
    const dispatcher = new undici.Agent({
      connect: (connectionOptions, callback) =>
        connector(connectionOptions, (error, socket) => {
          if (socket) seen = kernelKeepalive(socket);
          error ? callback(error, null) : callback(null, socket!);
        }),
    });
    Object.defineProperty(options, 'idle', { value: 99_000 });
    const response = await undici.request(`http://127.0.0.1:${portOf(server)}/`, { dispatcher });
    await response.body.text();
    expect(seen).toMatchObject({ keepalive: 1, idle: 16, interval: 4 });
    expect(reads).toEqual({ idle: 1, interval: 1 });
    expect(timeoutReads).toBe(1);
    await dispatcher.close();
  });
});
