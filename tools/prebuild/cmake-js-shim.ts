#!/usr/bin/env node
// Stands in for node-gyp when prebuildify drives the build (tools/prebuild/
// prebuild.ts): prebuildify runs `<node-gyp> rebuild --target=V --arch=A
// --release ...` in its working directory and then takes the .node file from
// build/Release. This runs cmake-js there instead, which builds against
// node-api-headers (N-API: one binary serves every Node version, so the
// target version is ignored) and writes build/Release/tcp_keepalive.node.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const args = process.argv.slice(2);
const arch = args.find((arg) => arg.startsWith('--arch='))?.slice('--arch='.length);
const debug = args.includes('--debug');
const repo = path.resolve(__dirname, '../../..');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [repo] });
const result = spawnSync(
  process.execPath,
  [cmakeJs, 'rebuild', '--out', 'build', ...(arch ? ['--arch', arch] : []), ...(debug ? ['--debug'] : [])],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
