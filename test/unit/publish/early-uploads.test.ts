// Early uploads (src/publish/early-uploads.ts) over a folder store: nothing is written before the
// destination's state is known, nor for a library another tool wrote, nor for bytes the library holds;
// a new large file is stored under its content-addressed key; small files wait for the engine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EarlyUploads } from '../../../src/publish/early-uploads.js';
import { FsStore } from '../../../src/store/fs.js';

async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), 'claas-early-'));
  const path = join(dir, 'disk.vmdk');
  const data = Buffer.alloc(64 * 1024, 7);
  await writeFile(path, data);
  const st = await stat(path);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const file = {
    item: 'tmpl',
    name: 'disk.vmdk',
    path,
    size: data.length,
    sha256,
    stat: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino },
  };
  return { dir, file, key: `tmpl/${sha256}/disk.vmdk` };
}

async function keys(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(root.length + 1))
    .sort();
}

test('a new large file is stored early; the engine takes it (true)', async () => {
  const { dir, file, key } = await fixture();
  try {
    const root = join(dir, 'lib');
    const early = new EarlyUploads(new FsStore(root), {
      knownHashes: Promise.resolve(new Set()),
      minSize: 1,
    });
    early.offer(file);
    assert.equal(early.has(key), true);
    assert.equal(await early.take(key), true);
    assert.equal(early.has(key), false, 'taken once');
    assert.deepEqual(await keys(root), [key]);
    await early.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('nothing is written while the state is unknown, for a foreign library, for known bytes, for small files', async () => {
  const { dir, file, key } = await fixture();
  try {
    const root = join(dir, 'lib');
    let resolve!: (v: Set<string> | undefined) => void;
    const pending = new EarlyUploads(new FsStore(root), {
      knownHashes: new Promise((r) => (resolve = r)),
      minSize: 1,
    });
    pending.offer(file);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await keys(root).catch(() => []), [], 'waits for the state');
    resolve(undefined); // a library another tool wrote
    assert.equal(await pending.take(key), false);

    const known = new EarlyUploads(new FsStore(root), {
      knownHashes: Promise.resolve(new Set([file.sha256])),
      minSize: 1,
    });
    known.offer(file);
    assert.equal(await known.take(key), false);

    const failed = new EarlyUploads(new FsStore(root), {
      knownHashes: Promise.reject(new Error('bad')),
      minSize: 1,
    });
    failed.offer(file);
    await assert.rejects(failed.take(key)!);

    const small = new EarlyUploads(new FsStore(root), { knownHashes: Promise.resolve(new Set()) });
    small.offer(file); // 64 KiB is below the default 16 MiB
    assert.equal(small.has(key), false);
    assert.deepEqual(await keys(root).catch(() => []), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
