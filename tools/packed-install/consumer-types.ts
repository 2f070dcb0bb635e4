// Part of npm run test:packed: the declarations a user installs compile in
// the user's project, whatever its settings. A consumer file (ES module and
// CommonJS) is compiled against the installed package with the repository's
// TypeScript and @types/node (linked in: nothing is downloaded), --strict and
// skipLibCheck off, under every module resolution (node16, nodenext,
// bundler, node10) with esModuleInterop on and off, and with no options at
// all but --strict (tsc's defaults, as `tsc --strict app.ts` in a project
// with no tsconfig). A file with a misspelt constant must not compile: the
// types are checked, not just read.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ESM = `import * as net from 'node:net';
import { capabilities, constants, getKeepalive, setKeepalive, type KeepaliveOptions, type KeepaliveState, type TcpInfo } from 'tcp-keepalive';
import { setUserTimeout } from 'tcp-keepalive/net-keepalive';
import 'tcp-keepalive/register';

const socket = net.connect(1, '127.0.0.1');
const options: KeepaliveOptions = { idle: 30_000, interval: 5_000, count: 4 };
const state: KeepaliveState | null = setKeepalive(socket, options);
const idle: number = getKeepalive(socket).idle;
const count: number | null = getKeepalive(socket).count;
const level: number = constants.SOL_SOCKET;
const userTimeout: number | undefined = constants.TCP_USER_TIMEOUT;
const backend: 'linux' | 'darwin' | 'win32' = capabilities().backend;
const probes: TcpInfo['probes'] = null;
const set: boolean = setUserTimeout(socket, 1000);
export { state, idle, count, level, userTimeout, backend, probes, set };
`;

const CJS = `import net = require('node:net');
import tka = require('tcp-keepalive');
import netKeepalive = require('tcp-keepalive/net-keepalive');

const socket = net.connect(1, '127.0.0.1');
const state: tka.KeepaliveState | null = tka.setKeepalive(socket, { idle: 30_000 });
const idle: number = tka.getKeepalive(socket).idle;
const level: number = tka.constants.IPPROTO_TCP;
const probes: number = netKeepalive.getKeepAliveProbes(socket);
export { state, idle, level, probes };
`;

const TYPO = `import { constants } from 'tcp-keepalive';
export const idle: number | undefined = constants.TCP_KEEPIDEL;
`;

export interface Setting {
  name: string;
  flags: string[];
  files: string[];
}

function settings(): Setting[] {
  const list: Setting[] = [{ name: 'tsc --strict, no other option (no tsconfig)', flags: [], files: ['app.ts'] }];
  for (const interop of [true, false]) {
    const common = ['--esModuleInterop', String(interop), '--skipLibCheck', 'false', '--target', 'es2022'];
    const tag = `esModuleInterop ${interop ? 'on' : 'off'}`;
    for (const resolution of ['node16', 'nodenext']) {
      list.push({ name: `${resolution}, ${tag}`, flags: ['--module', resolution, '--moduleResolution', resolution, ...common], files: ['app.mts', 'app.cts'] });
    }
    list.push({ name: `bundler, ${tag}`, flags: ['--module', 'esnext', '--moduleResolution', 'bundler', ...common], files: ['app.ts'] });
    list.push({ name: `node10 (commonjs), ${tag}`, flags: ['--module', 'commonjs', '--moduleResolution', 'node10', ...common], files: ['app.ts'] });
  }
  return list;
}

/**
 * Compiles the consumer files in `project` (where tcp-keepalive is installed)
 * under each setting; `check` records each result.
 */
export function compileConsumers(repo: string, project: string, check: (name: string, ok: boolean, detail: string) => void): void {
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const types = path.join(project, 'node_modules', '@types');
  fs.mkdirSync(types, { recursive: true });
  fs.symlinkSync(path.join(repo, 'node_modules', '@types', 'node'), path.join(types, 'node'), 'junction');
  fs.symlinkSync(path.join(repo, 'node_modules', 'undici-types'), path.join(project, 'node_modules', 'undici-types'), 'junction');
  const dir = path.join(project, 'consumer');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'app.ts'), ESM);
  fs.writeFileSync(path.join(dir, 'app.mts'), ESM);
  fs.writeFileSync(path.join(dir, 'app.cts'), CJS);
  fs.writeFileSync(path.join(dir, 'typo.ts'), TYPO);
  const compile = (flags: string[], files: string[]) =>
    spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--types', 'node', ...flags, ...files], { cwd: dir, encoding: 'utf8' });
  const passed: string[] = [];
  for (const setting of settings()) {
    const result = compile(setting.flags, setting.files);
    const ok = result.status === 0;
    if (ok) passed.push(setting.name);
    check(`types: ${setting.files.join(' and ')} compile${setting.flags.length ? ` (${setting.name})` : ` with ${setting.name}`}`, ok, `${result.stdout}${result.stderr}`);
  }
  const typo = compile([], ['typo.ts']);
  check(
    "types: constants.TCP_KEEPIDEL (a typo) does not compile",
    typo.status !== 0 && /typo\.ts\(2,\d+\): error TS(2339|2551): Property 'TCP_KEEPIDEL' does not exist/.test(typo.stdout) && !/node_modules/.test(typo.stdout),
    typo.stdout,
  );
  console.log(`# types: ${passed.length} settings compiled`);
}
