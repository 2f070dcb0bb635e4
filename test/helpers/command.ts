// Runs the built `tcp-keepalive` command (dist/cli/main.js) as a user would:
// a child process, its stdout/stderr, its JSON events and its exit code.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, cpSync, linkSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLinesChild, type JsonMessage } from '../../lib/cli/terminal/children';

// __dirname: vitest provides it, and it type-checks as CommonJS.
export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const isRoot = process.getuid?.() === 0;
/** Spawn options that drop to `nobody` (only root can): no CAP_NET_RAW, no ptrace rights. */
export const AS_NOBODY: SpawnOptions = isRoot ? { uid: 65534, gid: 65534 } : {};

let nobodyCopy: { dir: string; node: string; cli: string } | undefined;

/**
 * `nobody` cannot read a checkout inside a private directory (a mktemp clone,
 * /root) nor a node binary cached under /root: it gets its own world-readable
 * copy of what the command needs, removed when the tests exit.
 */
export function runnableByNobody(): { node: string; cli: string } {
  if (nobodyCopy) return nobodyCopy;
  const dir = mkdtempSync(join(tmpdir(), 'tka-cli-'));
  // Removed by killAll() after each test; 'exit' covers a run cut short
  // (vitest may end a worker without it, hence not 'exit' alone).
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'build', 'Release'), join(dir, 'build', 'Release'), { recursive: true });
  cpSync(join(ROOT, 'node_modules', 'node-gyp-build'), join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  const node = join(dir, 'node');
  try {
    linkSync(process.execPath, node); // same file system: no copy of ~100 MB
  } catch {
    copyFileSync(process.execPath, node);
  }
  chmodSync(node, 0o755);
  for (const path of [dir, join(dir, 'build'), join(dir, 'node_modules')]) chmodSync(path, 0o755);
  nobodyCopy = { dir, node, cli: join(dir, 'dist', 'cli', 'main.js') };
  return nobodyCopy;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Fails with instructions when dist/ is missing or older than lib/cli. */
export function assertBuilt(): void {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    throw new Error('dist/cli/main.js is missing: run `npx cmake-js compile --out build && npx tsc -p tsconfig.build.json` first');
  }
  if (newestMtime(join(ROOT, 'lib', 'cli')) > built) {
    throw new Error('dist/cli is older than lib/cli: run `npx tsc -p tsconfig.build.json` first');
  }
}

export type CliEvent = Record<string, unknown> & { event: string; time?: string; elapsedMs?: number };

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines (lines that are not JSON are skipped). */
  readonly events: CliEvent[];
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // The test runner's loaders must not reach a plain child.
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  return { ...env, ...extra };
}

/** A running command: its output so far, and a way to wait for an event (lib/cli/terminal/children.ts). */
export class CliProcess extends JsonLinesChild {
  readonly done: Promise<CliResult>;

  constructor(child: ChildProcess) {
    super(child, 'the command');
    this.done = this.exited.then(({ code, signal }) => ({ code, signal, stdout: this.stdout, stderr: this.stderr, events: this.events }));
  }

  get child(): ChildProcess {
    return this.process;
  }

  get events(): CliEvent[] {
    return this.messages as CliEvent[];
  }

  /** The first event matching (already printed or to come); rejects after `timeoutMs` or at exit. */
  override waitFor(match: string | ((e: CliEvent) => boolean), timeoutMs = 10_000): Promise<CliEvent> {
    const test = typeof match === 'string' ? (e: JsonMessage) => e.event === match : (e: JsonMessage) => match(e as CliEvent);
    return super.waitFor(test, timeoutMs, typeof match === 'string' ? `'${match}' event` : 'matching event').catch((error: Error) => {
      throw new Error(`${error.message}\nstdout:\n${this.stdout.slice(-3000)}`);
    }) as Promise<CliEvent>;
  }
}

const running = new Set<CliProcess>();

/** Starts `tcp-keepalive ...args`; killed by killAll() if still running. */
export function startCli(args: readonly string[], options: SpawnOptions & { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const command = options.uid !== undefined ? runnableByNobody() : { node: process.execPath, cli: CLI };
  const child = spawn(command.node, [command.cli, ...args], {
    cwd: ROOT,
    ...options,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const cli = new CliProcess(child);
  running.add(cli);
  void cli.done.then(() => running.delete(cli));
  return cli;
}

/** Runs `tcp-keepalive ...args` to the end. */
export function runCli(args: readonly string[], options: SpawnOptions & { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const cli = startCli(args, options);
  const timer = setTimeout(() => cli.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return cli.done.finally(() => clearTimeout(timer));
}

/** Ends every command still running, and removes nobody's copy of the command. */
export async function killAll(): Promise<void> {
  const all = [...running];
  for (const cli of all) cli.kill('SIGKILL');
  await Promise.all(all.map((cli) => cli.done));
  if (nobodyCopy) {
    rmSync(nobodyCopy.dir, { recursive: true, force: true });
    nobodyCopy = undefined;
  }
}

/** A port on 127.0.0.1 that nothing listens on (just released). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A process is still running (a zombie counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The whole output must be one line on stderr, starting with the command's name. */
export function oneLineError(result: CliResult): string {
  const lines = result.stderr.trim().split('\n');
  if (lines.length !== 1 || !lines[0]!.startsWith('tcp-keepalive: ')) {
    throw new Error(`expected one error line on stderr, got:\n${result.stderr}`);
  }
  return lines[0]!;
}
