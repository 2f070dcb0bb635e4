// The command stands on the library: outside lib/cli it imports only the
// public API (lib/index.ts) and the door of what the command needs beyond it
// (lib/diagnostics/index.ts), never one of diagnostics' parts. A helper it
// needs goes through that index. One exception: lib/escape.ts, which imports
// nothing, so that the command can print a one-line error when the addon
// itself cannot load (both doors load it).
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'lib', 'cli');
// lib/diagnostics is its folder's index.ts, named either way.
const ALLOWED = new Set([path.join(ROOT, 'lib', 'escape'), path.join(ROOT, 'lib', 'index'), path.join(ROOT, 'lib', 'diagnostics'), path.join(ROOT, 'lib', 'diagnostics', 'index')]);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

it('imports nothing of the library but lib/index.ts, lib/diagnostics/index.ts and the addon-free lib/escape.ts', () => {
  const files = sources(CLI);
  expect(files.length).toBeGreaterThan(10);
  const outside: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    // Static imports and re-exports, `import type` included, import() and require() calls.
    for (const match of text.matchAll(/(?:from|import\(|require\()\s*'(\.[^']*)'/g)) {
      const target = path.resolve(path.dirname(file), match[1]!).replace(/\.js$/, '');
      if (!target.startsWith(CLI + path.sep) && !ALLOWED.has(target)) outside.push(`${path.relative(ROOT, file)} imports ${match[1]}`);
    }
  }
  expect(outside).toEqual([]);
});
