// The command's argument parsing: options in every spelling, durations,
// endpoints and counts, each bad value a usage error (exit code 2) that names
// what was wrong.
import { describe, expect, it } from 'vitest';
import { parseArgs, parseDuration, parseHostPort, parseInteger } from '../../lib/cli/terminal/args';
import { CliError } from '../../lib/cli/terminal/exit';

function usage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('parseDuration', () => {
  it('reads a plain number as seconds and accepts ms, s, m, h', () => {
    expect(parseDuration('30', '--idle')).toBe(30_000);
    expect(parseDuration('1.5', '--idle')).toBe(1500);
    expect(parseDuration('500ms', '--idle')).toBe(500);
    expect(parseDuration('30s', '--idle')).toBe(30_000);
    expect(parseDuration('2m', '--idle')).toBe(120_000);
    expect(parseDuration('1h', '--idle')).toBe(3_600_000);
  });

  it('rejects anything else with the option named', () => {
    for (const bad of ['', 'abc', '-1', '1x', '1 s s', '1e3', 'ms']) {
      expect(usage(() => parseDuration(bad, '--idle'))).toMatch(/^invalid duration .* for --idle: use seconds/);
    }
  });
});

describe('parseArgs', () => {
  const specs = [
    { name: 'idle', short: 'd', value: true },
    { name: 'json', value: false },
  ];

  it('takes --opt value, --opt=value, -x value and -xvalue', () => {
    for (const argv of [['--idle', '5'], ['--idle=5'], ['-d', '5'], ['-d5']]) {
      expect(parseArgs('connect', [...argv, 'host:1'], specs).options.get('idle')).toBe('5');
    }
    expect(parseArgs('connect', ['--json', 'h:1'], specs).positionals).toEqual(['h:1']);
  });

  it('names unknown options, missing values and values given to flags', () => {
    expect(usage(() => parseArgs('connect', ['--bogus'], specs))).toBe("unknown option '--bogus' for 'connect' (see 'tcp-keepalive connect --help')");
    expect(usage(() => parseArgs('connect', ['-x'], specs))).toMatch(/unknown option '-x'/);
    expect(usage(() => parseArgs('connect', ['--idle'], specs))).toMatch(/option '--idle' needs a value/);
    expect(usage(() => parseArgs('connect', ['--json=1'], specs))).toMatch(/option '--json' takes no value/);
  });
});

describe('parseHostPort', () => {
  it('reads HOST:PORT, [IPv6]:PORT and, for listen, a bare port', () => {
    expect(parseHostPort('127.0.0.1:80', false)).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseHostPort('example.test:8080', false)).toEqual({ host: 'example.test', port: 8080 });
    expect(parseHostPort('[::1]:80', false)).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('8080', true)).toEqual({ host: null, port: 8080 });
    expect(parseHostPort('0', true)).toEqual({ host: null, port: 0 });
  });

  it('rejects bad addresses and ports', () => {
    expect(usage(() => parseHostPort('127.0.0.1', false))).toMatch(/expected HOST:PORT/);
    expect(usage(() => parseHostPort('::1:80', false))).toMatch(/expected HOST:PORT/);
    expect(usage(() => parseHostPort('h:0', false))).toMatch(/out of range: it must be from 1 to 65535/);
    expect(usage(() => parseHostPort('h:70000', false))).toMatch(/out of range/);
    expect(usage(() => parseHostPort('h:http', false))).toMatch(/invalid port 'http'/);
    expect(usage(() => parseHostPort('[nope]:1', false))).toMatch(/invalid IPv6 address/);
  });

  it('checks counts', () => {
    expect(parseInteger('3', '--count', 1, 127)).toBe(3);
    expect(usage(() => parseInteger('0', '--count', 1, 127))).toBe('--count 0 is out of range: it must be from 1 to 127');
    expect(usage(() => parseInteger('2.5', '--count', 1, 127))).toMatch(/expected a whole number/);
  });
});
