// The structural defence, seen working: with the refusal list switched off
// for reads (a hook only the sanitizer build of npm run test:asan has),
// SO_GET_FILTER makes the kernel write 8 bytes per instruction of the
// attached filter whatever optlen says. The kernel writes into the addon's
// private memory, which ends at a guard page: the call fails with EFAULT and
// the caller's memory is untouched. AddressSanitizer cannot see writes the
// kernel makes; this is what shows they stay inside.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { constants } from '../../lib/index';
import { binding, SLOT, slots } from '../../lib/native';
import { fdOf, kernelAttachFilter, kernelFilterLength } from '../helpers/kernel';
import { closeAll, connectedPair } from '../helpers/loopback';

const SO_GET_FILTER = 26;
const EFAULT = -14;

afterEach(closeAll);

beforeAll(() => {
  if (!binding.testAllowRefusedReads) throw new Error('the test hooks are missing: run these tests with npm run test:asan');
  binding.testAllowRefusedReads(true);
});
afterAll(() => binding.testAllowRefusedReads?.(false));

function surrounded(length: number) {
  const memory = new Uint8Array(length + 4096).fill(0xa5);
  return { view: memory.subarray(0, length), rest: () => memory.subarray(length).every((byte) => byte === 0xa5) };
}

describe('the guard page behind the generic functions', () => {
  it('a buffer read the kernel overruns (512 bytes into 64) fails with EFAULT, the caller untouched', async () => {
    const { client } = await connectedPair();
    kernelAttachFilter(client, 64);
    const { view, rest } = surrounded(64);
    expect(binding.getSockOptBuffer(fdOf(client), constants.SOL_SOCKET, SO_GET_FILTER, view)).toBe(EFAULT);
    expect(binding.syscalls[slots[SLOT.failedSyscall]!]).toBe('getsockopt');
    expect(view.every((byte) => byte === 0xa5)).toBe(true);
    expect(rest()).toBe(true);
    expect(kernelFilterLength(client)).toBe(64);
  });

  it('an int read the kernel overruns (32 bytes into 4) fails with EFAULT', async () => {
    const { client } = await connectedPair();
    kernelAttachFilter(client, 4);
    expect(binding.getSockOptInt(fdOf(client), constants.SOL_SOCKET, SO_GET_FILTER)).toBe(EFAULT);
    kernelAttachFilter(client, 1); // 8 bytes into 4: one byte past is enough
    expect(binding.getSockOptInt(fdOf(client), constants.SOL_SOCKET, SO_GET_FILTER)).toBe(EFAULT);
    expect(kernelFilterLength(client)).toBe(1);
  });

  it("with room for all of it the same read succeeds, inside the caller's bytes", async () => {
    const { client } = await connectedPair();
    kernelAttachFilter(client, 8);
    const { view, rest } = surrounded(64);
    // The kernel writes 64 bytes but reports 8, the length in instructions:
    // the reason the list refuses the option in the first place. Only the 8
    // bytes reported reach the caller (the first instruction, "ld #0").
    expect(binding.getSockOptBuffer(fdOf(client), constants.SOL_SOCKET, SO_GET_FILTER, view)).toBe(8);
    expect(view.subarray(0, 8).every((byte) => byte === 0)).toBe(true);
    expect(view.subarray(8).every((byte) => byte === 0xa5)).toBe(true);
    expect(rest()).toBe(true);
  });
});
