// The usage error for a command line whose first word is not a command: a
// misspelt command (with the nearest one), an option given before any
// command, or a misspelt -h/--help or -V/--version.
import { CliError, usageError } from './exit';
import { closest } from './suggest';

/** The commands main.ts runs, in the order the help lists them. */
export const COMMANDS = ['defaults', 'connect', 'listen', 'inspect', 'demo', 'report', 'advise', 'path'] as const;

/** The options that stand without a command. */
const OWN_OPTIONS = ['help', 'version'] as const;

const LIST = `commands: ${COMMANDS.join(', ')}; see 'tcp-keepalive --help'`;

export function notACommand(argv: readonly string[]): CliError {
  const first = argv[0]!;
  if (!first.startsWith('-')) {
    const near = closest(first, COMMANDS);
    return usageError(`unknown command '${first}'${near === null ? '' : `; did you mean '${near}'?`} (${LIST})`);
  }
  const name = first.replace(/^-+/, '').split('=')[0]!;
  const own = first.startsWith('--') ? closest(name, OWN_OPTIONS) : null;
  if (own !== null) return usageError(`unknown option '${first.split('=')[0]}'; did you mean '--${own}'? (see 'tcp-keepalive --help')`);
  if (first === '-v' || first === '-H') return usageError(`unknown option '${first}'; did you mean '${first === '-v' ? '-V' : '-h'}'? (see 'tcp-keepalive --help')`);
  // An option of a command, put before it (`--json defaults`) or given alone.
  const at = argv.findIndex((word) => (COMMANDS as readonly string[]).includes(word));
  if (at !== -1) {
    const reordered = [argv[at], ...argv.slice(0, at), ...argv.slice(at + 1)].join(' ');
    return usageError(`options go after the command: 'tcp-keepalive ${reordered}'`);
  }
  return usageError(`'${first}' is an option of a command, and no command was given: 'tcp-keepalive <command> ${first}' (${LIST})`);
}
