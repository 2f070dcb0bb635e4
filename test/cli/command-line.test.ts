// The command line as a user types it, mistakes included: no command, an
// option without a command, misspelt commands and options; help texts laid
// out as they read; advise's table and worst case; --json events in time order.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../lib/cli/terminal/suggest';
import { needs } from '../helpers/platform';
import { assertBuilt, killAll, oneLineError, runCli, startCli } from '../helpers/command';

beforeAll(assertBuilt);
afterEach(killAll);
afterAll(killAll);

describe('no command', () => {
  it('no arguments: the help on stderr, nothing on stdout, exit code 2 (the help lists 2 as a bad command line)', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Usage: tcp-keepalive <command> \[options\]/);
    expect(result.stderr).toMatch(/^ {2}2 {4}bad command line/m);
    // Asked for, the help is output: stdout, exit code 0.
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(result.stderr);
  });

  it('an option without a command: one line saying that it belongs after a command, exit code 2', async () => {
    const result = await runCli(['--json']);
    expect(result.code).toBe(2);
    const line = oneLineError(result);
    expect(line).not.toContain('unknown command');
    expect(line).toBe(
      "tcp-keepalive: '--json' is an option of a command, and no command was given: 'tcp-keepalive <command> --json' (commands: defaults, connect, listen, inspect, demo, report, advise, path; see 'tcp-keepalive --help')",
    );
    // --json asked for JSON: the error is an event too.
    expect(result.events).toEqual([expect.objectContaining({ event: 'error', code: 'USAGE', exitCode: 2 })]);
  });

  it('an option before its command: the line with the command first', async () => {
    const result = await runCli(['--json', 'defaults']);
    expect(result.code).toBe(2);
    expect(oneLineError(result)).toBe("tcp-keepalive: options go after the command: 'tcp-keepalive defaults --json'");
  });
});

describe('did you mean', () => {
  it('a misspelt command names the nearest one', async () => {
    for (const [typed, meant] of [
      ['conect', 'connect'],
      ['lsiten', 'listen'],
      ['defualts', 'defaults'],
      ['Inspect', 'inspect'],
    ]) {
      const result = await runCli([typed!]);
      expect(result.code).toBe(2);
      expect(oneLineError(result)).toBe(
        `tcp-keepalive: unknown command '${typed}'; did you mean '${meant}'? (commands: defaults, connect, listen, inspect, demo, report, advise, path; see 'tcp-keepalive --help')`,
      );
    }
    // Nothing near: no guess.
    expect(oneLineError(await runCli(['frobnicate']))).toMatch(/^tcp-keepalive: unknown command 'frobnicate' \(commands:/);
  });

  it("a misspelt option names the command's nearest option; one dash on a long name says two", async () => {
    const idel = await runCli(['connect', '127.0.0.1:1', '--idel', '3']);
    expect(idel.code).toBe(2);
    expect(oneLineError(idel)).toBe("tcp-keepalive: unknown option '--idel' for 'connect'; did you mean '--idle'? (see 'tcp-keepalive connect --help')");
    expect(oneLineError(await runCli(['listen', '0', '--close-wait-afer=2m']))).toContain("unknown option '--close-wait-afer' for 'listen'; did you mean '--close-wait-after'?");
    expect(oneLineError(await runCli(['advise', '--detect-whithin', '30s']))).toContain("did you mean '--detect-within'?");
    expect(oneLineError(await runCli(['defaults', '-json']))).toBe(
      "tcp-keepalive: unknown option '-json' for 'defaults'; did you mean '--json'? (see 'tcp-keepalive defaults --help')",
    );
    // Without a command: -h/--help and -V/--version.
    expect(oneLineError(await runCli(['--verison']))).toBe("tcp-keepalive: unknown option '--verison'; did you mean '--version'? (see 'tcp-keepalive --help')");
    expect(oneLineError(await runCli(['-v']))).toBe("tcp-keepalive: unknown option '-v'; did you mean '-V'? (see 'tcp-keepalive --help')");
    // Nothing near: no guess.
    expect(oneLineError(await runCli(['defaults', '--bogus']))).toBe("tcp-keepalive: unknown option '--bogus' for 'defaults' (see 'tcp-keepalive defaults --help')");
  });

  it('edit distance counts a swap of neighbours as one edit; short names allow one edit, longer two', () => {
    expect(editDistance('conect', 'connect')).toBe(1);
    expect(editDistance('idel', 'idle')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('jsn', ['json', 'idle'])).toBe('json');
    expect(closest('jxsn', ['json'])).toBeNull();
    expect(closest('intervl', ['idle', 'interval', 'count'])).toBe('interval');
    expect(closest('xyz', ['idle', 'count'])).toBeNull();
  });
});

describe('help layout', () => {
  /** Lines of an options section: `  -x, --name VALUE   text` or a continuation indented to the text column. */
  function optionLines(help: string, heading: string): string[] {
    const start = help.indexOf(`${heading}\n`);
    expect(start, `no '${heading}' section`).toBeGreaterThanOrEqual(0);
    const section = help.slice(start + heading.length + 1);
    return section.slice(0, section.indexOf('\n\n')).split('\n');
  }

  it("listen: --silent-after and --close-wait-after are options among the others, each with its text, not after the JSON events", async () => {
    const help = (await runCli(['listen', '--help'])).stdout;
    const watching = optionLines(help, 'Watching:');
    const silent = watching.findIndex((line) => /^ {6}--silent-after T {4}\S/.test(line));
    const closeWait = watching.findIndex((line) => /^ {6}--close-wait-after T$/.test(line));
    expect(silent, help).toBeGreaterThan(0);
    expect(watching[silent + 1]).toMatch(/^ {26}is a half-open candidate \(default 1h/);
    expect(watching[closeWait + 1]).toMatch(/^ {26}for the verdict: CLOSE_WAIT this long is a leak \(default 60s\)$/);
    expect(watching.at(-1)).toMatch(/^ {2}-h, --help {14}this help$/);
    // The JSON events block ends the section it opens, with nothing after it but durations and exit codes.
    const events = help.slice(help.indexOf('JSON events'));
    expect(events.slice(0, events.indexOf('\n\n'))).not.toMatch(/--silent-after|--close-wait-after/);
  });

  it.each(['connect', 'listen'])('%s: prose paragraphs have no stray line break (no line ending at a ";" followed by a short line)', async (command) => {
    const help = (await runCli([command, '--help'])).stdout;
    expect(help).toContain('(keys: p = probe now, q = quit with\nexit code 0); piped, one line per event.');
    for (const paragraph of help.split('\n\n')) {
      const lines = paragraph.split('\n');
      if (lines.some((line) => line.startsWith('  '))) continue; // tables and option lists
      // A line that ends a clause and is followed by more of the same paragraph is a broken sentence.
      lines.slice(0, -1).forEach((line) => expect(line, paragraph).not.toMatch(/;$/));
    }
  });
});

describe('advise output', () => {
  it('a value wider than the column still has two spaces before its description', async () => {
    const result = await runCli(['advise', '--detect-within', '5m']);
    expect(result.code).toBe(0);
    const table = result.stdout.split('\n').slice(1, 4);
    expect(table[0]).toMatch(/^ {2}idle {6}134 s \(2 min 14 s\) {2}first probe after this much silence$/);
    // The descriptions start in one column.
    const column = table.map((line) => line.search(/(first probe|between|unanswered probes)/));
    expect(new Set(column).size).toBe(1);
  });

  it('--busy: the worst case said in order (silence, probes, what drops it), the user timeout in a sentence of its own', async () => {
    const result = await runCli(['advise', '--detect-within', '30s', '--busy']);
    expect(result.code).toBe(0);
    const worst = result.stdout.split('\n').find((line) => line.startsWith('Worst case:'));
    expect(worst).toBe(
      "Worst case: 29.25 s from the peer's last packet to the connection dropped, with the kernel's timers up to 12.5 % late: idle 14 s, then 4 probes 3 s apart, each unanswered (14 s + 4 x 3 s = 26 s with timers on time). The user timeout (26 s) drops it at that moment too, and bounds unacknowledged data, which keepalive does not probe, to 26 s.",
    );
    expect(result.stdout).not.toContain('the first probe time past');
  });
});

needs('packetCapture', 'root').describe('--json events in time order (packets captured)', () => {
  it("connect and listen: the handshake's packets come before connected / connection, and every event after the one before", async () => {
    const listener = startCli(['listen', '127.0.0.1:0', '--json', '-d', '1', '-i', '1', '-c', '3', '--duration', '4']);
    const port = (await listener.waitFor('listening')).port as number;
    const client = await runCli(['connect', `127.0.0.1:${port}`, '--json', '-d', '1', '-i', '1', '-c', '3', '--duration', '2.5']);
    expect(client.code, client.stderr).toBe(0);
    const server = await listener.done;
    expect(server.code, server.stderr).toBe(0);
    for (const [events, announced] of [
      [client.events, 'connected'],
      [server.events, 'connection'],
    ] as const) {
      const syn = events.findIndex((e) => e.event === 'packet' && e.label === 'SYN');
      const connected = events.findIndex((e) => e.event === announced);
      expect(syn, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
      expect(syn).toBeLessThan(connected);
      // elapsedMs: since the command started, with the capture's sub-millisecond part.
      const times = events.map((e) => e.elapsedMs!);
      expect(times, events.map((e) => `${e.event} ${e.elapsedMs}`).join('\n')).toEqual([...times].sort((a, b) => a - b));
    }
  });
});
