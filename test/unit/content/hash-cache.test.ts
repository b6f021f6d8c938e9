// Tests for src/content/hash-cache.ts: hits only for unchanged files, corrupt caches ignored, 100k entries.

import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HashCache, defaultHashCachePath, hashWithCache } from '../../../src/content/hash-cache.js';
import { random, sha, tempDir } from './fixtures.js';

describe('defaultHashCachePath', () => {
  it('prefers CLAAS_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    assert.equal(defaultHashCachePath({ CLAAS_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }), '/c/hash-cache.json');
    assert.equal(defaultHashCachePath({ XDG_CACHE_HOME: '/x' }), '/x/claas/hash-cache.json');
    assert.equal(defaultHashCachePath({}), join(homedir(), '.cache', 'claas', 'hash-cache.json'));
  });
});

describe('HashCache', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  const st = { size: 10, mtimeMs: 1732475100123.25, ino: 42 };
  const hex = 'a'.repeat(64);

  it('returns an entry only when size, mtime and inode are unchanged', () => {
    const c = HashCache.inMemory();
    c.set('/x/a.vmdk', st, hex);
    assert.equal(c.get('/x/a.vmdk', st), hex);
    assert.equal(c.get('/x/a.vmdk', { ...st, size: 11 }), undefined);
    assert.equal(c.get('/x/a.vmdk', { ...st, mtimeMs: st.mtimeMs + 1 }), undefined);
    assert.equal(c.get('/x/a.vmdk', { ...st, ino: 43 }), undefined);
    assert.equal(c.get('/x/b.vmdk', st), undefined);
  });

  it('saves atomically, only when dirty, and loads what it saved', async () => {
    const file = join(dir, 'sub', 'cache.json');
    const c = await HashCache.load(file);
    await c.save();
    await assert.rejects(stat(file), { code: 'ENOENT' }, 'a clean cache is not written');
    c.set('/x/a.vmdk', st, hex);
    await c.save();
    const loaded = await HashCache.load(file);
    assert.equal(loaded.get('/x/a.vmdk', st), hex);
    const before = (await stat(file)).mtimeMs;
    await loaded.save();
    assert.equal((await stat(file)).mtimeMs, before, 'unchanged cache is not rewritten');
  });

  it('ignores a corrupt or foreign cache file', async () => {
    const file = join(dir, 'cache.json');
    for (const text of ['{not json', '[]', 'null', '{"format":"other","entries":{}}']) {
      await writeFile(file, text);
      assert.equal((await HashCache.load(file)).size, 0);
    }
    await writeFile(
      file,
      JSON.stringify({ format: 'claas.hash-cache/1', entries: { '/ok': [1, 2, 3, 'ab'], '/bad': [1, 'x'] } }),
    );
    const c = await HashCache.load(file);
    assert.equal(c.size, 1);
    assert.equal(c.get('/ok', { size: 1, mtimeMs: 2, ino: 3 }), 'ab');
  });

  it('handles 100k entries quickly', async () => {
    const file = join(dir, 'big.json');
    const c = await HashCache.load(file);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++)
      c.set(`/lib/item${i}/disk.vmdk`, { size: i, mtimeMs: i * 1.5, ino: i }, hex);
    await c.save();
    const loaded = await HashCache.load(file);
    const ms = performance.now() - t0;
    assert.equal(loaded.size, 100_000);
    assert.equal(
      loaded.get('/lib/item99999/disk.vmdk', { size: 99999, mtimeMs: 99999 * 1.5, ino: 99999 }),
      hex,
    );
    assert.ok(ms < 5000, `100k entries took ${ms.toFixed(0)} ms`);
  });

  it('hashWithCache reads a file once, then again only after it changes', async () => {
    const file = join(dir, 'disk.vmdk');
    const data = random(300_000);
    await writeFile(file, data);
    const c = HashCache.inMemory();
    const first = await hashWithCache(c, file);
    assert.deepEqual(
      [first.sha256, first.cached, first.readBytes],
      [sha('sha256', data), false, data.length],
    );
    const second = await hashWithCache(c, file);
    assert.deepEqual([second.sha256, second.cached, second.readBytes], [sha('sha256', data), true, 0]);
    const changed = random(300_000);
    await writeFile(file, changed);
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    const third = await hashWithCache(c, file);
    assert.deepEqual([third.sha256, third.cached], [sha('sha256', changed), false]);
    assert.ok((await readFile(file)).equals(changed));
  });

  it('keeps ranges apart by key', async () => {
    const file = join(dir, 'x.ova');
    const data = random(4096);
    await writeFile(file, data);
    const c = HashCache.inMemory();
    const a = await hashWithCache(c, file, { offset: 0, length: 100, key: `${file}#a` });
    const b = await hashWithCache(c, file, { offset: 100, length: 100, key: `${file}#b` });
    assert.notEqual(a.sha256, b.sha256);
    assert.equal(
      (await hashWithCache(c, file, { offset: 100, length: 100, key: `${file}#b` })).sha256,
      b.sha256,
    );
    assert.equal(b.sha256, sha('sha256', data.subarray(100, 200)));
  });
});
