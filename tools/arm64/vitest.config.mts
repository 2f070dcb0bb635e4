// The suite's own configuration, with the test files run by the arm64 Node
// under qemu-user (tools/arm64/test.ts sets TKA_ARM64_NODE and
// TKA_QEMU): vitest itself (its bundler is a native x64 module) stays in
// this host process and hands each test file, already transformed, to a
// worker process that is the arm64 node. The worker talks to vitest over the
// IPC channel child_process.fork opens, which qemu-user passes through.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import type { PoolOptions, PoolWorker, WorkerRequest } from 'vitest/node';
import base from '../../vitest.config.mts';

const QEMU = process.env.TKA_QEMU ?? 'qemu-aarch64-static';
const NODE = process.env.TKA_ARM64_NODE;
if (!NODE) throw new Error('TKA_ARM64_NODE: the arm64 node binary to run the tests with (npm run test:arm64 sets it)');
const POOL = 'qemu-arm64';

/** vitest's forks worker, started as `qemu <arm64 node> <worker>`. */
class QemuWorker implements PoolWorker {
  readonly name = POOL;
  private child: ChildProcess | undefined;
  private readonly entrypoint: string;

  constructor(private readonly options: PoolOptions) {
    this.entrypoint = fileURLToPath(new URL('workers/forks.js', `file://${options.distPath}/`));
  }

  private get process(): ChildProcess {
    if (!this.child) throw new Error('the qemu worker is not running');
    return this.child;
  }

  on(event: string, callback: (arg: any) => void): void {
    this.process.on(event, callback);
  }

  off(event: string, callback: (arg: any) => void): void {
    this.process.off(event, callback);
  }

  send(message: WorkerRequest): void {
    this.process.send(message);
  }

  async start(): Promise<void> {
    // fork() runs execPath with execArgv first: qemu, then the node it emulates.
    this.child ??= fork(this.entrypoint, [], {
      execPath: QEMU,
      execArgv: [NODE!, ...this.options.execArgv],
      env: this.options.env,
      stdio: 'pipe',
      serialization: 'advanced',
    });
    this.child.stdout?.pipe(this.options.project.vitest.logger.outputStream, { end: false });
    this.child.stderr?.pipe(this.options.project.vitest.logger.errorStream, { end: false });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // As vitest's own forks worker: SIGTERM, then SIGKILL if it lingers.
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.kill();
    await exited;
    clearTimeout(kill);
  }

  deserialize(data: unknown): unknown {
    return data;
  }
}

export default mergeConfig(base, {
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    pool: { name: POOL, createPoolWorker: (options: PoolOptions) => new QemuWorker(options) },
    // Emulated: everything is slower, and the machine may be shared.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
