// The linux-arm64 addon, cross-built with zig (aarch64-linux-gnu.2.28: the
// glibc Node's own arm64 binaries need; warnings as errors, tools/zig.ts)
// into prebuilds/linux-arm64/tcp-keepalive.node, checked to be an arm64 ELF
// shared object. Used by npm run prebuild and npm run test:arm64.
import fs from 'node:fs';
import path from 'node:path';
import { describeBinary } from '../binary-format';
import { buildWithZig, REPO, ZIG_TARGETS } from '../zig';

export const ARM64_PREBUILD = path.join(REPO, 'prebuilds', 'linux-arm64', 'tcp-keepalive.node');

export function buildLinuxArm64(log: (line: string) => void): string {
  const target = ZIG_TARGETS['linux-arm64'];
  const built = path.join(REPO, 'build', target.name, 'tcp_keepalive.node');
  const seconds = buildWithZig(target, built, log);
  const info = describeBinary(built);
  if (info.format !== 'ELF' || info.arch !== 'arm64' || !info.shared) throw new Error(`${built} is not an arm64 ELF shared object: ${JSON.stringify(info)}`);
  fs.mkdirSync(path.dirname(ARM64_PREBUILD), { recursive: true });
  fs.copyFileSync(built, ARM64_PREBUILD);
  log(`built ${path.relative(REPO, ARM64_PREBUILD)} for ${target.triple} in ${seconds.toFixed(1)} s (${fs.statSync(ARM64_PREBUILD).size} bytes)`);
  return ARM64_PREBUILD;
}
