// syncLibrary, the VCSP subscriber algorithm: a first sync downloads everything, an unchanged library
// downloads nothing, a bumped item alone is downloaded again, removed items disappear, and bytes that do
// not match their content hash are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpLibrarySource } from '../../../src/subscriber/reader.js';
import { syncLibrary } from '../../../src/subscriber/sync.js';
import { isClaasError } from '../../../src/errors.js';
import { fileHref, keyOf, withServedLibrary, writeLibrary } from './library-fixture.js';

test('incremental sync: everything, then nothing, then only the bumped item, then a removal', async () => {
  await withServedLibrary({}, async ({ root, url, target, spec }) => {
    const src = new HttpLibrarySource(url);
    const [photon, notes] = spec.items as [(typeof spec.items)[0], (typeof spec.items)[0]];
    const s1 = await syncLibrary(src, target);
    assert.deepEqual(s1.downloaded, ['photon', 'notes']);
    assert.deepEqual(s1.removed, []);
    assert.equal(s1.unchangedLibrary, false);
    assert.equal(s1.state.libVersion, '1');
    assert.deepEqual(s1.state.items, { [photon.id]: '1', [notes.id]: '1' });
    assert.deepEqual((await readdir(join(target, photon.id))).sort(), [
      'photon-disk1.vmdk',
      'photon.mf',
      'photon.ovf',
    ]);
    assert.ok((await readFile(join(target, photon.id, 'photon-disk1.vmdk'))).equals(photon.files[2]!.data));

    const s2 = await syncLibrary(src, target, s1.state);
    assert.equal(s2.unchangedLibrary, true);
    assert.deepEqual(s2.downloaded, []);

    // The publisher changes notes: a new item version and a new library version.
    notes.version = '2';
    notes.files = [{ name: 'notes-v2.txt', data: Buffer.from('new notes\n') }];
    spec.version = '2';
    await writeLibrary(root, spec);
    const s3 = await syncLibrary(src, target, s2.state);
    assert.deepEqual(s3.downloaded, ['notes']);
    assert.deepEqual(await readdir(join(target, notes.id)), ['notes-v2.txt'], 'the old file is gone');
    assert.equal(s3.state.items[notes.id], '2');

    // The publisher removes notes: the subscriber drops it and downloads nothing.
    spec.items = [photon];
    spec.version = '3';
    await writeLibrary(root, spec);
    const s4 = await syncLibrary(src, target, s3.state);
    assert.deepEqual(s4.downloaded, []);
    assert.deepEqual(s4.removed, ['notes']);
    assert.equal(existsSync(join(target, notes.id)), false);
    assert.deepEqual(Object.keys(s4.state.items), [photon.id]);
    src.close();
  });
});

test('a file whose bytes do not match its content hash is refused and not kept', async () => {
  await withServedLibrary({}, async ({ root, url, target, spec }) => {
    const photon = spec.items[0]!;
    const ovf = photon.files[0]!;
    await writeFile(join(root, keyOf(fileHref(photon, ovf))), Buffer.alloc(ovf.data.length, 'x'));
    const src = new HttpLibrarySource(url);
    await assert.rejects(
      syncLibrary(src, target),
      (e) => isClaasError(e, 'INTEGRITY') && /photon\.ovf/.test(e.message),
    );
    assert.deepEqual(await readdir(join(target, photon.id)), []);
    src.close();
  });
});
