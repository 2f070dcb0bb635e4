// npm run test:runtimes: the package under the other JavaScript runtimes that
// load N-API addons, Bun (@oven/bun-linux-x64) and Deno
// (@deno/linux-x64-glibc), from the npm registry, cached (tools/npm-cache.ts).
//
//   node build/tools/runtimes/test.js
//
// Each runtime loads dist/index.js, connects a loopback socket, calls
// setKeepalive(34 s / 7 s / 5), getKeepalive and systemDefaults, prints what
// they returned and waits. This process then checks every value outside the
// runtime: it finds the connection's descriptor in the runtime's process by
// its port (/proc/PID/net/tcp inode, /proc/PID/fd links), duplicates it with
// pidfd_getfd and has the independent reader (test/helpers/kernel-reader.py,
// CPython) read the kernel's values; the defaults are compared with
// /proc/sys/net/ipv4. Prints "runtimes: N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npmPackage } from '../npm-cache';

const REPO = path.resolve(__dirname, '..', '..', '..');
const READER = path.join(REPO, 'test', 'helpers', 'kernel-reader.py');
const REQUEST = { enable: true, idle: 34_000, interval: 7_000, count: 5 };

interface Runtime {
  name: string;
  command(): string[];
}

const RUNTIMES: Runtime[] = [
  {
    name: 'Bun',
    command: () => [npmPackage({ name: '@oven/bun-linux-x64', spec: '1', folder: 'bun', marker: 'bin/bun', members: ['bin/bun'], log }).file],
  },
  {
    name: 'Deno',
    // -A: the addon needs --allow-ffi, the socket --allow-net, /proc --allow-read.
    command: () => [npmPackage({ name: '@deno/linux-x64-glibc', spec: '2', folder: 'deno', marker: 'deno', members: ['deno'], log }).file, 'run', '-A'],
  },
];

const PROBE = `
import { createRequire } from 'node:module';
import net from 'node:net';
import { once } from 'node:events';
const require = createRequire(${JSON.stringify(path.join(REPO, 'package.json'))});
const ka = require(${JSON.stringify(path.join(REPO, 'dist', 'index.js'))});
const server = net.createServer().listen(0, '127.0.0.1');
await once(server, 'listening');
const client = net.connect(server.address().port, '127.0.0.1');
await once(client, 'connect');
const out = { pid: process.pid, port: client.localPort };
for (const [key, call] of [['set', () => ka.setKeepalive(client, ${JSON.stringify(REQUEST)})], ['read', () => ka.getKeepalive(client)], ['defaults', () => ka.systemDefaults()]]) {
  try { out[key] = call(); } catch (error) { out[key] = { error: String(error), code: error.code }; }
}
console.log(JSON.stringify(out));
process.stdin.once('data', () => { client.destroy(); server.close(); process.exit(0); });
`;

const log = (line: string): void => void process.stderr.write(`runtimes: ${line}\n`);

const results: boolean[] = [];
function check(name: string, ok: boolean, detail: unknown): void {
  results.push(ok);
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok ? '' : `\n  ${JSON.stringify(detail)}`}`);
}

/** The descriptor in process `pid` of its TCP socket bound to 127.0.0.1:`port`, found through /proc alone. */
function descriptorByPort(pid: number, port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const row = fs
    .readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cells) => cells[1] === local && cells[3] === '01');
  if (!row) throw new Error(`no established socket on ${local} in /proc/${pid}/net/tcp`);
  const link = `socket:[${row[9]}]`;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return Number(fd);
    } catch {
      // closed meanwhile
    }
  }
  throw new Error(`no descriptor of ${pid} is ${link}`);
}

/** The kernel's keepalive values of another process's socket, read by CPython through a pidfd_getfd duplicate. */
function readOtherProcess(pid: number, fd: number): Record<string, number> {
  const { binding } = require(path.join(REPO, 'dist', 'native.js')) as {
    binding: { pidfdOpen(pid: number): number; pidfdGetfd(pidfd: number, fd: number): number };
  };
  const pidfd = binding.pidfdOpen(pid);
  if (pidfd < 0) throw new Error(`pidfd_open(${pid}) failed: ${pidfd}`);
  const copy = binding.pidfdGetfd(pidfd, fd);
  fs.closeSync(pidfd);
  if (copy < 0) throw new Error(`pidfd_getfd(${fd}) failed: ${copy}`);
  try {
    const result = spawnSync(process.env.PYTHON ?? 'python3', [READER, '{"do":"read"}'], { stdio: ['ignore', 'pipe', 'pipe', copy], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`kernel reader failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, number>;
  } finally {
    fs.closeSync(copy);
  }
}

function sysctl(name: string): number {
  return Number(fs.readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8'));
}

async function probe(runtime: Runtime): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-runtime-'));
  const script = path.join(dir, 'probe.mjs');
  fs.writeFileSync(script, PROBE);
  const [command, ...args] = runtime.command();
  const version = `${runtime.name} ${spawnSync(command!, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.replace(/^(bun|deno) /i, '').split(' ')[0]}`;
  const child = spawn(command!, [...args, script], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        if (buffered.includes('\n')) resolve(buffered.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`${runtime.name} exited ${code} before reporting: ${buffered}`)));
    });
    const out = JSON.parse(line) as { pid: number; port: number; set: unknown; read: unknown; defaults: unknown };
    const expected = { enable: true, idle: REQUEST.idle, interval: REQUEST.interval, count: REQUEST.count };
    check(`${version}: setKeepalive returns what the kernel holds`, JSON.stringify(pick(out.set)) === JSON.stringify(expected), out.set);
    check(`${version}: getKeepalive reads it back`, JSON.stringify(pick(out.read)) === JSON.stringify(expected), out.read);
    const kernel = readOtherProcess(out.pid, descriptorByPort(out.pid, out.port));
    check(
      `${version}: the kernel holds 34 s / 7 s / 5 (read from outside by pidfd_getfd)`,
      kernel.keepalive === 1 && kernel.idle === 34 && kernel.interval === 7 && kernel.count === 5,
      kernel,
    );
    const defaults = out.defaults as { idle?: number; interval?: number; count?: number };
    const system = { idle: sysctl('tcp_keepalive_time') * 1000, interval: sysctl('tcp_keepalive_intvl') * 1000, count: sysctl('tcp_keepalive_probes') };
    check(
      `${version}: systemDefaults matches /proc/sys/net/ipv4`,
      defaults.idle === system.idle && defaults.interval === system.interval && defaults.count === system.count,
      { defaults, system },
    );
    child.stdin.end('done\n');
    log(`${version}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    check(`${runtime.name}: the probe ran`, false, String(error));
    child.kill('SIGKILL');
  } finally {
    clearTimeout(timer);
    await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(null)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pick(value: unknown): unknown {
  const v = value as Record<string, unknown> | null;
  return v && { enable: v.enable, idle: v.idle, interval: v.interval, count: v.count };
}

async function main(): Promise<number> {
  if (!fs.existsSync(path.join(REPO, 'dist', 'index.js'))) throw new Error('dist/ is missing: npm run build:ts first');
  for (const runtime of RUNTIMES) await probe(runtime);
  const passed = results.filter(Boolean).length;
  console.log(`runtimes: ${passed} passed, ${results.length - passed} failed`);
  return passed === results.length && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
