// The layering of src/, read from the source tree: the top-level folders import each other without
// cycles, each folder imports only the folders it may (the table below, drawn in docs/architecture.md),
// and only src/store talks to the AWS SDK. A new folder, or a new kind of import between folders, is a
// design decision: change the table (and the document) on purpose, not by accident.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** What each top-level folder (or file, without .ts) of src/ may import of the others. */
const ALLOWED: Record<string, readonly string[] | 'anything'> = {
  errors: [],
  util: ['errors'],
  vcsp: ['errors'],
  net: ['errors'],
  store: ['errors', 'util'],
  content: ['errors', 'util', 'vcsp'],
  config: ['errors', 'store'],
  publish: ['content', 'errors', 'store', 'util', 'vcsp'],
  access: ['store'],
  replicate: ['access', 'config', 'errors', 'publish', 'store', 'util', 'vcsp'],
  archive: ['config', 'content', 'errors', 'publish', 'store', 'util', 'vcsp'],
  subscriber: ['content', 'errors', 'net', 'publish', 'store', 'util', 'vcsp'],
  vcenter: ['errors', 'net', 'util', 'vcsp'],
  sources: ['content', 'errors', 'publish', 'store', 'subscriber', 'util', 'vcenter', 'vcsp'],
  gateway: ['config', 'errors', 'net', 'publish', 'replicate', 'store', 'util', 'vcsp'],
  demo: ['content'],
  run: [
    'archive',
    'config',
    'content',
    'errors',
    'net',
    'publish',
    'replicate',
    'sources',
    'store',
    'subscriber',
    'util',
    'vcenter',
    'vcsp',
  ],
  cli: 'anything',
};

/** The only folder that may import the AWS SDK. */

/** The repository root: the nearest folder above this (compiled) test that holds package.json and src/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'errors.ts'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('no folder with package.json and src/errors.ts above this test');
    dir = up;
  }
}

const SRC = join(repoRoot(), 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.isFile() && e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level folder of src/ a path belongs to ("errors" for src/errors.ts). */
function unit(path: string): string {
  const [first = '', ...rest] = relative(SRC, path).split(sep);
  return rest.length === 0 ? first.replace(/\.(ts|js)$/, '') : first;
}

interface Import {
  file: string;
  specifier: string;
}

const files = tsFiles(SRC);

/** Every import of every file: static, type-only, re-exports and dynamic import(). */
function allImports(): Import[] {
  return files.flatMap((path) =>
    ts
      .preProcessFile(readFileSync(path, 'utf8'), true, true)
      .importedFiles.map((f) => ({ file: path, specifier: f.fileName })),
  );
}

const imports = allImports();

/** from → to → the files of `from` that import `to` (relative imports between different units). */
function unitGraph(): Map<string, Map<string, Set<string>>> {
  const graph = new Map<string, Map<string, Set<string>>>();
  for (const { file, specifier } of imports) {
    if (!specifier.startsWith('.')) continue;
    const target = resolve(dirname(file), specifier);
    const from = unit(file);
    const to = relative(SRC, target).startsWith('..') ? '(outside src/)' : unit(target);
    if (from === to) continue;
    const edges = graph.get(from) ?? new Map<string, Set<string>>();
    graph.set(from, edges);
    const files = edges.get(to) ?? new Set<string>();
    edges.set(to, files);
    files.add(relative(SRC, file));
  }
  return graph;
}

const graph = unitGraph();

test('the source tree is found and its imports are read', () => {
  assert.ok(files.length > 100 && imports.length > 500, `only ${imports.length} imports read from ${SRC}`);
  assert.ok(graph.get('cli')?.has('store'), 'cli imports store');
  assert.ok(graph.get('store')?.has('errors'), 'store imports errors.ts');
});

test('the top-level folders of src/ import each other without cycles', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (node: string, path: string[]): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(node)), node].join(' → '));
      return;
    }
    state.set(node, 'visiting');
    for (const next of graph.get(node)?.keys() ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) visit(node, []);
  assert.deepEqual(cycles, [], `cycles between folders of src/:\n${cycles.join('\n')}`);
});

test('each folder imports only the folders the layering allows', () => {
  const units = new Set(files.map(unit));
  const unknown = [...units].filter((u) => !(u in ALLOWED)).sort();
  assert.deepEqual(unknown, [], 'folders of src/ missing from the table in this test: add them on purpose');
  const wrong: string[] = [];
  for (const [from, edges] of graph) {
    const allowed = ALLOWED[from];
    if (allowed === 'anything') continue;
    for (const [to, files] of edges) {
      if (!allowed?.includes(to)) wrong.push(`${from} → ${to} (${[...files].sort().join(', ')})`);
    }
  }
  assert.deepEqual(wrong.sort(), [], `imports the layering does not allow:\n${wrong.join('\n')}`);
});

// That no module outside src/store imports the AWS SDK is test/unit/store/sdk-boundary.test.ts.
