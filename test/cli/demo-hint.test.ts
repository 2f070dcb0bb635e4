// The loopback demo's last line names the command to run as root, as this
// one was started: `npm run demo` exists only in this package's checkout,
// `npx tcp-keepalive demo` wherever it is installed or fetched, and
// `tcp-keepalive demo` for a global install.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../lib/cli/terminal/invocation';
import { AS_NOBODY, assertBuilt, CLI, CliProcess, killAll, runnableByNobody } from '../helpers/command';

beforeAll(assertBuilt);
afterEach(killAll);

describe('commandLine', () => {
  const plain = { env: {}, cwd: '/work/app' };
  it('names npm run only for this package\'s own script, npx for npx and a project install, the bare name for a global bin', () => {
    const npmRun = { npm_lifecycle_event: 'demo', npm_package_name: 'tcp-keepalive' };
    expect(commandLine('demo', { ...plain, env: npmRun, script: '/src/tcp-keepalive/dist/cli/main.js' })).toBe('npm run demo');
    // A user's own project with a script of the same name has no `demo` of ours.
    expect(commandLine('demo', { ...plain, env: { ...npmRun, npm_package_name: 'my-app' }, script: '/work/app/node_modules/.bin/tcp-keepalive' })).toBe('npx tcp-keepalive demo');
    // `npm test` running the command is not `npm run demo`.
    expect(commandLine('demo', { ...plain, env: { ...npmRun, npm_lifecycle_event: 'test' }, script: '/src/tcp-keepalive/dist/cli/main.js', cwd: '/src/tcp-keepalive' })).toBe('node dist/cli/main.js demo');
    expect(commandLine('demo', { ...plain, env: { npm_lifecycle_event: 'npx' }, script: '/root/.npm/_npx/1a2b/node_modules/.bin/tcp-keepalive' })).toBe('npx tcp-keepalive demo');
    expect(commandLine('demo', { ...plain, script: '/work/app/node_modules/.bin/tcp-keepalive' })).toBe('npx tcp-keepalive demo');
    expect(commandLine('demo', { ...plain, script: '/work/app/node_modules/tcp-keepalive/dist/cli/main.js' })).toBe('npx tcp-keepalive demo');
    expect(commandLine('demo', { ...plain, script: '/usr/local/bin/tcp-keepalive' })).toBe('tcp-keepalive demo');
    expect(commandLine('demo', { ...plain, script: '/opt/checkout/dist/cli/main.js' })).toBe('node /opt/checkout/dist/cli/main.js demo');
  });
});

// As root the command runs as nobody (the hint is for those who are not root); otherwise as this user.
describe('the loopback demo run as it would be started', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The demo started through `script` (a link to the command), with npm's variables cleared and `env` set. */
  async function hint(script: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const node = AS_NOBODY.uid === undefined ? process.execPath : runnableByNobody().node;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && name !== 'NODE_OPTIONS'));
    const child = spawn(node, [script, 'demo'], { ...AS_NOBODY, cwd: dir, env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const result = await new CliProcess(child).done;
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trimEnd().split('\n').at(-1)!;
  }

  it('says sudo npm run demo, sudo npx tcp-keepalive demo or sudo tcp-keepalive demo', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tka-hint-'));
    chmodSync(dir, 0o755);
    const cli = AS_NOBODY.uid === undefined ? CLI : runnableByNobody().cli;
    mkdirSync(join(dir, 'bin'));
    symlinkSync(cli, join(dir, 'bin', 'tcp-keepalive'));
    mkdirSync(join(dir, 'app', 'node_modules', '.bin'), { recursive: true });
    symlinkSync(cli, join(dir, 'app', 'node_modules', '.bin', 'tcp-keepalive'));
    const [npmRun, global, project, npx] = await Promise.all([
      hint(cli, { npm_lifecycle_event: 'demo', npm_package_name: 'tcp-keepalive' }),
      hint(join(dir, 'bin', 'tcp-keepalive')),
      hint(join(dir, 'app', 'node_modules', '.bin', 'tcp-keepalive')),
      hint(join(dir, 'app', 'node_modules', '.bin', 'tcp-keepalive'), { npm_lifecycle_event: 'npx', npm_command: 'exec' }),
    ]);
    const shows = /^As root, the demo also runs two namespaced test hosts .*half-open\)\. Run it with: /;
    for (const line of [npmRun, global, project, npx]) expect(line).toMatch(shows);
    expect(npmRun).toMatch(/Run it with: sudo npm run demo$/);
    expect(global).toMatch(/Run it with: sudo tcp-keepalive demo$/);
    expect(project).toMatch(/Run it with: sudo npx tcp-keepalive demo$/);
    expect(npx).toMatch(/Run it with: sudo npx tcp-keepalive demo$/);
  }, 60_000);
});
