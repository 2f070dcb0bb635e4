// The published entry points, loaded by plain Node as a user's code would:
// CommonJS and ES module builds of one single instance, with the documented
// exports.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const EXPORTS = [
  'DEAD_PEER_CHANNEL', 'adviseKeepalive', 'capabilities', 'configureAgent', 'constants', 'getDefaultKeepalive', 'getKeepalive',
  'getSockOpt', 'getTcpInfo', 'idleTimeoutLimits', 'measureIdleTimeout', 'setDefaultKeepalive', 'setKeepalive', 'setSockOpt', 'systemDefaults', 'undiciConnect',
];

const PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const cjs = require('tcp-keepalive');
const esm = await import('tcp-keepalive');
const names = Object.keys(esm).sort();
console.log(JSON.stringify({
  cjs: Object.keys(cjs).sort(),
  esm: names,
  same: names.every((name) => esm[name] === cjs[name]),
  backend: esm.capabilities().backend,
}));
`;

describe('package entry points', () => {
  it('require and import resolve through "exports" to one instance', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: root, encoding: 'utf8' });
    const report = JSON.parse(out);
    expect(report.cjs).toEqual(EXPORTS);
    expect(report.esm).toEqual(EXPORTS);
    expect(report.same).toBe(true);
    expect(typeof report.backend).toBe('string');
  });

  it('ships type declarations for both, and says which Node it needs', () => {
    const pkg = JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root, encoding: 'utf8' }));
    expect(pkg.exports['.'].require).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['.'].import).toEqual({ types: './dist/index.d.mts', default: './dist/index.mjs' });
    expect(pkg.exports['./register'].require).toEqual({ types: './dist/register.d.ts', default: './dist/register.js' });
    expect(pkg.exports['./register'].import).toEqual({ types: './dist/register.d.mts', default: './dist/register.mjs' });
    expect(pkg.engines.node).toBe('>=20');
  });
});
