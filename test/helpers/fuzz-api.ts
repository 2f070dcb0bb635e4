// Property-based fuzzing of the whole public API: inputs nobody thought to
// write a case for. Every generated call runs against real sockets; the
// independent reader (CPython's socket module, test/helpers/kernel-watch.ts)
// checks after each one:
// - it returned or threw an error with a string `code` (no crash: a crash
//   kills the test process and fails the run);
// - after a throw, no watched socket's keepalive options changed;
// - what it returned equals what the kernel holds, and what was asked for
//   (own properties only) is what changed, on the socket named and no other.
// Option numbers for the generic API are those that cannot reach anything
// outside these sockets (see sockopt-child.mjs for the rest, in a namespace).
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { types } from 'node:util';
import fc from 'fast-check';
import * as api from '../../lib/index';
import * as netKeepalive from '../../lib/net-keepalive';
import { KernelWatch, type WatchedKeepalive } from './kernel-watch';
import { connectedPair, listenUnix, track } from './loopback';

const { constants } = api;
const caps = api.capabilities();

/** The sockets and other things a call can be aimed at. */
export interface Pool {
  client: net.Socket;
  accepted: net.Socket;
  server: net.Server;
  unixClient: net.Socket;
  watch: KernelWatch;
  watched: Map<object | number, number>; // target -> descriptor, for those the reader watches
  targets: Array<{ label: string; value: unknown; fd?: number }>;
}

function fdOf(thing: net.Socket | net.Server): number {
  return (thing as unknown as { _handle: { fd: number } })._handle.fd;
}

export async function makePool(): Promise<Pool> {
  const { client, accepted, server } = await connectedPair();
  const { server: unixServer, path } = await listenUnix(net.createServer());
  const unixClient = track(net.connect(path));
  await once(unixClient, 'connect');
  void unixServer;
  const destroyed = track(net.connect((server.address() as net.AddressInfo).port, '127.0.0.1'));
  await once(destroyed, 'connect');
  destroyed.destroy();
  const fileFd = fs.openSync('/dev/null', 'r');
  const udp = dgram.createSocket('udp4');
  const fds = [client, accepted, server, unixClient].map(fdOf);
  const watch = new KernelWatch(fds);
  const watched = new Map<object | number, number>([
    [client, fds[0]], [accepted, fds[1]], [server, fds[2]], [unixClient, fds[3]],
  ]);
  for (const fd of fds) watched.set(fd, fd);
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const targets: Pool['targets'] = [
    { label: 'client socket', value: client, fd: fds[0] },
    { label: 'accepted socket', value: accepted, fd: fds[1] },
    { label: 'listening server', value: server, fd: fds[2] },
    { label: 'unix socket', value: unixClient, fd: fds[3] },
    { label: 'client fd', value: fds[0], fd: fds[0] },
    { label: 'server fd', value: fds[2], fd: fds[2] },
    { label: 'unix fd', value: fds[3], fd: fds[3] },
    { label: 'file fd', value: fileFd },
    { label: 'closed fd', value: 1_000_000 },
    { label: 'destroyed socket', value: destroyed },
    { label: 'unconnected socket', value: new net.Socket() },
    { label: 'server not listening', value: net.createServer() },
    { label: 'udp socket object', value: udp },
    { label: 'revoked proxy', value: revoked },
    { label: 'proxy of the client', value: new Proxy(client, {}) },
    { label: 'Symbol constructor name', value: { constructor: { name: Symbol('x') } } },
    { label: 'throwing constructor', value: Object.defineProperty({}, 'constructor', { get() { throw new Error('x'); } }) },
    { label: 'null-prototype object', value: Object.create(null) },
    { label: 'http.Agent', value: new http.Agent() },
    ...[null, undefined, -1, 1.5, NaN, Infinity, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, 5e-324, '3', 3n, true, Symbol('t'), () => 3]
      .map((value) => ({ label: `weird ${String(value)}`, value })),
  ];
  return { client, accepted, server, unixClient, watch, watched, targets };
}

export function closePool(pool: Pool): void {
  pool.watch.close();
  for (const { value } of pool.targets) {
    if (types.isProxy(value)) continue;
    if (value instanceof net.Socket) value.destroy();
    else if (value instanceof dgram.Socket) value.close();
    else if (value instanceof net.Server && value.listening) value.close();
  }
}

// ---------- inputs ----------

const OPTION_KEYS = ['enable', 'idle', 'interval', 'count', 'userTimeout'] as const;
type OptionKey = (typeof OPTION_KEYS)[number];

const weirdNumber = fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 999.5, 1e-300, 2 ** 31, -(2 ** 31), 2 ** 53, Number.MIN_VALUE);
const wrongType = fc.constantFrom<unknown>(null, '1000', 5n, {}, [], true, Symbol('v'), () => 1, new Number(1000));

function fieldValue(key: OptionKey): fc.Arbitrary<unknown> {
  const limits = caps[key];
  // Mostly valid, so that most calls reach the kernel.
  if (key === 'enable') return fc.oneof({ weight: 12, arbitrary: fc.boolean() }, wrongType);
  if (key === 'count') return fc.oneof({ weight: 12, arbitrary: fc.integer({ min: limits.min, max: limits.max }) }, fc.integer(), weirdNumber, wrongType);
  return fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: limits.min, max: limits.max }) },
    fc.double({ min: 0, max: limits.max * 1.01, noNaN: true }),
    weirdNumber,
    wrongType,
  );
}

/** The plain values, and how they are wrapped for the call. */
export interface OptionsSpec {
  values: Partial<Record<OptionKey, unknown>>;
  extraKey: boolean;
  wrapper: 'plain' | 'getters' | 'proxy' | 'null-prototype' | 'inherited' | 'throwing-getter' | 'revoked' | 'array' | 'primitive' | 'undefined';
  pollution: Partial<Record<OptionKey, unknown>>;
}

export const optionsSpec: fc.Arbitrary<OptionsSpec> = fc.record({
  values: fc.record(Object.fromEntries(OPTION_KEYS.map((key) => [key, fieldValue(key)])) as Record<OptionKey, fc.Arbitrary<unknown>>, { requiredKeys: [] }),
  extraKey: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true)),
  wrapper: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'getters', 'getters', 'proxy', 'proxy', 'null-prototype', 'inherited', 'throwing-getter', 'revoked', 'array', 'primitive', 'undefined'),
  pollution: fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    fc.record({ enable: fc.constant(false), idle: fc.constant(1_000), count: fc.constant(2) }, { requiredKeys: [] }),
  ),
});

/** Builds the options object; `reads` counts each property read. */
export function buildOptions(spec: OptionsSpec, reads: Map<string, number>): unknown {
  const values: Record<string, unknown> = { ...spec.values };
  if (spec.extraKey) values.idel = 1_000;
  const count = (key: string) => reads.set(key, (reads.get(key) ?? 0) + 1);
  switch (spec.wrapper) {
    case 'plain':
      return values;
    case 'getters': {
      const object = {};
      for (const [key, value] of Object.entries(values)) {
        Object.defineProperty(object, key, { enumerable: true, get: () => (count(key), value) });
      }
      return object;
    }
    case 'proxy':
      return new Proxy(values, { get: (target, key, receiver) => (count(String(key)), Reflect.get(target, key, receiver)) });
    case 'null-prototype':
      return Object.assign(Object.create(null), values);
    case 'inherited':
      return Object.create(values); // none of them own: all ignored
    case 'throwing-getter':
      return Object.defineProperty({ ...values }, 'count', { enumerable: true, get() { throw new Error('getter'); } });
    case 'revoked': {
      const { proxy, revoke } = Proxy.revocable(values, {});
      revoke();
      return proxy;
    }
    case 'array':
      return Object.assign([], values);
    case 'primitive':
      return 42;
    case 'undefined':
      return undefined;
  }
}

/** What setKeepalive must do with these options: throw (why) or apply exactly these kernel values. */
export function expectedChange(spec: OptionsSpec): { throws: true } | { throws: false; kernel: Partial<WatchedKeepalive> } {
  const wrapper = spec.wrapper;
  if (wrapper === 'undefined') return { throws: false, kernel: { keepalive: 1 } };
  if (wrapper === 'inherited') return { throws: false, kernel: { keepalive: 1 } }; // nothing own, nothing unknown
  if (wrapper === 'throwing-getter' || wrapper === 'revoked' || wrapper === 'array' || wrapper === 'primitive') return { throws: true };
  if (spec.extraKey) return { throws: true };
  const kernel: Partial<WatchedKeepalive> = { keepalive: 1 };
  for (const key of OPTION_KEYS) {
    if (!(key in spec.values)) continue;
    const value = spec.values[key];
    if (value === undefined) continue;
    const limits = caps[key];
    if (key === 'enable') {
      if (typeof value !== 'boolean') return { throws: true };
      kernel.keepalive = value ? 1 : 0;
      continue;
    }
    if (typeof value !== 'number') return { throws: true };
    if (key === 'count') {
      if (!Number.isInteger(value) || value < limits.min || value > limits.max) return { throws: true };
      kernel.count = value;
      continue;
    }
    const unit = limits.unitMs;
    const rounded = Math.ceil(value / unit) * unit;
    if (!(value >= 0 && rounded >= limits.min && rounded <= limits.max)) return { throws: true };
    kernel[key] = key === 'userTimeout' ? rounded : rounded / 1000;
  }
  return { throws: false, kernel };
}

// ---------- checks ----------

function expectCoded(error: unknown, context: string): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code === '') {
    throw new Error(`${context}: threw an error without a code: ${String((error as Error)?.stack ?? error)}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function assertUnchanged(before: Map<number, WatchedKeepalive>, after: Map<number, WatchedKeepalive>, context: string, except?: number): void {
  for (const [fd, state] of before) {
    if (fd === except) continue;
    if (!same(state, after.get(fd))) throw new Error(`${context}: socket fd ${fd} changed: ${JSON.stringify(state)} -> ${JSON.stringify(after.get(fd))}`);
  }
}

/** The library's state (ms) as the kernel's units. */
function asKernel(state: api.KeepaliveState): WatchedKeepalive {
  return {
    keepalive: state.enable ? 1 : 0,
    idle: state.idle === null ? null : state.idle / 1000,
    interval: state.interval === null ? null : state.interval / 1000,
    count: state.count,
    userTimeout: state.userTimeout,
  };
}

function polluting<T>(pollution: Partial<Record<OptionKey, unknown>>, run: () => T): T {
  const keys = Object.keys(pollution);
  for (const key of keys) {
    Object.defineProperty(Object.prototype, key, { value: pollution[key as OptionKey], enumerable: true, configurable: true, writable: true });
  }
  try {
    return run();
  } finally {
    for (const key of keys) delete (Object.prototype as Record<string, unknown>)[key];
  }
}

/** Calls `run`, returning what it returned or threw; never lets it escape. */
function attempt<T>(run: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

// ---------- the calls ----------

const SOCKOPT_KEEPALIVE: Array<[string, number, number, OptionKey]> = [
  ['SO_KEEPALIVE', constants.SOL_SOCKET, constants.SO_KEEPALIVE, 'enable'],
  ['TCP_KEEPIDLE', constants.IPPROTO_TCP, constants.TCP_KEEPIDLE!, 'idle'],
  ['TCP_KEEPINTVL', constants.IPPROTO_TCP, constants.TCP_KEEPINTVL, 'interval'],
  ['TCP_KEEPCNT', constants.IPPROTO_TCP, constants.TCP_KEEPCNT, 'count'],
  ['TCP_USER_TIMEOUT', constants.IPPROTO_TCP, constants.TCP_USER_TIMEOUT!, 'userTimeout'],
];
const KERNEL_KEY: Record<OptionKey, keyof WatchedKeepalive> = { enable: 'keepalive', idle: 'idle', interval: 'interval', count: 'count', userTimeout: 'userTimeout' };

// Options that only change the socket itself, plus levels no protocol of
// these sockets answers (ENOPROTOOPT): nothing outside the pool is reachable
// (not TCP_CONGESTION either: an unknown name makes the kernel try to load
// a module).
const sockOption = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SOCKOPT_KEEPALIVE.map(([, level, name]) => [level, name] as [number, number])) },
  fc.constantFrom<[number, number]>(
    [constants.SOL_SOCKET, constants.SO_RCVBUF], [constants.SOL_SOCKET, constants.SO_SNDBUF], [constants.IPPROTO_TCP, constants.TCP_NODELAY],
    [constants.IPPROTO_TCP, constants.TCP_INFO!], [constants.SOL_SOCKET, constants.SO_TYPE],
  ),
  fc.tuple(fc.integer({ min: 2, max: 2 ** 31 - 1 }).filter((level) => ![6, 41].includes(level) && level < 256 || level > 290), fc.integer()),
  fc.tuple(fc.oneof(weirdNumber, wrongType), fc.oneof(fc.integer({ min: 0, max: 20 }), weirdNumber)),
);

function viewOf(kind: number, bytes: Uint8Array): ArrayBufferView {
  const copyInto = (buffer: ArrayBufferLike, offset: number) => {
    new Uint8Array(buffer, offset, bytes.length).set(bytes);
    return buffer;
  };
  switch (kind) {
    case 0: return Buffer.from(bytes);
    case 1: return new DataView(copyInto(new ArrayBuffer(bytes.length + 3), 3), 3, bytes.length);
    case 2: return new Uint8Array(copyInto(new SharedArrayBuffer(bytes.length + 8), 8), 8, bytes.length);
    case 3: {
      const resizable = new (ArrayBuffer as new (n: number, o: object) => ArrayBuffer)(bytes.length, { maxByteLength: bytes.length + 16 });
      return new Uint8Array(copyInto(resizable, 0));
    }
    case 4: {
      const buffer = new ArrayBuffer(bytes.length);
      const view = new DataView(buffer);
      structuredClone(buffer, { transfer: [buffer] }); // detached
      return view;
    }
    case 5: {
      const view = new Uint8Array(copyInto(new ArrayBuffer(bytes.length + 4), 4), 4, bytes.length);
      return Object.defineProperties(view, { byteOffset: { value: 0 }, byteLength: { value: 65_536 } }); // lying
    }
    case 6: return new Uint8Array(65_537);
    default: return bytes.length % 4 === 0 ? new Int32Array(bytes.buffer.slice(0), 0, bytes.length / 4) : new Float64Array(1);
  }
}

export type Call =
  | { fn: 'setKeepalive'; target: number; options: OptionsSpec }
  | { fn: 'getKeepalive' | 'getTcpInfo'; target: number }
  | { fn: 'getSockOpt'; target: number; option: [unknown, unknown]; type: unknown; length: unknown }
  | { fn: 'setSockOpt'; target: number; option: [unknown, unknown]; type: unknown; value: unknown; view: [number, Uint8Array] }
  | { fn: 'configureAgent'; agent: number; options: OptionsSpec }
  | { fn: 'undiciConnect'; options: OptionsSpec; connectOptions: unknown }
  | { fn: 'netKeepalive'; setter: 'setKeepAliveInterval' | 'setKeepAliveProbes' | 'setUserTimeout' | 'get'; target: number; value: unknown };

export function callArbitrary(pool: Pool): fc.Arbitrary<Call> {
  const target = fc.integer({ min: 0, max: pool.targets.length - 1 }).chain((index) =>
    // Aim at the real sockets most of the time.
    fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }) }, fc.constant(index)),
  );
  const sockType = fc.constantFrom<unknown>('int', 'int', 'int', 'bool', 'buffer', 'buffer', 'buffer', 'string', 7, undefined);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ fn: fc.constant('setKeepalive' as const), target, options: optionsSpec }) },
    fc.record({ fn: fc.constantFrom('getKeepalive' as const, 'getTcpInfo' as const), target }),
    { weight: 2, arbitrary: fc.record({ fn: fc.constant('getSockOpt' as const), target, option: sockOption, type: sockType, length: fc.oneof(fc.constant(undefined), fc.integer({ min: -1, max: 70_000 }), weirdNumber) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        fn: fc.constant('setSockOpt' as const),
        target,
        option: sockOption,
        type: sockType,
        value: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -5, max: 40_000 }) }, { weight: 2, arbitrary: fc.boolean() }, weirdNumber, wrongType),
        view: fc.tuple(
          fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, 2, 3, 7) }, fc.integer({ min: 4, max: 6 })),
          fc.oneof({ weight: 3, arbitrary: fc.uint8Array({ minLength: 4, maxLength: 4 }) }, fc.uint8Array({ minLength: 0, maxLength: 16 })),
        ),
      }),
    },
    fc.record({ fn: fc.constant('configureAgent' as const), agent: fc.integer({ min: 0, max: 3 }), options: optionsSpec }),
    fc.record({ fn: fc.constant('undiciConnect' as const), options: optionsSpec, connectOptions: fc.constantFrom<unknown>(undefined, {}, null, 3, { timeout: 1_000 }) }),
    fc.record({
      fn: fc.constant('netKeepalive' as const),
      setter: fc.constantFrom('setKeepAliveInterval' as const, 'setKeepAliveProbes' as const, 'setUserTimeout' as const, 'get' as const),
      target,
      value: fc.oneof(fc.integer({ min: -10, max: 200_000 }), weirdNumber, wrongType),
    }),
  );
}

/** How many calls ended how (function:ok or function:code), to see what a run covered. */
export const outcomes = new Map<string, number>();

const AGENTS = [() => new http.Agent(), () => null, () => ({}), () => Proxy.revocable({}, {}).proxy];

/** Runs one call and checks it against the kernel; throws (with the reason) when a property does not hold. */
export async function runCall(pool: Pool, call: Call): Promise<void> {
  const before = await pool.watch.readAll();
  const context = `${call.fn} ${JSON.stringify(call, (_k, v) => (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function' ? String(v) : v instanceof Uint8Array ? [...v] : v))}`;
  const aim = 'target' in call ? pool.targets[call.target] : undefined;
  const fd = aim?.fd;
  const reads = new Map<string, number>();
  let outcome: ReturnType<typeof attempt<unknown>>;
  switch (call.fn) {
    case 'setKeepalive': {
      const options = buildOptions(call.options, reads);
      outcome = polluting(call.options.pollution, () => attempt(() => api.setKeepalive(aim!.value as net.Socket, options as api.KeepaliveOptions)));
      break;
    }
    case 'getKeepalive':
      outcome = attempt(() => api.getKeepalive(aim!.value as net.Socket));
      break;
    case 'getTcpInfo':
      outcome = attempt(() => api.getTcpInfo(aim!.value as net.Socket));
      break;
    case 'getSockOpt':
      outcome = attempt(() => api.getSockOpt(aim!.value as net.Socket, call.option[0] as number, call.option[1] as number, call.type as 'int', call.length as number));
      break;
    case 'setSockOpt': {
      const value = call.type === 'buffer' ? viewOf(...call.view) : call.value;
      outcome = attempt(() => api.setSockOpt(aim!.value as net.Socket, call.option[0] as number, call.option[1] as number, value as number, call.type as 'int'));
      break;
    }
    case 'configureAgent': {
      const options = buildOptions(call.options, reads);
      const agent = AGENTS[call.agent]();
      outcome = polluting(call.options.pollution, () => attempt(() => api.configureAgent(agent as http.Agent, options as api.KeepaliveOptions)));
      (agent as http.Agent | null)?.destroy?.();
      break;
    }
    case 'undiciConnect': {
      const options = buildOptions(call.options, reads);
      outcome = attempt(() => api.undiciConnect(options as api.KeepaliveOptions, call.connectOptions as Record<string, unknown>));
      break;
    }
    case 'netKeepalive': {
      const socket = aim!.value as net.Socket;
      outcome = attempt(() => {
        if (call.setter === 'get') {
          return [netKeepalive.getKeepAliveInterval(socket), netKeepalive.getKeepAliveProbes(socket), netKeepalive.getUserTimeout(socket)];
        }
        return netKeepalive[call.setter](socket, call.value as number);
      });
      break;
    }
  }
  const tally = `${call.fn}:${outcome.ok ? 'ok' : (outcome.error as { code?: string }).code}`;
  outcomes.set(tally, (outcomes.get(tally) ?? 0) + 1);
  for (const [key, times] of reads) if (times > 1) throw new Error(`${context}: options.${key} was read ${times} times`);
  const after = await pool.watch.readAll();

  if (!outcome.ok) {
    expectCoded(outcome.error, context);
    assertUnchanged(before, after, context);
    return;
  }
  const value = outcome.value;
  // Whatever succeeded changed at most the socket it named.
  assertUnchanged(before, after, context, fd);
  const kernel = fd === undefined ? undefined : after.get(fd);
  switch (call.fn) {
    case 'setKeepalive': {
      const expected = expectedChange(call.options);
      if (expected.throws) throw new Error(`${context}: succeeded, but these options must be refused`);
      if (value === null) {
        if (fd !== undefined) throw new Error(`${context}: returned null for a socket with a descriptor`);
        return;
      }
      if (!kernel) throw new Error(`${context}: succeeded on a target that is not a watched socket`);
      if (!same(asKernel(value as api.KeepaliveState), kernel)) throw new Error(`${context}: returned ${JSON.stringify(value)}, kernel ${JSON.stringify(kernel)}`);
      const wanted = { ...before.get(fd!), ...expected.kernel };
      if (!same(kernel, wanted)) throw new Error(`${context}: kernel ${JSON.stringify(kernel)}, expected ${JSON.stringify(wanted)}`);
      return;
    }
    case 'getKeepalive':
      if (!kernel || !same(asKernel(value as api.KeepaliveState), kernel)) throw new Error(`${context}: returned ${JSON.stringify(value)}, kernel ${JSON.stringify(kernel)}`);
      if (!same(before.get(fd!), kernel)) throw new Error(`${context}: a read changed the socket`);
      return;
    case 'getTcpInfo': {
      const state = await pool.watch.tcpState(fd!);
      const names: Record<number, string> = { 1: 'ESTABLISHED', 10: 'LISTEN' };
      if ((value as api.TcpInfo).state !== names[state]) throw new Error(`${context}: state ${(value as api.TcpInfo).state}, kernel ${state}`);
      return;
    }
    case 'getSockOpt': {
      if (call.type !== 'int' && call.type !== 'bool') return;
      const real = await pool.watch.int(fd!, call.option[0] as number, call.option[1] as number);
      const expected = call.type === 'bool' ? real !== 0 : real;
      if (value !== expected) throw new Error(`${context}: returned ${String(value)}, kernel ${JSON.stringify(real)}`);
      return;
    }
    case 'setSockOpt': {
      const match = SOCKOPT_KEEPALIVE.find(([, level, name]) => level === call.option[0] && name === call.option[1]);
      if (!match || call.type === 'buffer') return;
      const set = call.type === 'bool' ? (call.value ? 1 : 0) : (call.value as number);
      const got = kernel?.[KERNEL_KEY[match[3]]];
      if (got !== (match[3] === 'enable' ? (set ? 1 : 0) : set)) throw new Error(`${context}: set ${set}, kernel holds ${String(got)}`);
      return;
    }
    case 'configureAgent':
    case 'undiciConnect': {
      // They only check and keep the options; what they accept setKeepalive must accept.
      if (expectedChange(call.options).throws) throw new Error(`${context}: accepted options that must be refused`);
      return;
    }
    case 'netKeepalive': {
      if (call.setter === 'get') {
        const [interval, probes, userTimeout] = value as number[];
        if (interval !== kernel!.interval! * 1000 || probes !== kernel!.count || userTimeout !== kernel!.userTimeout) {
          throw new Error(`${context}: returned ${JSON.stringify(value)}, kernel ${JSON.stringify(kernel)}`);
        }
      }
      return;
    }
  }
}
