// All or nothing on Windows, with a late failure that happens for real:
// under Wine, SIO_KEEPALIVE_VALS becomes setsockopt(SO_KEEPALIVE),
// setsockopt(TCP_KEEPIDLE), setsockopt(TCP_KEEPINTVL) on the Linux socket,
// and Linux refuses an idle time above 32767 s after the switch has changed.
// Windows accepts more, so the request is valid for the library and fails
// only in the system, part way. Every earlier change must be undone, checked
// in the kernel. (Wine 8 ignores a refused interval and reports success, so
// only the idle time can be made to fail this way; see docs/windows.md.)
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { capabilities, getKeepalive, setKeepalive } from '../../lib/index';
import { closeAll, connectedPair, kernelKeepalive, oracle } from '../helpers/windows';

afterEach(closeAll);

const LINUX_MAX_MS = 32_767_000;
const tooLongForLinux = LINUX_MAX_MS + 1_000;

// Windows itself accepts the value: this failure exists only under Wine.
describe('rollback after a late failure (Windows back end under Wine)', { skip: !oracle && 'needs Wine' }, () => {
  it('the limit is valid for the library: the failure comes from the system', () => {
    assert.ok(capabilities().idle.max >= tooLongForLinux);
  });

  for (const enable of [true, false]) {
    it(`keepalive ${enable ? 'on' : 'off'} before: the error is thrown and the switch is put back`, async () => {
      const { client } = await connectedPair();
      setKeepalive(client, { enable, idle: 30_000, interval: 5_000 });
      const before = await kernelKeepalive(client);
      assert.deepEqual([before.keepalive, before.idle, before.interval], [enable ? 1 : 0, 30, 5]);

      let error: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
      try {
        setKeepalive(client, { enable: true, idle: tooLongForLinux, interval: 6_000 });
      } catch (caught) {
        error = caught as Error;
      }
      assert.ok(error, 'the system refused the idle time');
      assert.equal(error.code, 'EINVAL');
      assert.equal(error.errno, -4071);
      assert.equal(error.syscall, 'WSAIoctl');
      assert.deepEqual(await kernelKeepalive(client), before);
      const state = getKeepalive(client);
      assert.deepEqual([state.enable, state.idle, state.interval], [enable, 30_000, 5_000]);
    });
  }
});
