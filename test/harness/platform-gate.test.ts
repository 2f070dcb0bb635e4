// The suite's gate (test/helpers/platform.ts): reasons name the need and the
// platform, and agree with capabilities() and with the machine.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capabilities, type KeepaliveField } from '../../lib/index';
import { has, pythonConstants, unmet } from '../helpers/platform';

describe('the platform gate', () => {
  it('a keepalive field is met exactly when capabilities() says it can be set and read back', () => {
    const caps = capabilities();
    for (const field of ['enable', 'idle', 'interval', 'count', 'userTimeout'] as KeepaliveField[]) {
      const expected = caps[field].settable && caps[field].readable;
      expect(has(field), field).toBe(expected);
      if (!expected) expect(unmet(field)).toMatch(new RegExp(`^needs ${field}, which ${caps.backend} cannot (set|read back)$`));
    }
  });

  it('names what is missing, joined, and nothing when all is met', () => {
    expect(unmet('python:TCP_NO_SUCH_OPTION')).toBe(`needs socket.TCP_NO_SUCH_OPTION in Python, which ${capabilities().backend}'s CPython does not define`);
    expect(unmet('enable', 'python:TCP_NO_SUCH_OPTION', 'python:TCP_NO_OTHER')).toMatch(/TCP_NO_SUCH_OPTION.*; needs socket\.TCP_NO_OTHER/);
    expect(unmet('enable')).toBeNull();
  });

  it('facts are read from the machine', () => {
    expect(has('procNet')).toBe(fs.existsSync('/proc/net/tcp'));
    expect(has('root')).toBe(process.getuid?.() === 0);
    const python = pythonConstants();
    if (python) expect(has('python:SO_KEEPALIVE')).toBe('SO_KEEPALIVE' in python);
    else expect(has('python')).toBe(false);
  });
});
