// npm run bench:windows: what finding the SOCKET of a net.Socket costs on
// Windows, measured under Wine with the Windows node.exe (first lookup by
// uv_walk with 1, 100 and 1000 connections open; the cached path the library
// takes afterwards; a handle-value scan for comparison). Prints JSON.
// Wine's system calls are far slower than Windows' (each getsockname is a
// round trip to wineserver), so these are upper bounds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWindows, WINDOWS_ADDON } from './build';
import { ensureToolchain, nodeExe, REPO, run, runWine, WINDOWS_BUILD, winePrefix } from './env';

async function main(): Promise<number> {
  ensureToolchain(true);
  const prefix = winePrefix();
  buildWindows();
  run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [REPO] }), '-p', path.join(REPO, 'test', 'windows', 'tsconfig.json')]);
  const js = path.join(WINDOWS_BUILD, 'js');
  fs.mkdirSync(path.join(js, 'prebuilds', 'win32-x64'), { recursive: true });
  fs.copyFileSync(WINDOWS_ADDON, path.join(js, 'prebuilds', 'win32-x64', 'tcp-keepalive.node'));
  const majors = (process.env.TKA_WINDOWS_NODE ?? '22').split(',').map(Number);
  for (const major of majors) {
    const { exe, version } = nodeExe(major);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tka-bench-')), 'report.json');
    const result = await runWine(prefix, exe, [path.join(js, 'test', 'windows', 'lookup-bench.js'), out]);
    const report = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : `${result.stdout}${result.stderr}`;
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    console.log(`node.exe ${version} under Wine:\n${report}`);
    if (result.status !== 0) return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
