// The library under --disallow-code-generation-from-strings, as hardened
// deployments run Node: it builds its slot readers without new Function
// there (lib/slot-reader.ts), and those readers return exactly what the
// generated ones do.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binding } from '../../lib/native';
import { loopSlotReader, slotReader, type SlotDecoding } from '../../lib/slot-reader';

const ROOT = path.join(__dirname, '..', '..');
const FLAG = '--disallow-code-generation-from-strings';

function node(args: string[], env: Record<string, string> = {}) {
  const { NODE_OPTIONS: _dropped, TCP_KEEPALIVE: _unset, ...base } = process.env;
  return spawnSync(process.execPath, args, { cwd: ROOT, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe(`under ${FLAG}`, () => {
  it('the process really refuses new Function (else this file proves nothing)', () => {
    const result = node([FLAG, '-e', 'new Function("return 1")']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/EvalError: Code generation from strings disallowed/);
  });

  it('tcp-keepalive/register sets the default on both ends, as the kernel reads them', () => {
    const result = node([FLAG, '--require', 'tcp-keepalive/register', path.join(__dirname, '../fixtures/default-app.cjs')], {
      TCP_KEEPALIVE: 'idle=30s,interval=5s,count=4,userTimeout=60s',
    });
    expect(result.status, result.stderr).toBe(0);
    const kernel = { keepalive: 1, idle: 30, interval: 5, count: 4, userTimeout: 60_000 };
    expect(JSON.parse(result.stdout)).toEqual({ accepted: kernel, client: kernel });
  });

  it('setKeepalive, getKeepalive and getTcpInfo read back a real connection', () => {
    const script = `
      const net = require('node:net');
      const k = require('./dist/index.js');
      const server = net.createServer((c) => c.on('error', () => {})).listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          const set = k.setKeepalive(client, { idle: 7000, interval: 2000, count: 3 });
          const info = k.getTcpInfo(client);
          console.log(JSON.stringify({ set, got: k.getKeepalive(client), state: info.state, keys: Object.keys(info) }));
          client.destroy();
          server.close();
        });
      });`;
    const result = node([FLAG, '-e', script]);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.set).toMatchObject({ enable: true, idle: 7000, interval: 2000, count: 3 });
    expect(report.got).toEqual(report.set);
    expect(report.state).toBe('ESTABLISHED');
    expect(report.keys).toEqual([...binding.tcpInfoFields]);
  });
});

describe('slot readers', () => {
  const slotValue = fc.oneof(fc.constant(Number.NaN), fc.constantFrom(0, 1, 2, 11, 12, -1), fc.double({ noNaN: true }));
  const brief = ['lastDataRecv', 'state', 'unacked'] as const;
  const cases: [string, readonly string[], readonly SlotDecoding[], readonly number[] | undefined][] = [
    ['TCP_INFO', binding.tcpInfoFields, binding.tcpInfoFields.map((name) => (name === 'state' ? 'state' : 'nullable')), undefined],
    ['keepalive', binding.keepaliveFields, binding.keepaliveFieldKinds.map((kind) => (kind === 'flag' ? 'flag' : 'number')), undefined],
    ['some TCP_INFO fields, at their positions', brief, ['nullable', 'state', 'nullable'], brief.map((name) => binding.tcpInfoFields.indexOf(name))],
  ];

  it.each(cases)('%s: the loop gives what the generated literal gives, NaN and out-of-range states included', (_name, names, decodings, positions) => {
    const generated = slotReader<Record<string, unknown>>(names, decodings, binding.tcpStates, positions);
    const looped = loopSlotReader<Record<string, unknown>>(names, decodings, binding.tcpStates, positions);
    const width = binding.tcpInfoFields.length + 3;
    fc.assert(
      fc.property(fc.array(slotValue, { minLength: width, maxLength: width }), fc.nat(3), (values, at) => {
        const slots = Float64Array.from(values);
        const a = generated(slots, at);
        const b = looped(slots, at);
        expect(Object.keys(b)).toEqual(Object.keys(a));
        expect(b).toEqual(a);
      }),
      { seed: 1302, numRuns: 300 },
    );
  });

  it('refuses a name that is not a plain identifier', () => {
    expect(() => slotReader(['ok', 'a-b'], ['number', 'number'])).toThrow(/unexpected native field name "a-b"/);
  });
});
