// The command line: a small parser (no dependencies), durations, counts and
// endpoints, each rejected with one line that says what was wrong.
import net from 'node:net';
import { DURATION_SYNTAX, parseDuration as parseDurationMs } from '../../diagnostics';
import { usageError } from './exit';
import { closest } from './suggest';

export interface OptionSpec {
  /** Long name without dashes: 'idle'. */
  readonly name: string;
  /** One-letter alias without the dash: 'd'. */
  readonly short?: string;
  /** Takes a value (`--idle 30s`, `--idle=30s`, `-d 30s`, `-d30s`) or is a flag. */
  readonly value: boolean;
}

export interface ParsedArgs {
  readonly positionals: string[];
  /** Long name -> value (flags: true). A repeated option keeps its last value. */
  readonly options: Map<string, string | true>;
}

/** Parses `argv` for `command`; throws a usage error naming the problem. */
export function parseArgs(command: string, argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short).map((spec) => [spec.short!, spec]));
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const help = `see 'tcp-keepalive ${command} --help'`;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    let shown: string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = byLong.get(name);
      shown = `--${name}`;
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      // `-idle 30` would read as `-i` with the value 'dle': a long name needs two dashes.
      if (arg.length > 2 && byLong.has(arg.slice(1).split('=')[0]!)) {
        throw usageError(`unknown option '${arg.split('=')[0]}' for '${command}'; did you mean '-${arg.split('=')[0]}'? (${help})`);
      }
      spec = byShort.get(arg[1]!);
      inline = arg.length > 2 ? arg.slice(2) : undefined;
      shown = arg.slice(0, 2);
    } else {
      positionals.push(arg);
      continue;
    }
    if (!spec) throw usageError(`unknown option '${shown}' for '${command}'${suggestion(arg, specs)} (${help})`);
    if (!spec.value) {
      if (inline !== undefined) throw usageError(`option '${shown}' takes no value (${help})`);
      options.set(spec.name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw usageError(`option '${shown}' needs a value (${help})`);
      value = argv[++i]!;
    }
    options.set(spec.name, value);
  }
  return { positionals, options };
}

/** "; did you mean '--idle'?" for a misspelt long option, or nothing. */
function suggestion(arg: string, specs: readonly OptionSpec[]): string {
  if (!arg.startsWith('--')) return '';
  const name = arg.slice(2).split('=')[0]!;
  const near = closest(name, specs.map((spec) => spec.name));
  return near === null ? '' : `; did you mean '--${near}'?`;
}

/** "30" (seconds), "500ms", "30s", "2m", "1h", "1.5s" -> milliseconds. */
export function parseDuration(text: string, option: string): number {
  const ms = parseDurationMs(text);
  if (Number.isNaN(ms)) throw usageError(`invalid duration '${text}' for ${option}: ${DURATION_SYNTAX}`);
  if (!Number.isFinite(ms)) throw usageError(`invalid duration '${text}' for ${option}: too large`);
  return ms;
}

export function parseInteger(text: string, option: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw usageError(`invalid value '${text}' for ${option}: expected a whole number from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) throw usageError(`${option} ${text} is out of range: it must be from ${min} to ${max}`);
  return value;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

function parsePort(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text)) throw usageError(`invalid port '${text}' in ${what}: expected a number from ${min} to 65535`);
  const port = Number(text);
  if (port < min || port > 65535) throw usageError(`port ${text} in ${what} is out of range: it must be from ${min} to 65535`);
  return port;
}

/** "host:port", "[v6]:port"; for listen also a bare "port" (host null). */
export function parseHostPort(text: string, allowBarePort: boolean): { host: string | null; port: number } {
  const what = `'${text}'`;
  if (allowBarePort && /^\d+$/.test(text)) return { host: null, port: parsePort(text, what, 0) };
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (bracketed) {
    if (net.isIPv6(bracketed[1]!) === false) throw usageError(`invalid IPv6 address '${bracketed[1]}' in ${what}`);
    return { host: bracketed[1]!, port: parsePort(bracketed[2]!, what, allowBarePort ? 0 : 1) };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || text.indexOf(':') !== colon) {
    const example = allowBarePort ? '[HOST:]PORT, e.g. 8080 or 127.0.0.1:8080' : 'HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080';
    throw usageError(`invalid address ${what}: expected ${example}`);
  }
  return { host: text.slice(0, colon), port: parsePort(text.slice(colon + 1), what, allowBarePort ? 0 : 1) };
}
