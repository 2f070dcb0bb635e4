// npm run test:asan: the addon built with AddressSanitizer and
// UndefinedBehaviorSanitizer (gcc's runtimes, every report fatal) and the
// test-only hooks, into build-asan/ (build/ is left alone), then the tests
// that exercise the addon and the facade run against it
// (vitest.asan.config.mts), the addon chosen through TCP_KEEPALIVE_ADDON.
//
// Node itself is not instrumented, so the sanitizer runtime is preloaded
// (LD_PRELOAD) to come before everything else. detect_leaks=0: LeakSanitizer
// would report what Node, V8 and the test runner deliberately leave
// allocated at exit, none of it the addon's; leaks in the addon are what
// test/api/no-leaks.test.ts measures. Kernel writes are invisible to
// AddressSanitizer: test/asan/guard-page.test.ts shows the guard page catching
// them instead.
//
//   node build/tools/asan/run.js [vitest filters...]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const OUT = 'build-asan';
const ADDON = path.join(REPO, OUT, 'Release', 'tcp_keepalive.node');

function sanitizerRuntime(): string {
  const compiler = process.env.CC ?? 'gcc';
  const file = execFileSync(compiler, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  // gcc answers the bare name when it has no such file.
  if (!path.isAbsolute(file) || !fs.existsSync(file)) {
    throw new Error(`${compiler} has no libasan.so (install gcc's sanitizer runtime, e.g. apt-get install libasan8)`);
  }
  return fs.realpathSync(file);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd: REPO, stdio: 'inherit', env });
  if (result.status !== 0) {
    process.exitCode = result.status ?? 1;
    throw new Error(`${command} ${args.join(' ')} failed (${result.signal ?? result.status})`);
  }
}

function main(): void {
  const started = Date.now();
  const runtime = sanitizerRuntime();
  run(process.execPath, [path.join(REPO, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', OUT, '--CDTCPKA_SANITIZE=ON']);
  if (!fs.existsSync(ADDON)) throw new Error(`no addon at ${ADDON}`);
  console.log(`asan: ${ADDON}, runtime ${runtime}`);
  run(
    process.execPath,
    [path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.asan.config.mts', ...process.argv.slice(2)],
    {
      ...process.env,
      TCP_KEEPALIVE_ADDON: ADDON,
      LD_PRELOAD: runtime,
      ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
  );
  console.log(`asan: passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

try {
  main();
} catch (error) {
  console.error(`asan: ${(error as Error).message}`);
  process.exitCode ||= 1;
}
