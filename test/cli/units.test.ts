// The command's pure parts: argument parsing, durations, endpoints, the
// Wireshark-style labels, /proc/net/tcp parsing and detection times.
import { describe, expect, it } from 'vitest';
import { parseArgs, parseDuration, parseHostPort, parseInteger } from '../../lib/cli/terminal/args';
import { FlowAnalyzer, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type Segment } from '../../lib/cli/live/wire/segments';
import { CliError } from '../../lib/cli/terminal/exit';
import { formatElapsed, formatEndpoint, formatSetting } from '../../lib/cli/terminal/format';
import { formatIPv6 } from '../../lib/diagnostics';
import { parseProcTcp } from '../helpers/procnet';
import { detectionTime } from '../../lib/cli/commands/settings';

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

describe('formatting', () => {
  it('writes settings, elapsed times and endpoints for people', () => {
    expect(formatSetting(1000)).toBe('1 s');
    expect(formatSetting(7_200_000)).toBe('7200 s (2 h)');
    expect(formatSetting(1500)).toBe('1500 ms');
    expect(formatElapsed(4100)).toBe('4.1 s');
    expect(formatElapsed(0.04)).toBe('0.04 ms');
    expect(formatEndpoint('::1', 80)).toBe('[::1]:80');
    expect(formatEndpoint('::ffff:10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(formatIPv6(new Uint8Array([0xfd, 0, 0x07, 0xca, ...new Array(11).fill(0), 1]))).toBe('fd00:7ca::1');
    expect(formatIPv6(new Uint8Array(16))).toBe('::');
  });
});

describe('detectionTime', () => {
  it('is idle + interval x count, or the first probe time past the user timeout', () => {
    const base = { enable: true, idle: 1000, interval: 1000, count: 3, userTimeout: 0 };
    expect(detectionTime(base)?.ms).toBe(4000);
    expect(detectionTime({ ...base, userTimeout: 2500 })?.ms).toBe(3000);
    expect(detectionTime({ ...base, userTimeout: 500 })?.ms).toBe(2000);
    expect(detectionTime({ ...base, enable: false })).toBeNull();
  });
});

describe('FlowAnalyzer (Wireshark labels)', () => {
  const client = { address: '10.0.0.1', port: 40000 };
  const server = { address: '10.0.0.2', port: 80 };
  let clock = 0;
  const segment = (from: typeof client, to: typeof client, flags: number, seq: number, ack: number, length = 0): Segment => ({
    timeMs: ++clock,
    ifindex: 1,
    outgoing: from === client,
    family: 4,
    flags,
    srcAddress: from.address,
    srcPort: from.port,
    dstAddress: to.address,
    dstPort: to.port,
    seq,
    ack,
    payloadLength: length,
    window: 512,
  });

  it('labels a handshake, keep-alives and their ACKs, data, FIN and RST', () => {
    const flow = new FlowAnalyzer();
    const label = (s: Segment): string => flow.classify(s);
    expect(label(segment(client, server, TCP_SYN, 999, 0))).toBe('SYN');
    expect(label(segment(server, client, TCP_SYN | TCP_ACK, 4999, 1000))).toBe('SYN-ACK');
    expect(label(segment(client, server, TCP_ACK, 1000, 5000))).toBe('ACK');
    // Probe: seq = snd_una - 1, no payload.
    expect(label(segment(client, server, TCP_ACK, 999, 5000))).toBe('TCP Keep-Alive');
    expect(label(segment(server, client, TCP_ACK, 5000, 1000))).toBe('TCP Keep-Alive ACK');
    // The peer's probe, answered by the client.
    expect(label(segment(server, client, TCP_ACK, 4999, 1000))).toBe('TCP Keep-Alive');
    expect(label(segment(client, server, TCP_ACK, 1000, 5000))).toBe('TCP Keep-Alive ACK');
    // A one-byte "garbage" probe (BSD style) is a keep-alive too.
    expect(label(segment(client, server, TCP_ACK, 999, 5000, 1))).toBe('TCP Keep-Alive');
    expect(label(segment(server, client, TCP_ACK, 5000, 1000))).toBe('TCP Keep-Alive ACK');
    expect(label(segment(client, server, TCP_ACK | TCP_PSH, 1000, 5000, 5))).toBe('data');
    expect(label(segment(server, client, TCP_ACK, 5000, 1005))).toBe('ACK');
    expect(label(segment(client, server, TCP_ACK, 1004, 5000))).toBe('TCP Keep-Alive');
    expect(label(segment(server, client, TCP_RST, 5000, 0))).toBe('RST');
    expect(label(segment(client, server, TCP_FIN | TCP_ACK, 1005, 5000))).toBe('FIN');
  });

  it('recognizes probes in a capture that started mid-connection, once the peer has acknowledged', () => {
    const flow = new FlowAnalyzer();
    expect(flow.classify(segment(client, server, TCP_ACK, 0xffffffff, 7))).toBe('ACK'); // cannot tell yet
    expect(flow.classify(segment(server, client, TCP_ACK, 7, 0))).toBe('ACK');
    // Sequence numbers wrap: 0 - 1 is 0xffffffff.
    expect(flow.classify(segment(client, server, TCP_ACK, 0xffffffff, 7))).toBe('TCP Keep-Alive');
    expect(flow.classify(segment(server, client, TCP_ACK, 7, 0))).toBe('TCP Keep-Alive ACK');
  });
});

describe('parseProcTcp', () => {
  it('reads addresses, state, the keepalive timer and probes out', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 02:0000006E 00000000  1000        2 12346 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const [listener, connection] = parseProcTcp(text);
    expect(listener).toMatchObject({ inode: 12345, localAddress: '127.0.0.1', localPort: 8080, state: 'LISTEN', timer: 'none' });
    expect(connection).toMatchObject({
      inode: 12346,
      remoteAddress: '127.0.0.1',
      remotePort: 8080,
      localPort: 40000,
      state: 'ESTABLISHED',
      timer: 'keepalive',
      timerLeftMs: 1100,
      probesOut: 2,
      uid: 1000,
    });
  });

  it('reads IPv6 addresses, IPv4-mapped ones as IPv4', () => {
    const text = [
      'header',
      '   0: 00000000000000000000000001000000:0050 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 7 1 0 20 4 30 10 -1',
    ].join('\n');
    const [entry] = parseProcTcp(text);
    expect(entry).toMatchObject({ family: 6, localAddress: '::1', localPort: 80, remoteAddress: '127.0.0.1', remotePort: 40000 });
  });
});
