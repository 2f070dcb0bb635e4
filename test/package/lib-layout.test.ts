// lib/ is laid out as its architecture: no import cycle, no chain of
// imports deeper than MAX_DEPTH modules (a module counted above everything it
// imports), at most MAX_CLI_TOP files at the top of lib/cli, every folder
// opened by its header, and each folder importing only what its header says. Imports are read with TypeScript's own scanner
// (ts.preProcessFile): `import type`, re-exports and import() count too.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib');
const MAX_DEPTH = 13;
const MAX_CLI_TOP = 12;

const relative = (file: string): string => path.relative(ROOT, file);

function folders(dir: string): string[] {
  const below = fs.readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return [dir, ...below.flatMap((entry) => folders(path.join(dir, entry.name)))];
}

function sourcesIn(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(dir, entry.name));
}

const SOURCES = folders(LIB).flatMap(sourcesIn);
const KNOWN = new Set(SOURCES);

/** The module of lib/ a relative import names; null for one outside lib/ (binding.d.ts, packages, node:). */
function resolveImport(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = path.resolve(path.dirname(from), specifier).replace(/\.m?js$/, '');
  if (!target.startsWith(LIB + path.sep)) return null;
  const found = [`${target}.ts`, `${target}.mts`, path.join(target, 'index.ts')].find((candidate) => KNOWN.has(candidate));
  if (!found) throw new Error(`${relative(from)} imports ${specifier}, which is no module of lib/`);
  return found;
}

const IMPORTS = new Map(
  SOURCES.map((file) => {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, false);
    const targets = importedFiles.map((imported) => resolveImport(file, imported.fileName)).filter((target) => target !== null);
    return [file, [...new Set(targets)]];
  }),
);

/** Each module's depth and the longest chain below it; throws on a cycle, naming it. */
function depths(): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const visiting: string[] = [];
  const visit = (file: string): string[] => {
    const known = chains.get(file);
    if (known) return known;
    const at = visiting.indexOf(file);
    if (at >= 0) throw new Error(`import cycle: ${[...visiting.slice(at), file].map(relative).join(' -> ')}`);
    visiting.push(file);
    let longest: string[] = [];
    for (const target of IMPORTS.get(file)!) {
      const below = visit(target);
      if (below.length > longest.length) longest = below;
    }
    visiting.pop();
    const chain = [file, ...longest];
    chains.set(file, chain);
    return chain;
  };
  for (const file of SOURCES) visit(file);
  return chains;
}

it('has no import cycle', () => {
  expect(() => depths()).not.toThrow();
});

it(`has no chain of imports deeper than ${MAX_DEPTH} modules`, () => {
  const deepest = [...depths().values()].reduce((a, b) => (b.length > a.length ? b : a));
  expect(deepest.length, deepest.map(relative).join(' -> ')).toBeLessThanOrEqual(MAX_DEPTH);
});

it(`keeps at most ${MAX_CLI_TOP} files at the top of lib/cli`, () => {
  const top = fs.readdirSync(path.join(LIB, 'cli'), { withFileTypes: true }).filter((entry) => entry.isFile());
  expect(top.length, top.map((entry) => entry.name).join(', ')).toBeLessThanOrEqual(MAX_CLI_TOP);
});

/**
 * A folder's header: the opening comment of one of its files (its main file),
 * whose first line names the folder ("// lib/cli/live/: the live view ...")
 * and which says what the folder may import ("May import: ...").
 */
function header(file: string): { folder: string; text: string } | null {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0]?.startsWith('#!')) lines.shift();
  const comment: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('//')) break;
    comment.push(line);
  }
  const match = /^\/\/ (lib(?:\/[\w.-]+)*)\/: \S/.exec(comment[0] ?? '');
  return match ? { folder: match[1]!, text: comment.join('\n') } : null;
}

it('opens every folder of lib/ with a header saying what lives there and what it may import', () => {
  const problems: string[] = [];
  for (const folder of folders(LIB)) {
    const name = relative(folder).split(path.sep).join('/');
    const headers = sourcesIn(folder).flatMap((file) => {
      const found = header(file);
      return found ? [{ file, ...found }] : [];
    });
    for (const { file, folder: named } of headers) if (named !== name) problems.push(`${relative(file)} opens with the header of ${named}/`);
    const own = headers.filter((found) => found.folder === name);
    if (own.length !== 1) problems.push(`${name}/ has ${own.length} headers (one file should open with "// ${name}/: ...")`);
    for (const { file, text } of own) if (!/May import:/.test(text)) problems.push(`${relative(file)}: the header of ${name}/ does not say what it may import ("May import: ...")`);
  }
  expect(problems).toEqual([]);
});

// What each folder may import, as its header says (folders of lib/, or one
// module by its file); a command's folder may also import itself. Outside
// lib/cli the command is held to lib/index.ts and lib/diagnostics/index.ts
// by test/cli/boundary.test.ts as well.
const COMMAND = /^lib\/cli\/commands\/[^/]+$/;
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: ['lib', 'lib/path'],
  'lib/path': ['lib', 'lib/path'],
  'lib/diagnostics': ['lib', 'lib/diagnostics'],
  'lib/cli': ['lib/cli/terminal', 'commands'],
  'lib/cli/terminal': ['lib/cli/terminal', 'lib/diagnostics/index.ts', 'lib/escape.ts'],
  'lib/cli/live/wire': ['lib/cli/live/wire', 'lib/cli/terminal', 'lib/diagnostics/index.ts'],
  'lib/cli/live': ['lib/cli/live', 'lib/cli/live/wire', 'lib/cli/terminal', 'lib/index.ts', 'lib/diagnostics/index.ts'],
  'lib/cli/commands': ['lib/cli/commands', 'lib/cli/terminal', 'lib/index.ts', 'lib/diagnostics/index.ts'],
  command: ['lib/cli/commands', 'lib/cli/terminal', 'lib/cli/live', 'lib/cli/live/wire', 'lib/index.ts', 'lib/diagnostics/index.ts'],
};

it('keeps each folder to what its header says it may import', () => {
  const name = (file: string): string => relative(file).split(path.sep).join('/');
  const problems: string[] = [];
  for (const [file, targets] of IMPORTS) {
    const folder = path.posix.dirname(name(file));
    const rules = MAY_IMPORT[COMMAND.test(folder) ? 'command' : folder];
    if (!rules) {
      problems.push(`${folder}/ has no import rule here`);
      continue;
    }
    for (const target of targets) {
      const to = name(target);
      const toFolder = path.posix.dirname(to);
      const ok =
        toFolder === folder ||
        rules.some((rule) => rule === to || rule === toFolder || (rule === 'commands' && COMMAND.test(toFolder)));
      if (!ok) problems.push(`${name(file)} imports ${to}`);
    }
  }
  expect(problems).toEqual([]);
});
