// The audit log under concurrency on Ceph RGW: N processes appending at once lose no entry; publishes back
// to back and from concurrent processes (the loser of the lock retries after LOCKED) leave exactly one
// committing entry per library version.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { readAudit, entriesByVersion } from '../../../src/publish/audit.js';
import { snapshotVersions } from '../../../src/archive/history.js';
import { openTestStore } from '../../helpers/ceph.js';

/** The CLI's library stores keep the audit log in the private area (issue 16): open the same way. */
const LIBRARY_STORE = { privateArea: { controlPrefix: 'claas-control' } };
import { cliEnv } from '../../helpers/cli.js';
import { claas, newBucket, s3Args, useArchiveContext } from './helpers.js';
import type { ArchiveTestContext } from './helpers.js';

const { skip, ctx: context } = useArchiveContext();
const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', '..');

/** A separate node process that appends `count` entries to the library's audit log as fast as it can. */
function appender(bucket: string, writer: number, count: number): Promise<number | null> {
  const script = `
    const { appendAudit } = await import(${JSON.stringify(pathToFileURL(join(dist, 'src/publish/audit.js')).href)});
    const { openTestStore } = await import(${JSON.stringify(pathToFileURL(join(dist, 'test/helpers/ceph.js')).href)});
    const store = await openTestStore('publisher', ${JSON.stringify(bucket)}, 'lib', { privateArea: { controlPrefix: 'claas-control' } });
    const actor = { name: 'writer-${writer}', source: 'configured', os: 'test' };
    await Promise.all(Array.from({ length: ${count} }, (_, i) =>
      appendAudit(store, { action: 'publish', actor, summary: '${writer}:' + i })));
    store.close();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: cliEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

test('entries appended concurrently from 6 processes are all there', { skip }, async () => {
  const c = context();
  const bucket = await newBucket(c, 'claas-audit-append');
  const writers = 6;
  const each = 12;
  const codes = await Promise.all(Array.from({ length: writers }, (_, w) => appender(bucket, w, each)));
  assert.deepEqual(codes, Array(writers).fill(0));
  const store = await openTestStore('publisher', bucket, 'lib', LIBRARY_STORE);
  const { entries, unreadable } = await readAudit(store);
  store.close();
  assert.deepEqual(unreadable, []);
  assert.equal(entries.length, writers * each);
  const seen = new Set(entries.map((e) => e.summary));
  for (let w = 0; w < writers; w++)
    for (let i = 0; i < each; i++) assert.ok(seen.has(`${w}:${i}`), `${w}:${i} lost`);
  for (let i = 1; i < entries.length; i++) {
    assert.ok(Date.parse(entries[i - 1]!.at) <= Date.parse(entries[i]!.at), 'oldest first');
  }
});

/** Publishes a folder, retrying while another publisher holds the lock (exit 75). */
async function publishRetrying(
  c: ArchiveTestContext,
  src: string,
  loc: string,
): Promise<{ attempts: number }> {
  for (let attempts = 1; attempts <= 60; attempts++) {
    const r = await claas(c, ['publish', src, '--to', loc, '--json', ...s3Args()]);
    if (r.code === 0) return { attempts };
    if (r.code !== 75) throw new Error(`publish failed (${r.code}): ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 100 + Math.random() * 400));
  }
  throw new Error('publish stayed locked');
}

test(
  'every committed version has exactly one audit entry, also with concurrent publishers',
  { skip },
  async (t) => {
    const c = context();
    const bucket = await newBucket(c, 'claas-audit-pub');
    const loc = `s3://${bucket}/lib`;
    const folder = async (name: string, content: string) => {
      const src = join(c.work, name);
      await mkdir(src, { recursive: true });
      await writeFile(join(src, 'shared.txt'), 'shared');
      await writeFile(join(src, `${name}.txt`), content);
      return src;
    };
    await publishRetrying(c, await folder('seq-0', '0'), loc);
    const store = await openTestStore('publisher', bucket, 'lib', LIBRARY_STORE);
    try {
      const first = (await readAudit(store)).entries;
      assert.deepEqual(
        first.map((e) => [e.action, e.library?.version]),
        [['publish', 1]],
        'the first publish appends one audit entry',
      );
      // Back to back.
      for (let i = 1; i <= 2; i++) await publishRetrying(c, await folder(`seq-${i}`, String(i)), loc);
      // Concurrently, from separate processes; losers retry after LOCKED.
      const sources = await Promise.all(Array.from({ length: 4 }, (_, i) => folder(`par-${i}`, `p${i}`)));
      const runs = await Promise.all(sources.map((s) => publishRetrying(c, s, loc)));
      t.diagnostic(`attempts of the concurrent publishers: ${runs.map((r) => r.attempts).join(', ')}`);

      const versions = await snapshotVersions(store);
      assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7]);
      const byVersion = entriesByVersion((await readAudit(store)).entries);
      for (const v of versions) {
        assert.equal(
          byVersion.get(v)?.length,
          1,
          `library version ${v} has ${byVersion.get(v)?.length ?? 0} entries`,
        );
      }
      const strict = await claas(c, ['audit', '--location', loc, '--strict', ...s3Args()]);
      assert.equal(strict.code, 0, strict.stdout + strict.stderr);
    } finally {
      store.close();
    }
  },
);
