// The Linux addons cross-built with zig (tools/zig.ts; warnings as errors):
// linux-arm64 for glibc 2.28 (what Node's own arm64 binaries need) into
// prebuilds/linux-arm64/tcp-keepalive.glibc.node, and the musl builds for x64
// and arm64 into prebuilds/linux-<arch>/tcp-keepalive.musl.node, each checked
// to be an ELF shared object of its CPU. Used by npm run prebuild and npm run
// test:arm64.
import fs from 'node:fs';
import path from 'node:path';
import { describeBinary } from '../binary-format';
import { buildWithZig, REPO, ZIG_TARGETS, type ZigTarget } from '../zig';

export const ARM64_PREBUILD = path.join(REPO, 'prebuilds', ZIG_TARGETS['linux-arm64'].prebuild);

export function buildLinux(name: 'linux-arm64' | 'linux-x64-musl' | 'linux-arm64-musl', log: (line: string) => void): string {
  const target: ZigTarget = ZIG_TARGETS[name];
  const arch = name.includes('arm64') ? 'arm64' : 'x64';
  const built = path.join(REPO, 'build', target.name, 'tcp_keepalive.node');
  const seconds = buildWithZig(target, built, log);
  const info = describeBinary(built);
  if (info.format !== 'ELF' || info.arch !== arch || !info.shared) throw new Error(`${built} is not an ${arch} ELF shared object: ${JSON.stringify(info)}`);
  const prebuild = path.join(REPO, 'prebuilds', target.prebuild);
  fs.mkdirSync(path.dirname(prebuild), { recursive: true });
  fs.copyFileSync(built, prebuild);
  log(`built ${path.relative(REPO, prebuild)} for ${target.triple} in ${seconds.toFixed(1)} s (${fs.statSync(prebuild).size} bytes)`);
  return prebuild;
}

export function buildLinuxArm64(log: (line: string) => void): string {
  return buildLinux('linux-arm64', log);
}
