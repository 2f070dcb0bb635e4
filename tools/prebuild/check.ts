// npm pack's prepack step: refuses to pack a package that lacks a prebuild
// (targets.ts) or carries one that is not what its name says, so that no
// published tarball makes its users compile. Prints what is wrong and how to
// make them (npm run prebuild, on Linux x64).
//
//   node build/tools/prebuild/check.js [DIR]   (DIR: the package, default this repository)
//
// TKA_PACK_HOST_ONLY=1 lets npm run test:packed (without --all) pack with the
// host's prebuild alone; a release never sets it.
import fs from 'node:fs';
import path from 'node:path';
import { PREBUILDS, prebuildProblem } from './targets';

const REPO = path.resolve(process.argv[2] ?? path.join(__dirname, '../../..'));

function main(): number {
  const hostOnly = process.env.TKA_PACK_HOST_ONLY === '1';
  const wanted = hostOnly ? PREBUILDS.filter((p) => fs.existsSync(path.join(REPO, 'prebuilds', p.file))) : PREBUILDS;
  const problems = wanted
    .map((prebuild) => ({ prebuild, problem: prebuildProblem(prebuild, path.join(REPO, 'prebuilds', prebuild.file)) }))
    .filter((entry) => entry.problem);
  if (problems.length === 0 && wanted.length > 0) {
    console.error(`prepack: ${wanted.length} prebuilds, each what its name says${hostOnly ? ' (TKA_PACK_HOST_ONLY: not all targets)' : ''}`);
    return 0;
  }
  console.error('npm pack refused: the package must carry a prebuilt addon for every target, or users must compile it.');
  for (const { prebuild, problem } of problems) console.error(`  prebuilds/${prebuild.file}: ${problem}`);
  if (wanted.length === 0) console.error('  prebuilds/: none at all');
  console.error('Make them with `npm run prebuild` on Linux x64 (zig and mingw-w64 cross-compile the others; CONTRIBUTING.md, "Releasing").');
  return 1;
}

process.exit(main());
