// The generic option functions can never make the kernel read or write
// outside the caller's bytes: options whose payload holds a pointer or whose
// length is not a byte count are refused, the kernel only ever sees private
// memory that ends at a guard page, and every
// kind of ArrayBufferView gives the bytes it truly covers or a coded error
// with the kernel untouched. Kernel state is read by the independent reader.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, constants, getSockOpt, setSockOpt } from '../../lib/index';
import { binding } from '../../lib/native';
import { fdOf, kernelBytes, kernelFilterLength, kernelKeepalive, kernelSetBytes } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';

afterEach(closeAll);

const linux = capabilities().backend === 'linux';
const isRoot = process.getuid?.() === 0;
const SO_ATTACH_FILTER = 26;
const SO_BINDTODEVICE = 25;
const CHILD = path.join(__dirname, '../fixtures/sockopt-child.cjs');
const READER = path.join(__dirname, '../helpers/kernel-reader.py');

// ES2024 resizable buffers (Node 20+), newer than the project's TypeScript lib.
type ResizableArrayBuffer = ArrayBuffer & { resize(length: number): void };
const ResizableArrayBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value);
  return bytes;
}

function runChild(scenario: string) {
  const result = spawnSync(process.execPath, ['--expose-gc', CHILD, scenario], {
    encoding: 'utf8',
    env: { ...process.env, TKA_READER: READER },
    timeout: 60_000,
  });
  return { status: result.status, signal: result.signal, stderr: result.stderr, report: result.stdout ? JSON.parse(result.stdout) : null };
}

describe('options whose payload holds a pointer or whose length is not a byte count', () => {
  it('the list is exported, and every entry is refused by the facade and natively, in both directions, with the kernel untouched', async () => {
    const { client } = await connectedPair();
    const fd = fdOf(client);
    expect(binding.refusedOptions.length).toBeGreaterThan(0);
    if (linux) {
      const labels = binding.refusedOptions.map((entry) => entry.label).join(' ');
      for (const name of ['SO_ATTACH_FILTER', 'SO_GET_FILTER', 'SO_ATTACH_REUSEPORT_CBPF', 'TCP_ZEROCOPY_RECEIVE', 'IPT_SO_', 'IP6T_SO_', 'ARPT_SO_', 'EBT_SO_']) {
        expect(labels).toContain(name);
      }
    }
    kernelSetBytes(client, constants.IPPROTO_TCP, constants.TCP_KEEPIDLE!, int32(77));
    const before = kernelKeepalive(client);
    const refused = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/refuse/) });
    for (const { level, first, last, label } of binding.refusedOptions) {
      for (const name of new Set([first, last])) {
        const payload = Buffer.alloc(64, 0x11);
        expect(() => getSockOpt(client, level, name, 'int'), label).toThrow(refused);
        expect(() => getSockOpt(client, level, name, 'buffer', 64), label).toThrow(refused);
        expect(() => setSockOpt(client, level, name, payload, 'buffer'), label).toThrow(refused);
        expect(() => setSockOpt(client, level, name, 1, 'int'), label).toThrow(refused);
        expect(() => binding.getSockOptInt(fd, level, name), label).toThrow(refused);
        expect(() => binding.getSockOptBuffer(fd, level, name, new Uint8Array(64)), label).toThrow(refused);
        expect(() => binding.setSockOptBuffer(fd, level, name, payload), label).toThrow(refused);
        expect(() => binding.setSockOptInt(fd, level, name, 1), label).toThrow(refused);
      }
    }
    expect(kernelKeepalive(client)).toEqual(before);
  });

  it("docs/security.md lists every entry of this platform's list", () => {
    const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'security.md'), 'utf8');
    for (const { label } of binding.refusedOptions) {
      for (const name of label.match(/[A-Z][A-Z0-9_]+[A-Z0-9_*]/g) ?? []) expect(docs, label).toContain(`\`${name}\``);
    }
  });

  it.runIf(linux)('SO_ATTACH_FILTER: a struct sock_fprog (its pointer made up) never reaches the kernel', async () => {
    const { client } = await connectedPair();
    // { len: 1, filter: 0x1000 } as the kernel would read it.
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(1, 0);
    fprog.writeBigUInt64LE(0x1000n, 8);
    const refused = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/SO_ATTACH_FILTER.*pointer/) });
    expect(() => setSockOpt(client, constants.SOL_SOCKET, SO_ATTACH_FILTER, fprog, 'buffer')).toThrow(refused);
    expect(() => binding.setSockOptBuffer(fdOf(client), constants.SOL_SOCKET, SO_ATTACH_FILTER, fprog)).toThrow(refused);
    expect(kernelFilterLength(client)).toBe(0);
  });

  // The finding: the kernel wrote 512 bytes into the library's 64-byte heap
  // buffer (abort), or 32 bytes into a 4-byte stack variable. Child
  // processes, because corruption is the failure mode.
  describe.runIf(linux)('SO_GET_FILTER on a socket carrying a filter', () => {
    for (const scenario of ['facade-buffer', 'facade-int', 'binding-buffer', 'binding-int']) {
      it(`${scenario}: a coded error, the caller's memory and the filter intact`, () => {
        const { status, signal, stderr, report } = runChild(scenario);
        expect({ status, signal }, stderr).toEqual({ status: 0, signal: null });
        expect(report).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', surroundIntact: true, filterLength: scenario.endsWith('-int') ? 4 : 64 });
      });
    }
  });
});

describe('every kind of ArrayBufferView: its true bytes, or a coded error with the kernel untouched', () => {
  const { IPPROTO_TCP, TCP_KEEPINTVL } = constants;
  const TCP_KEEPIDLE = constants.TCP_KEEPIDLE!; // Linux and Windows

  it('a view of a SharedArrayBuffer at an offset (typed array and DataView)', async () => {
    const { client } = await connectedPair();
    const shared = new SharedArrayBuffer(0x400008);
    const typed = new Int32Array(shared, 0x400000, 1);
    typed[0] = 33;
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, typed, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(33);
    const view = new DataView(shared, 0x400004, 4);
    view.setInt32(0, 34, true);
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPINTVL, view, 'buffer');
    expect(kernelKeepalive(client)).toMatchObject({ idle: 33, interval: 34 });
    // Reading into a shared view writes where it points.
    const target = new Uint8Array(shared, 0x400000, 4);
    expect(binding.getSockOptBuffer(fdOf(client), IPPROTO_TCP, TCP_KEEPINTVL, target)).toBe(4);
    expect(typed[0]).toBe(34);
  });

  it('subarrays of larger buffers and DataViews with an offset, set and get', async () => {
    const { client } = await connectedPair();
    const backing = new Uint8Array(64).fill(0xff);
    backing.set(int32(35), 20);
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, backing.subarray(20, 24), 'buffer');
    expect(kernelKeepalive(client).idle).toBe(35);
    const words = new Int32Array(16).fill(-1);
    words[9] = 36;
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, words.subarray(9, 10), 'buffer');
    expect(kernelKeepalive(client).idle).toBe(36);
    const out = new Uint8Array(32).fill(0xee);
    expect(binding.getSockOptBuffer(fdOf(client), IPPROTO_TCP, TCP_KEEPIDLE, new DataView(out.buffer, 8, 4))).toBe(4);
    expect(Buffer.from(out.subarray(8, 12)).readInt32LE()).toBe(36);
    expect([...out.subarray(0, 8), ...out.subarray(12)].every((byte) => byte === 0xee)).toBe(true);
  });

  it("views whose own byteOffset/byteLength lie: the engine's values count", async () => {
    const { client } = await connectedPair();
    const backing = new Uint8Array(12).fill(0xff);
    backing.set(int32(37), 4);
    const view = new DataView(backing.buffer, 4, 4);
    Object.defineProperty(view, 'byteOffset', { value: 0 });
    Object.defineProperty(view, 'byteLength', { value: 12 });
    Object.defineProperty(view, 'buffer', { value: new ArrayBuffer(12) });
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, view, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(37);

    class Liar extends Uint8Array {
      override get byteLength() {
        return 4;
      }
    }
    const huge = new Liar(65_537);
    huge.set(int32(99));
    const tooLong = expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, huge, 'buffer')).toThrow(tooLong);
    expect(() => binding.setSockOptBuffer(fdOf(client), IPPROTO_TCP, TCP_KEEPIDLE, huge)).toThrow(tooLong);
    const small = new Uint8Array(int32(38));
    Object.defineProperty(small, 'byteLength', { value: 1e9 });
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, small, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(38);
  });

  it('resizable ArrayBuffers: length-tracking views follow the buffer, out-of-bounds views are refused', async () => {
    const { client } = await connectedPair();
    const resizable = new ResizableArrayBuffer(8, { maxByteLength: 64 });
    const tracking = new Int32Array(resizable, 4); // length-tracking from byte 4
    const fixed = new DataView(resizable, 4, 4);
    tracking[0] = 39;
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, tracking, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(39);
    resizable.resize(16);
    tracking[0] = 40;
    tracking[1] = -1; // the view now covers 12 bytes; TCP_KEEPIDLE reads the first int
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, tracking, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(40);

    resizable.resize(2); // both views now lie outside the buffer
    const before = kernelKeepalive(client);
    const outOfBounds = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, tracking, 'buffer')).toThrow(outOfBounds);
    expect(() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, fixed, 'buffer')).toThrow(outOfBounds);
    expect(kernelKeepalive(client)).toEqual(before);

    resizable.resize(8);
    fixed.setInt32(0, 41, true);
    setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, fixed, 'buffer');
    expect(kernelKeepalive(client).idle).toBe(41);
  });

  function detached() {
    const typedBuffer = new ArrayBuffer(4);
    const viewBuffer = new ArrayBuffer(4);
    const typed = new Uint8Array(typedBuffer);
    const view = new DataView(viewBuffer);
    structuredClone([typedBuffer, viewBuffer], { transfer: [typedBuffer, viewBuffer] });
    return { typed, view };
  }

  it('detached buffers: a coded error before any system call, from the facade and the binding', async () => {
    const { client } = await connectedPair();
    kernelSetBytes(client, IPPROTO_TCP, TCP_KEEPIDLE, int32(42));
    const before = kernelKeepalive(client);
    const { typed, view } = detached();
    const code = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/detached/) });
    for (const value of [typed, view]) {
      expect(() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, value, 'buffer')).toThrow(code);
      expect(() => binding.setSockOptBuffer(fdOf(client), IPPROTO_TCP, TCP_KEEPIDLE, value)).toThrow(code);
      expect(() => binding.getSockOptBuffer(fdOf(client), IPPROTO_TCP, TCP_KEEPIDLE, value)).toThrow(code);
    }
    expect(kernelKeepalive(client)).toEqual(before);
  });

  // An empty payload is meaningful to some options: SO_BINDTODEVICE with
  // length 0 unbinds the socket. A detached view must not pass for one.
  it.runIf(linux && isRoot)('a detached view does not unbind a socket bound to a device (SO_BINDTODEVICE)', async () => {
    const { client } = await connectedPair();
    kernelSetBytes(client, constants.SOL_SOCKET, SO_BINDTODEVICE, Buffer.from('lo'));
    const bound = kernelBytes(client, constants.SOL_SOCKET, SO_BINDTODEVICE, 16).toString().replace(/\0+$/, '');
    expect(bound).toBe('lo');
    const { typed, view } = detached();
    for (const value of [typed, view]) {
      expect(() => setSockOpt(client, constants.SOL_SOCKET, SO_BINDTODEVICE, value, 'buffer')).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
      expect(() => binding.setSockOptBuffer(fdOf(client), constants.SOL_SOCKET, SO_BINDTODEVICE, value)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
    expect(kernelBytes(client, constants.SOL_SOCKET, SO_BINDTODEVICE, 16).toString().replace(/\0+$/, '')).toBe('lo');
  });

  it('anything else is ERR_INVALID_ARG_TYPE, from the binding too', async () => {
    const { client } = await connectedPair();
    const type = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' });
    for (const value of [new ArrayBuffer(4), [1, 2, 3, 4], { byteLength: 4, buffer: new ArrayBuffer(4) }, 'abcd']) {
      expect(() => setSockOpt(client, IPPROTO_TCP, TCP_KEEPIDLE, value as never, 'buffer')).toThrow(type);
      expect(() => binding.setSockOptBuffer(fdOf(client), IPPROTO_TCP, TCP_KEEPIDLE, value as never)).toThrow(type);
    }
  });
});
