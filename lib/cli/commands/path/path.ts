// lib/cli/commands/path/: the `path` command.
// May import: ../ (what commands share), ../../terminal/, ../../live/,
// ../../../index.ts, ../../../diagnostics; no other command's folder.
//
// `tcp-keepalive path HOST:PORT [--max T] [--connections N] [--json]`: the
// idle time after which the path to a server forgets a connection, and how,
// measured with keepalive probes alone (measureIdleTimeout), then the
// keepalive values for it.
import { parseArgs } from '../../terminal/args';
import { ExitCode, usageError } from '../../terminal/exit';
import { formatBound, formatElapsed, formatSetting } from '../../terminal/format';
import { PATH_HELP } from '../../terminal/help';
import { Reporter } from '../../terminal/output';
import { measurePath, parsePathSettings, printMeasurement } from '../measured-path';

export async function runPath(argv: readonly string[]): Promise<number> {
  const args = parseArgs('path', argv, [
    { name: 'max', value: true },
    { name: 'connections', value: true },
    { name: 'json', value: false },
    { name: 'help', short: 'h', value: false },
  ]);
  if (args.options.has('help')) {
    process.stdout.write(PATH_HELP);
    return ExitCode.OK;
  }
  if (args.positionals.length !== 1) {
    throw usageError(args.positionals.length === 0 ? "path needs HOST:PORT (see 'tcp-keepalive path --help')" : `unexpected argument '${args.positionals[1]}' for 'path'`);
  }
  const settings = parsePathSettings(args.positionals[0]!, args.options.get('max'), args.options.get('connections'));
  const json = args.options.has('json');
  const reporter = new Reporter(json);
  reporter.line(`Measuring how long the path to ${settings.target} keeps an idle connection (up to ${formatSetting(settings.maxMs)}, ${settings.connections} connections at most)...`);
  const result = await measurePath(settings, reporter);
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return ExitCode.OK;
  }
  printMeasurement(reporter, result);
  reporter.line(result.summary);
  const advice = result.advice;
  if (advice !== null) {
    const { idle, interval, count } = advice.options;
    reporter.line('');
    reporter.line(`For this path (the rules of 'advise', every timer up to 12.5 % late):`);
    reporter.line(`  idle ${formatSetting(idle)}, interval ${formatSetting(interval)}, count ${count}: the first probe leaves at most ${formatBound(advice.firstProbeLatestMs)} after the last packet, before the ${formatElapsed(advice.idleTimeoutMs)} the path kept;`);
    reporter.line(`  a dead peer is found within ${formatBound(advice.detectionMs)} (${advice.detectionFormula}).`);
    reporter.line(advice.environment);
    reporter.line(advice.code);
  }
  return ExitCode.OK;
}
