// The README's quick start in its order: `npm run demo` writes ./claas-demo into the checkout, then
// `npm test` lints. Here: the real `claas demo --no-serve` with its default output folder (in the
// repository), then the lint command npm test runs, which must pass, and git must see nothing new.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { runCli } from '../../helpers/cli.js';

/** The repository, resolved from dist/test/unit/demo. */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function gitStatus(): Set<string> | undefined {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined; // not a git checkout (a release tarball): nothing to compare
  return new Set(r.stdout.split('\n').filter(Boolean));
}

test('npm run demo, then the lint of npm test: lint passes and git sees nothing new', async () => {
  const demoDir = join(REPO_ROOT, 'claas-demo');
  const existed = existsSync(demoDir);
  const before = gitStatus();
  try {
    const demo = await runCli(['demo', '--no-serve', '--quiet'], { cwd: REPO_ROOT });
    assert.equal(demo.code, 0, demo.stderr);
    assert.ok(existsSync(join(demoDir, 'library', 'lib.json')), 'the demo wrote its library into the tree');

    const lint = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(lint.status, 0, `npm run lint failed after the demo:\n${lint.stdout}\n${lint.stderr}`);

    const after = gitStatus();
    if (before && after) {
      const added = [...after].filter((line) => !before.has(line));
      assert.deepEqual(added, [], 'files the demo wrote must be ignored by git');
    }
  } finally {
    if (!existed) await rm(demoDir, { recursive: true, force: true });
  }
});
