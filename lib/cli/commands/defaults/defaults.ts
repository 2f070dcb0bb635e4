// lib/cli/commands/defaults/: the `defaults` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive defaults`: the system defaults, where they come from, and
// the sysctl names to change them.
import { diagnostics, retransmissionLimit } from '../../../diagnostics';
import { systemDefaults } from '../../../index';
import { parseArgs } from '../../terminal/args';
import { defaultNames, detectionSentence } from '../describe';
import { CliError, ExitCode, usageError } from '../../terminal/exit';
import { formatSetting } from '../../terminal/format';
import { DEFAULTS_HELP } from '../../terminal/help';
import { Reporter } from '../../terminal/output';

export function runDefaults(argv: readonly string[]): number {
  const args = parseArgs('defaults', argv, [
    { name: 'json', value: false },
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(DEFAULTS_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}' for 'defaults'`);
  const reporter = new Reporter(args.options.has('json'));
  let defaults;
  try {
    defaults = systemDefaults();
  } catch (error) {
    throw new CliError(`cannot read the system defaults: ${(error as Error).message}`, ExitCode.UNSUPPORTED, (error as NodeJS.ErrnoException).code);
  }
  const names = defaultNames();
  const held = { enable: true, idle: defaults.idle, interval: defaults.interval, count: defaults.count, userTimeout: 0 };
  const retries2 = retransmissionLimit();
  reporter.event(
    'defaults',
    {
      idleMs: defaults.idle,
      intervalMs: defaults.interval,
      count: defaults.count,
      source: defaults.source,
      settings: { idle: names.idle, interval: names.interval, count: names.count },
      detectionMs: defaults.idle + defaults.interval * defaults.count,
      ...(retries2 !== null ? { tcpRetries2: retries2 } : {}),
    },
    null,
  );
  const scope = diagnostics.perNamespace ? ' (this network namespace)' : '';
  reporter.line(`Keepalive defaults${scope}, for sockets that do not set their own:`);
  reporter.line(`  idle      ${formatSetting(defaults.idle).padEnd(16)}${names.idle}`);
  reporter.line(`  interval  ${formatSetting(defaults.interval).padEnd(16)}${names.interval}`);
  reporter.line(`  count     ${String(defaults.count).padEnd(16)}${names.count}`);
  reporter.line(`Read from ${defaults.source}.`);
  if (diagnostics.liveDefaults) {
    reporter.line('Sockets that never set an option follow these values live, even when they change.');
  }
  reporter.line(`Once a program turns keepalive on (it is off by default), ${detectionSentence(held)}.`);
  if (retries2 !== null) {
    reporter.line(
      `Unacknowledged data is not covered by keepalive: it is retransmitted up to net.ipv4.tcp_retries2 = ${retries2} times (about 15 min with 15) unless TCP_USER_TIMEOUT is set on the socket.`,
    );
  }
  reporter.line('To change them:');
  reporter.line(`  ${names.change}`);
  reporter.line('  or per connection: tcp-keepalive connect HOST:PORT -d 600 -i 30 -c 5, setKeepalive(socket, { idle, interval, count }) in code');
  return ExitCode.OK;
}
