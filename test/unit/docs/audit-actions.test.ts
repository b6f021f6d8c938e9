// docs/archives.md says which actions the audit log records; each one it lists must be one claas writes:
// a value given as an audit entry's `action` somewhere in src (the type in src/publish/audit.ts names
// actions that later work will write, so it does not count). And the other way round: every action of that
// type that some code writes is listed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository, resolved from dist/test/unit/docs. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

async function sourceLines(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.endsWith(join('src', 'publish', 'audit.ts'))) continue;
    lines.push(...(await readFile(path, 'utf8')).split('\n'));
  }
  return lines;
}

async function listedActions(): Promise<string[]> {
  const doc = await readFile(join(ROOT, 'docs', 'archives.md'), 'utf8');
  const listed = /`action` \(([a-z,\s]+)\)/
    .exec(doc)?.[1]
    ?.split(/,\s*/)
    .map((a) => a.trim());
  assert.ok(listed && listed.length > 0, 'docs/archives.md names the actions as "`action` (a, b, ...)"');
  return listed;
}

async function actionLines(): Promise<string[]> {
  return (await sourceLines(join(ROOT, 'src'))).filter((l) => /\baction\b/.test(l));
}

test('docs/archives.md lists only audit actions that claas writes', async () => {
  const listed = await listedActions();
  const lines = await actionLines();
  const unwritten = listed.filter((action) => !lines.some((l) => l.includes(`'${action}'`)));
  assert.deepEqual(unwritten, [], 'actions the docs list but no code writes');
});

test('docs/archives.md lists every audit action that claas writes', async () => {
  const type = await readFile(join(ROOT, 'src', 'publish', 'audit.ts'), 'utf8');
  const known = [...(/export type AuditAction =([^;]+);/.exec(type)?.[1] ?? '').matchAll(/'([a-z]+)'/g)].map(
    (m) => m[1]!,
  );
  assert.ok(known.length > 0, 'src/publish/audit.ts declares AuditAction');
  const listed = await listedActions();
  const lines = await actionLines();
  const undocumented = known.filter(
    (action) => !listed.includes(action) && lines.some((l) => l.includes(`'${action}'`)),
  );
  assert.deepEqual(undocumented, [], 'actions claas writes that the docs do not list');
});
