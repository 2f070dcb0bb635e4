#!/usr/bin/env node
// lib/cli/: the `tcp-keepalive` command. main.ts dispatches and loads each
// command on demand from commands/; terminal/ is what talks to the terminal
// and files, live/ the live view of watched connections.
// May import: nothing of the library but ../index.ts and ../diagnostics/
// (its index), held by test/cli/boundary.test.ts.
//
// The `tcp-keepalive` command. Each command returns its exit code or throws a
// CliError; a missing native addon (the library's ERR_TCP_KEEPALIVE_NO_ADDON)
// is reported as one line with exit code 12; anything else is a bug, reported
// as one line with exit code 1 (the stack with TCP_KEEPALIVE_DEBUG=1).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeText } from './terminal/escape';
import { CliError, ExitCode } from './terminal/exit';
import { MAIN_HELP } from './terminal/help';
import { notACommand } from './terminal/unknown-command';

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
      // No command is a bad command line (exit code 2): the help goes where
      // errors go, so that `tcp-keepalive | less` or `$(tcp-keepalive)` is not fed it.
      process.stderr.write(MAIN_HELP);
      return ExitCode.USAGE;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(MAIN_HELP);
      return ExitCode.OK;
    case '-V':
    case '--version':
      process.stdout.write(`${escapeText(version())}\n`);
      return ExitCode.OK;
    // Loaded on demand: `defaults` should not pay for the live view. With
    // require, not import(): import() of a CommonJS file starts the ESM loader
    // and lexes the file for its exports, time a short command notices.
    case 'defaults':
      return (require('./commands/defaults/defaults.js') as typeof import('./commands/defaults/defaults.js')).runDefaults(rest);
    case 'connect':
      return (require('./commands/connect/connect.js') as typeof import('./commands/connect/connect.js')).runConnect(rest);
    case 'listen':
      return (require('./commands/listen/listen.js') as typeof import('./commands/listen/listen.js')).runListen(rest);
    case 'inspect':
      return (require('./commands/inspect/inspect.js') as typeof import('./commands/inspect/inspect.js')).runInspect(rest);
    case 'demo':
      return (require('./commands/demo/demo.js') as typeof import('./commands/demo/demo.js')).runDemo(rest);
    case 'report':
      return (require('./commands/report/report.js') as typeof import('./commands/report/report.js')).runReport(rest);
    case 'advise':
      return (require('./commands/advise/advise.js') as typeof import('./commands/advise/advise.js')).runAdvise(rest);
    case 'path':
      return (require('./commands/path/path.js') as typeof import('./commands/path/path.js')).runPath(rest);
    default:
      throw notACommand(argv);
  }
}

// The library's own error for a platform with no usable addon: not a bug.
function asCliError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_TCP_KEEPALIVE_NO_ADDON') return new CliError((error as Error).message, ExitCode.NO_ADDON, code);
  return error;
}

function report(thrown: unknown, json: boolean): number {
  const error = asCliError(thrown);
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
