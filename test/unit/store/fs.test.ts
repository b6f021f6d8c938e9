// FsStore: key safety, atomic hashed puts (a wrong SHA-256 leaves nothing behind), ordered listing,
// ranged reads, deletes that tidy empty folders, probe and stale temp cleanup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { FsStore } from '../../../src/store/fs.js';
import { openStore } from '../../../src/store/open.js';
import { isClaasError } from '../../../src/errors.js';

async function withStore(fn: (store: FsStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'claas-fs-'));
  try {
    await fn(new FsStore(root), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

async function listKeys(store: FsStore, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

test('put bytes, then head, readBytes, read and ranged read', async () => {
  await withStore(async (store, root) => {
    assert.equal(store.kind, 'fs');
    assert.equal(store.display, `file:${root}`);
    await store.put(
      'a/b/hello.txt',
      { kind: 'bytes', data: Buffer.from('hello world') },
      { sha256: sha('hello world') },
    );
    const meta = await store.head('a/b/hello.txt');
    assert.equal(meta?.size, 11);
    assert.ok(meta?.mtime instanceof Date);
    assert.equal((await store.readBytes('a/b/hello.txt'))?.toString(), 'hello world');
    assert.equal(await text(await store.read('a/b/hello.txt')), 'hello world');
    assert.equal(await text(await store.read('a/b/hello.txt', { start: 6 })), 'world');
    assert.equal(await text(await store.read('a/b/hello.txt', { start: 0, end: 4 })), 'hello');
    assert.equal(await store.head('a/b/missing'), undefined);
    assert.equal(await store.readBytes('a/b/missing'), undefined);
    assert.equal(await store.head('a/b'), undefined, 'a folder is not an object');
    await assert.rejects(store.read('nope.txt'), (e) => isClaasError(e, 'NOT_FOUND'));
  });
});

test('put from a file and from a byte range of a file, with progress', async () => {
  await withStore(async (store, root) => {
    const src = join(root, '..', `claas-src-${process.pid}-${Date.now()}.bin`);
    const data = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    data.write('middle', 1024 * 1024);
    await writeFile(src, data);
    try {
      let progressed = 0;
      await store.put(
        'whole.bin',
        { kind: 'file', path: src },
        { sha256: sha(data), onProgress: (n) => (progressed += n) },
      );
      assert.equal(progressed, data.length);
      assert.equal((await store.readBytes('whole.bin'))?.length, data.length);
      await store.put(
        'part.bin',
        { kind: 'file', path: src, offset: 1024 * 1024, length: 6 },
        { sha256: sha('middle') },
      );
      assert.equal((await store.readBytes('part.bin'))?.toString(), 'middle');
      await store.put('empty.bin', { kind: 'file', path: src, offset: 10, length: 0 }, { sha256: sha('') });
      assert.equal((await store.head('empty.bin'))?.size, 0);
      // A range past the end of the file is refused.
      await assert.rejects(
        store.put('short.bin', { kind: 'file', path: src, offset: data.length - 2, length: 10 }),
        (e) => isClaasError(e, 'INTEGRITY'),
      );
      assert.equal(await store.head('short.bin'), undefined);
      await assert.rejects(store.put('x', { kind: 'file', path: join(root, 'does-not-exist') }), (e) =>
        isClaasError(e, 'NOT_FOUND'),
      );
    } finally {
      await rm(src, { force: true });
    }
  });
});

test('a put whose SHA-256 mismatches leaves no object and no temp file, and keeps the old object', async () => {
  await withStore(async (store, root) => {
    await store.put('lib.json', { kind: 'bytes', data: Buffer.from('old') });
    await assert.rejects(
      store.put('lib.json', { kind: 'bytes', data: Buffer.from('new') }, { sha256: sha('something else') }),
      (e) => isClaasError(e, 'INTEGRITY') && /expected/.test(e.message),
    );
    await assert.rejects(
      store.put('fresh/new.bin', { kind: 'bytes', data: Buffer.from('x') }, { sha256: '0'.repeat(64) }),
      (e) => isClaasError(e, 'INTEGRITY'),
    );
    assert.equal((await store.readBytes('lib.json'))?.toString(), 'old');
    assert.equal(await store.head('fresh/new.bin'), undefined);
    assert.deepEqual(await readdir(join(root, '.claas', 'tmp')), []);
  });
});

test('an aborted put leaves nothing', async () => {
  await withStore(async (store, root) => {
    const ctrl = new AbortController();
    ctrl.abort();
    await assert.rejects(
      store.put('a.bin', { kind: 'bytes', data: Buffer.from('x') }, { signal: ctrl.signal }),
    );
    assert.equal(await store.head('a.bin'), undefined);
    assert.equal(existsSync(join(root, 'a.bin')), false);
  });
});

test('keys that could escape the root are refused', async () => {
  await withStore(async (store) => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', '', 'a//b', './a', 'a/.', 'nul\0byte']) {
      await assert.rejects(
        store.put(key, { kind: 'bytes', data: Buffer.from('x') }),
        (e) => isClaasError(e, 'BAD_INPUT'),
        key,
      );
      await assert.rejects(store.head(key), (e) => isClaasError(e, 'BAD_INPUT'), key);
      await assert.rejects(store.read(key), (e) => isClaasError(e, 'BAD_INPUT'), key);
    }
    await assert.rejects(store.delete(['../outside']), (e) => isClaasError(e, 'BAD_INPUT'));
  });
});

test('list walks recursively in byte order of keys, skipping .claas/tmp/ and symlinks', async () => {
  await withStore(async (store, root) => {
    for (const key of ['b.txt', 'a/z.txt', 'a-c.txt', 'a/b/c.txt', '.claas/versions/1.json', 'A.txt']) {
      await store.put(key, { kind: 'bytes', data: Buffer.from(key) });
    }
    await mkdir(join(root, '.claas', 'tmp'), { recursive: true });
    await writeFile(join(root, '.claas', 'tmp', 'junk.tmp'), 'x');
    await symlink('/etc/hostname', join(root, 'link.txt'));
    const all = await listKeys(store);
    assert.deepEqual(all, ['.claas/versions/1.json', 'A.txt', 'a-c.txt', 'a/b/c.txt', 'a/z.txt', 'b.txt']);
    assert.deepEqual(all, [...all].sort());
    assert.deepEqual(await listKeys(store, 'a/'), ['a/b/c.txt', 'a/z.txt']);
    assert.deepEqual(await listKeys(store, 'a'), ['a-c.txt', 'a/b/c.txt', 'a/z.txt']);
    assert.deepEqual(await listKeys(store, '.claas/versions/'), ['.claas/versions/1.json']);
    assert.deepEqual(await listKeys(store, 'nothing/'), []);
    // Symlinks are not objects: neither listed nor served.
    assert.equal(await store.head('link.txt'), undefined);
    await assert.rejects(store.read('link.txt'), (e) => isClaasError(e, 'NOT_FOUND'));
  });
});

test('delete ignores missing keys and removes emptied folders up to (not including) the root', async () => {
  await withStore(async (store, root) => {
    await store.put('item/abc/disk.vmdk', { kind: 'bytes', data: Buffer.from('d') });
    await store.put('item/other.txt', { kind: 'bytes', data: Buffer.from('o') });
    await store.delete(['item/abc/disk.vmdk', 'never/was.txt']);
    assert.equal(existsSync(join(root, 'item', 'abc')), false);
    assert.equal(existsSync(join(root, 'item', 'other.txt')), true);
    await store.delete(['item/other.txt']);
    assert.equal(existsSync(join(root, 'item')), false);
    assert.equal(existsSync(root), true);
  });
});

test('probe: missing, empty, not empty, and a file instead of a folder', async () => {
  await withStore(async (store, root) => {
    assert.deepEqual(await new FsStore(join(root, 'nope')).probe(), { exists: false, empty: true });
    assert.deepEqual(await store.probe(), { exists: true, empty: true });
    await mkdir(join(root, '.claas'));
    assert.deepEqual(await store.probe(), { exists: true, empty: false });
    await writeFile(join(root, 'file'), 'x');
    await assert.rejects(new FsStore(join(root, 'file')).probe(), (e) => isClaasError(e, 'NOT_A_LIBRARY'));
  });
});

test('cleanTemp removes only temp files older than the limit', async () => {
  await withStore(async (store, root) => {
    const tmp = join(root, '.claas', 'tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'old.tmp'), 'x');
    await writeFile(join(tmp, 'new.tmp'), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(tmp, 'old.tmp'), twoHoursAgo, twoHoursAgo);
    assert.equal(await store.cleanTemp(), 1);
    assert.deepEqual(await readdir(tmp), ['new.tmp']);
    assert.equal(await new FsStore(join(root, 'none')).cleanTemp(), 0);
  });
});

test('openStore opens a folder location as an FsStore', async () => {
  await withStore(async (_store, root) => {
    const store = await openStore({ kind: 'fs', path: root });
    assert.ok(store instanceof FsStore);
    assert.equal(store.display, `file:${root}`);
  });
});

test('a symbolic link to a folder is no way out of the library: not read, listed, written or deleted through', async () => {
  const outside = await mkdtemp(join(tmpdir(), 'claas-outside-'));
  try {
    await writeFile(join(outside, 'serve.pw'), 'the serve password');
    await withStore(async (store, root) => {
      await store.put('item/a.txt', { kind: 'bytes', data: Buffer.from('inside') });
      await symlink(outside, join(root, 'linkdir'));
      await symlink(outside, join(root, 'item', 'up'));
      for (const key of ['linkdir/serve.pw', 'item/up/serve.pw']) {
        assert.equal(await store.head(key), undefined, key);
        assert.equal(await store.readBytes(key), undefined, key);
        await assert.rejects(store.read(key), (e) => isClaasError(e, 'NOT_FOUND'), key);
        assert.deepEqual(await listKeys(store, key.replace(/serve\.pw$/, '')), [], key);
        await assert.rejects(
          store.put(key.replace(/serve\.pw$/, 'planted.txt'), { kind: 'bytes', data: Buffer.from('x') }),
          (e) => isClaasError(e, 'BAD_INPUT') && /symbolic link that leads out/.test(e.message),
        );
        await assert.rejects(store.copyWithin('item/a.txt', key.replace(/serve\.pw$/, 'copy.txt')), (e) =>
          isClaasError(e, 'BAD_INPUT'),
        );
        await assert.rejects(store.copyWithin(key, 'item/copy.txt'), (e) => isClaasError(e, 'NOT_FOUND'));
        await store.delete([key]);
      }
      assert.deepEqual(await readdir(outside), ['serve.pw'], 'nothing written or deleted outside');
      assert.deepEqual(await listKeys(store), ['item/a.txt']);
      // A link that stays inside the library is followed.
      await symlink(join(root, 'item'), join(root, 'alias'));
      assert.equal((await store.readBytes('alias/a.txt'))?.toString(), 'inside');
      assert.equal((await store.head('alias/a.txt'))?.size, 6);
      assert.equal(await text(await store.read('alias/a.txt')), 'inside');
    });
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});
