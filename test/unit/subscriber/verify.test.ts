// verifyLibrary over HTTP (a hand-written library served by startVcspServer) and from a store:
// a good library passes; missing, truncated and altered files are errors naming the item and file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncate, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { HttpLibrarySource, StoreLibrarySource } from '../../../src/subscriber/reader.js';
import { verifyLibrary } from '../../../src/subscriber/verify.js';
import type { VerifyEvent, VerifyReport } from '../../../src/subscriber/verify.js';
import { isClaasError } from '../../../src/errors.js';
import { fileHref, keyOf, withServedLibrary, writeLibrary, writeSnapshot } from './library-fixture.js';
import type { LibrarySpec } from './library-fixture.js';

const PASSWORD = 'correct horse';

function withLibrary(fn: (root: string, url: string, spec: LibrarySpec) => Promise<void>): Promise<void> {
  return withServedLibrary({ password: PASSWORD }, (lib) => fn(lib.root, lib.url, lib.spec));
}

const errors = (r: VerifyReport) => r.problems.filter((p) => p.severity === 'error');

test('a good library verifies, shallow and deep, over HTTP', async () => {
  await withLibrary(async (_root, url) => {
    const src = new HttpLibrarySource(url, { password: PASSWORD });
    try {
      const events: VerifyEvent[] = [];
      const shallow = await verifyLibrary(src, { deep: false, onProgress: (e) => events.push(e) });
      assert.equal(shallow.ok, true, JSON.stringify(shallow.problems));
      assert.deepEqual(shallow.problems, []);
      assert.equal(shallow.url, url);
      assert.deepEqual(shallow.library, {
        name: 'tiny',
        id: 'urn:uuid:4a5e0000-0000-4000-8000-000000000001',
        version: '1',
      });
      assert.equal(shallow.items, 2);
      assert.equal(shallow.files, 4);
      assert.equal(shallow.checkedHashes, 0);
      assert.ok(events.some((e) => e.type === 'file-done' && e.file === 'photon-disk1.vmdk' && e.ok));

      const deep = await verifyLibrary(src, { deep: true, concurrency: 2 });
      assert.equal(deep.ok, true, JSON.stringify(deep.problems));
      assert.equal(deep.checkedHashes, 3);
      assert.deepEqual(deep.problems, [
        {
          severity: 'warning',
          where: 'item "notes"',
          field: 'files[0]',
          message: '"notes.txt": no content hash known; size checked only',
        },
      ]);
    } finally {
      src.close();
    }
  });
});

test('wrong or missing password: AUTH, with the --password-file hint', async () => {
  await withLibrary(async (_root, url) => {
    for (const o of [{}, { password: 'wrong' }]) {
      await assert.rejects(
        verifyLibrary(new HttpLibrarySource(url, o), { deep: false }),
        (e) =>
          isClaasError(e, 'AUTH') && /--password-file/.test(e.hint ?? '') && !e.message.includes('wrong'),
      );
    }
  });
});

test('a deleted file is an error naming the item and the file', async () => {
  await withLibrary(async (root, url, spec) => {
    const item = spec.items[0]!;
    await unlink(join(root, keyOf(fileHref(item, item.files[2]!))));
    const report = await verifyLibrary(new HttpLibrarySource(url, { password: PASSWORD }), { deep: false });
    assert.equal(report.ok, false);
    const [e, ...more] = errors(report);
    assert.deepEqual(more, []);
    assert.equal(e?.where, 'item "photon"');
    assert.equal(e?.field, 'files[2]');
    assert.match(e!.message, /photon-disk1\.vmdk.*missing/);
  });
});

test('a truncated file is a size error', async () => {
  await withLibrary(async (root, url, spec) => {
    const item = spec.items[1]!;
    await truncate(join(root, keyOf(fileHref(item, item.files[0]!))), 3);
    const report = await verifyLibrary(new HttpLibrarySource(url, { password: PASSWORD }), { deep: true });
    const errs = errors(report);
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.where, 'item "notes"');
    assert.match(errs[0]!.message, /is 3 bytes; its record says 14/);
  });
});

test('altered bytes under a content-addressed href: only --deep finds them', async () => {
  await withLibrary(async (root, url, spec) => {
    const item = spec.items[0]!;
    const disk = item.files[2]!;
    const altered = Buffer.from(disk.data);
    altered[1000] = altered[1000]! ^ 0xff;
    await writeFile(join(root, keyOf(fileHref(item, disk))), altered);
    const src = new HttpLibrarySource(url, { password: PASSWORD });
    assert.equal((await verifyLibrary(src, { deep: false })).ok, true);
    const deep = await verifyLibrary(src, { deep: true });
    assert.equal(deep.ok, false);
    const errs = errors(deep);
    // The href and the manifest agree on what the bytes should be: one error naming both.
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.where, 'item "photon"');
    assert.equal(errs[0]!.field, 'files[2]');
    assert.match(
      errs[0]!.message,
      /"photon-disk1\.vmdk" at photon\/[0-9a-f]{64}\/photon-disk1\.vmdk: SHA256 is [0-9a-f]{64}, expected [0-9a-f]{64} \(from href and manifest photon\.mf\)/,
    );
    src.close();
  });
});

test('from a store: the snapshot gives hashes for files without content-addressed hrefs', async () => {
  await withLibrary(async (root, _url, spec) => {
    const docs = await writeLibrary(root, spec);
    await writeSnapshot(root, spec, docs);
    const src = new StoreLibrarySource(new FsStore(root));
    const good = await verifyLibrary(src, { deep: true });
    assert.equal(good.ok, true, JSON.stringify(good.problems));
    assert.deepEqual(good.problems, []);
    assert.equal(good.checkedHashes, 4);
    assert.equal(good.url, `file:${root}`);
    await writeFile(join(root, 'notes', 'notes.txt'), 'RELEASE NOTES\n');
    const bad = await verifyLibrary(src, { deep: true });
    assert.equal(errors(bad).length, 1);
    assert.match(errors(bad)[0]!.message, /from snapshot/);
  });
});

test('broken documents: missing lib.json throws; missing items index or item.json are problems', async () => {
  await withLibrary(async (root) => {
    const src = new StoreLibrarySource(new FsStore(root));
    await unlink(join(root, 'photon', 'item.json'));
    const r1 = await verifyLibrary(src, { deep: false });
    assert.equal(r1.ok, false);
    assert.ok(
      errors(r1).some((e) => e.where === 'item "photon"' && /photon\/item\.json is missing/.test(e.message)),
    );
    await writeFile(join(root, 'notes', 'item.json'), '{"not": "an item"}');
    assert.ok(errors(await verifyLibrary(src, { deep: false })).some((e) => e.where === 'item "notes"'));
    await unlink(join(root, 'items.json'));
    const r2 = await verifyLibrary(src, { deep: false });
    assert.equal(r2.ok, false);
    assert.equal(errors(r2)[0]!.field, 'itemsHref');
    await writeFile(join(root, 'lib.json'), '{"vcspVersion": 2');
    const r3 = await verifyLibrary(src, { deep: false });
    assert.equal(r3.ok, false);
    assert.equal(errors(r3)[0]!.where, 'lib.json');
    await unlink(join(root, 'lib.json'));
    await assert.rejects(verifyLibrary(src, { deep: false }), (e) => isClaasError(e, 'NOT_FOUND'));
  });
});
