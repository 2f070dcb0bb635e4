// The keepalive fields are defined once, by the addon (native/core/keepalive.h):
// the facade's validation and requests follow whatever list and kinds the
// addon exports. Shown with the real addon's exports changed in a wrapper
// (TCP_KEEPALIVE_ADDON names it), in a child that loads dist/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpka-fields-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A module exporting the real addon with `change` applied to a copy of its exports. */
function wrappedAddon(name: string, change: string): string {
  const file = path.join(dir, `${name}.cjs`);
  fs.writeFileSync(
    file,
    `const real = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(ROOT)});
const binding = { ...real, capabilities: { ...real.capabilities } };
${change}
module.exports = binding;
`,
  );
  return file;
}

/** Runs `script` (dist/ at DIST) in a child loading the wrapped addon; its stdout, parsed. */
function runWith(addon: string, script: string): unknown {
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, TCP_KEEPALIVE_ADDON: addon, DIST },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('the keepalive fields come from the addon', () => {
  it('a field the addon adds is read, checked by its kind and placed at its index', () => {
    const addon = wrappedAddon(
      'extra-field',
      `binding.keepaliveFields = [...real.keepaliveFields, 'probeLimit'];
binding.keepaliveOptions = [...real.keepaliveOptions, 'TCP_PROBE_LIMIT'];
binding.keepaliveFieldKinds = [...real.keepaliveFieldKinds, 'count'];
binding.capabilities.probeLimit = { settable: true, readable: true, min: 1, max: 9, unitMs: 0 };`,
    );
    const result = runWith(
      addon,
      `const { validateKeepaliveOptions } = require(process.env.DIST + '/validators.js');
const caller = () => {};
const messageOf = (options) => { try { validateKeepaliveOptions(options, caller); return null; } catch (e) { return [e.code, e.message]; } };
const request = validateKeepaliveOptions({ probeLimit: 7, idle: 30000 }, caller);
console.log(JSON.stringify({
  request,
  fraction: messageOf({ probeLimit: 1.5 }),
  tooMany: messageOf({ probeLimit: 10 }),
  unknown: messageOf({ nope: 1 }),
}));`,
    ) as Record<string, unknown>;
    expect(result.request).toEqual({ fields: 0b100011, values: [1, 30000, 0, 0, 0, 7] });
    expect(result.fraction).toEqual(['ERR_OUT_OF_RANGE', 'The value of "options.probeLimit" is out of range. It must be an integer. Received 1.5']);
    expect(result.tooMany).toEqual(['ERR_OUT_OF_RANGE', 'The value of "options.probeLimit" is out of range. It must be >= 1 && <= 9. Received 10']);
    expect(result.unknown).toEqual([
      'ERR_INVALID_ARG_VALUE',
      "The property 'options.nope' is not a keepalive option (enable, idle, interval, count, userTimeout, probeLimit). Received 1",
    ]);
  });

  it('an addon with a kind of value the facade does not know is refused at load', () => {
    const addon = wrappedAddon('unknown-kind', `binding.keepaliveFieldKinds = real.keepaliveFieldKinds.map((kind, i) => (i === 3 ? 'bytes' : kind));`);
    const result = runWith(
      addon,
      `try { require(process.env.DIST + '/index.js'); console.log(JSON.stringify('loaded')); } catch (e) { console.log(JSON.stringify(e.message)); }`,
    );
    expect(result).toBe('tcp-keepalive: the native keepalive field count has an unknown kind "bytes"');
  });
});
