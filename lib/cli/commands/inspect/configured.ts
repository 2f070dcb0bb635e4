// The keepalive values a process was started to give its connections:
// TCP_KEEPALIVE in its environment (what `tcp-keepalive/register` installs),
// read from /proc/PID/environ with the register entry point's own parser.
// A default installed by setDefaultKeepalive() in code leaves no trace there.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENT_VARIABLE, formatKeepaliveSpec, parseKeepaliveSpec, SPEC_KEYS } from '../../../diagnostics';
import type { KeepaliveOptions, KeepaliveState } from '../../../index';
import { escapeBytes } from '../../terminal/escape';
import { formatSetting } from '../../terminal/format';

const REGISTER = 'tcp-keepalive/register';
const BUILT_REGISTER = /[\/]dist[\/]register\.[cm]?js$/;

export type Configured =
  | { readonly status: 'unset' }
  | { readonly status: 'unreadable'; readonly code: string }
  | { readonly status: 'malformed'; readonly text: string; readonly shown: string; readonly reason: string; readonly registerFrom: string[] }
  | { readonly status: 'set'; readonly text: string; readonly shown: string; readonly options: KeepaliveOptions; readonly registerFrom: string[] };

/** The NUL-separated entries of a /proc file, each as bytes. */
function entries(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0); end !== -1; start = end + 1, end = bytes.indexOf(0, start)) out.push(bytes.subarray(start, end));
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

/** The value of `name` among environ entries, as bytes, or null. */
function variable(environ: readonly Buffer[], name: string): Buffer | null {
  const prefix = Buffer.from(`${name}=`);
  const entry = environ.find((e) => e.subarray(0, prefix.length).equals(prefix));
  return entry ? entry.subarray(prefix.length) : null;
}

/**
 * Whether one word of a start names the register entry point: by package name, or by the absolute
 * path (or file: URL) the docs recommend for NODE_OPTIONS, recognised by the package.json beside
 * its dist/ as the process sees its file system (/proc/PID/root).
 */
function namesRegister(pid: number, word: string): boolean {
  if (word.includes(REGISTER)) return true;
  const file = word.startsWith('file://') ? decodeURIComponent(word.slice('file://'.length)) : word;
  if (!file.startsWith('/') || !BUILT_REGISTER.test(file)) return false;
  try {
    const manifest = JSON.parse(readFileSync(`/proc/${pid}/root${path.posix.join(file, '..', '..', 'package.json')}`, 'utf8')) as { name?: unknown };
    return manifest.name === 'tcp-keepalive';
  } catch {
    return false;
  }
}

/** Where the process's start asks Node to load the register entry point: 'argv', 'NODE_OPTIONS'. */
function registerSources(pid: number, commandLine: Buffer, environ: readonly Buffer[]): string[] {
  const sources: string[] = [];
  if (entries(commandLine).some((arg) => namesRegister(pid, arg.toString('utf8')))) sources.push('argv');
  const nodeOptions = variable(environ, 'NODE_OPTIONS')?.toString('utf8');
  // NODE_OPTIONS is split on white space as Node splits it (quoted paths with spaces aside).
  if (nodeOptions?.split(/\s+/).some((word) => namesRegister(pid, word.replace(/^(['"])(.*)\1$/, '$2')))) sources.push('NODE_OPTIONS');
  return sources;
}

/** TCP_KEEPALIVE of process `pid`, parsed; `commandLine` is its /proc/PID/cmdline. */
export function configuredKeepalive(pid: number, commandLine: Buffer): Configured {
  let environ: Buffer[];
  try {
    environ = entries(readFileSync(`/proc/${pid}/environ`));
  } catch (error) {
    return { status: 'unreadable', code: (error as NodeJS.ErrnoException).code ?? 'EACCES' };
  }
  const value = variable(environ, ENVIRONMENT_VARIABLE);
  if (value === null) return { status: 'unset' };
  const text = value.toString('utf8');
  const shown = escapeBytes(value);
  const registerFrom = registerSources(pid, commandLine, environ);
  try {
    return { status: 'set', text, shown, options: parseKeepaliveSpec(text), registerFrom };
  } catch (error) {
    // The message repeats the whole variable; keep only the reason.
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    return { status: 'malformed', text, shown, reason, registerFrom };
  }
}

/** Whether a connection's kernel values are the configured ones (each field TCP_KEEPALIVE gives); null for a listener. */
export function carriesConfigured(options: KeepaliveOptions, keepalive: KeepaliveState, listening: boolean): boolean | null {
  if (listening) return null;
  if (!keepalive.enable) return false;
  return SPEC_KEYS.every((field) => options[field] === undefined || keepalive[field] === options[field]);
}

/** The process event's `configured` field for --json (exact text, no escapes); nothing when the variable is not set. */
export function configuredJson(configured: Configured): { configured?: Record<string, unknown> } {
  if (configured.status === 'unset') return {};
  const { shown: _shown, ...exact } = configured as Configured & { shown?: string };
  return { configured: exact };
}

/** The header line about TCP_KEEPALIVE; null when the variable is not set (today's output, unchanged). */
export function describeConfigured(configured: Configured): string | null {
  if (configured.status === 'unset') return null;
  if (configured.status === 'unreadable') {
    return `${ENVIRONMENT_VARIABLE} there: unknown (its environment cannot be read: ${configured.code})`;
  }
  const register = configured.registerFrom.length
    ? `${REGISTER} loaded through ${configured.registerFrom.join(' and ')}`
    : `${REGISTER} not in its argv or NODE_OPTIONS`;
  if (configured.status === 'malformed') {
    return `${ENVIRONMENT_VARIABLE} there is malformed: "${configured.shown}": ${configured.reason} (${register}); no connection marked`;
  }
  const { idle, interval, count, userTimeout } = configured.options;
  const values = [
    idle !== undefined ? `idle ${formatSetting(idle)}` : null,
    interval !== undefined ? `interval ${formatSetting(interval)}` : null,
    count !== undefined ? `count ${count}` : null,
    userTimeout !== undefined ? `user timeout ${formatSetting(userTimeout)}` : null,
  ].filter(Boolean);
  return `${ENVIRONMENT_VARIABLE} there: ${formatKeepaliveSpec(configured.options)} (${values.join(', ')}; ${register})`;
}
