#!/usr/bin/env node
// The `tcp-keepalive` command. Each command returns its exit code or throws a
// CliError; anything else is a bug, reported as one line with exit code 1
// (the stack with TCP_KEEPALIVE_DEBUG=1).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeText } from './escape';
import { CliError, ExitCode } from './exit';
import { MAIN_HELP } from './help';

function version(): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(MAIN_HELP);
      return command === undefined ? ExitCode.USAGE : ExitCode.OK;
    case '-V':
    case '--version':
      process.stdout.write(`${escapeText(version())}\n`);
      return ExitCode.OK;
    // Loaded on demand: `defaults` should not pay for the live view.
    case 'defaults':
      return (await import('./commands/defaults.js')).runDefaults(rest);
    case 'connect':
      return (await import('./commands/connect.js')).runConnect(rest);
    case 'listen':
      return (await import('./commands/listen.js')).runListen(rest);
    case 'inspect':
      return (await import('./commands/inspect.js')).runInspect(rest);
    case 'demo':
      return (await import('./commands/demo.js')).runDemo(rest);
    case 'report':
      return (await import('./commands/report.js')).runReport(rest);
    case 'advise':
      return (await import('./commands/advise.js')).runAdvise(rest);
    case 'path':
      return (await import('./commands/path.js')).runPath(rest);
    default:
      throw new CliError(`unknown command '${command}' (commands: defaults, connect, listen, inspect, demo, report, advise, path; see 'tcp-keepalive --help')`, ExitCode.USAGE, 'USAGE');
  }
}

function report(error: unknown, json: boolean): number {
  const known = error instanceof CliError;
  const exitCode = known ? error.exitCode : ExitCode.INTERNAL;
  const message = known ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  if (json) {
    const code = known ? error.code : ((error as NodeJS.ErrnoException)?.code ?? 'INTERNAL');
    process.stdout.write(`${JSON.stringify({ event: 'error', time: new Date().toISOString(), code, message, exitCode })}\n`);
  }
  // The message may quote a command line, a host name, a path: escaped.
  process.stderr.write(`tcp-keepalive: ${escapeText(message)}\n`);
  if (!known && process.env.TCP_KEEPALIVE_DEBUG === '1') {
    process.stderr.write(`${((error as Error)?.stack ?? '').split('\n').map(escapeText).join('\n')}\n`);
  }
  return exitCode;
}

function exit(code: number): void {
  // Let what is written reach a pipe before the process goes.
  process.stdout.write('', () => process.exit(code));
}

// Piped into a reader that went away (`| head`): stop quietly; 'exit'
// handlers still remove whatever the command made.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.OK);
});

const argv = process.argv.slice(2);
run(argv).then(exit, (error: unknown) => exit(report(error, argv.includes('--json'))));
