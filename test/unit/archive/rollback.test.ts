// Rollback on a local library: the old content comes back as a new, higher item version in a new library
// version (nothing uploaded, other items untouched), a subscriber syncs it, the audit log has one entry;
// refused when the bytes are gone or the item already is at that version.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { rollbackItem } from '../../../src/archive/rollback.js';
import { readAudit } from '../../../src/publish/audit.js';
import { readSnapshot } from '../../../src/publish/state.js';
import { StoreLibrarySource } from '../../../src/subscriber/reader.js';
import { syncLibrary } from '../../../src/subscriber/sync.js';
import { verifyLibrary } from '../../../src/subscriber/verify.js';
import { withTempDir } from '../../helpers/cli.js';
import { ACTOR, HOUR, at, item, publishAt, sha256 } from './fixtures.js';

test('rollback publishes the old content as a new version that subscribers sync', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const other = await item(dir, 'other', 'stays');
    await publishAt(store, [await item(dir, 'a', { 'data.txt': 'one', 'x.txt': 'x' }, 'first'), other], 0);
    await publishAt(store, [await item(dir, 'a', { 'data.txt': 'two' }, 'second'), other], HOUR);
    const sub = join(dir, 'subscriber');
    const first = await syncLibrary(new StoreLibrarySource(store), sub);

    const r = await rollbackItem({
      store,
      item: 'a',
      toVersion: 1,
      actor: ACTOR,
      now: at(2 * HOUR),
      noGc: true,
    });
    assert.equal(r.publish.committed, true);
    assert.equal(r.publish.library.version, 3);
    assert.equal(r.fromItemVersion, 2);
    assert.equal(r.toItemVersion, 3);
    assert.deepEqual(r.copied, [], 'the old bytes were in place: nothing copied');
    assert.equal(r.publish.upload.files, 0, 'nothing uploaded');
    assert.deepEqual(
      r.publish.changes.filter((c) => c.kind !== 'unchanged').map((c) => c.name),
      ['a'],
      'other items untouched',
    );

    const s3 = (await readSnapshot(store, 3))!;
    const a = s3.items.find((i) => i.name === 'a')!;
    assert.equal(a.version, '3');
    assert.equal(a.description, 'first');
    assert.deepEqual(a.files.map((f) => [f.name, s3.hashes[f.hrefs[0]!]]).sort(), [
      ['data.txt', sha256('one')],
      ['x.txt', sha256('x')],
    ]);
    assert.equal(s3.publisher, undefined, 'snapshots name no publisher: the audit log does (issue 16)');

    const synced = await syncLibrary(new StoreLibrarySource(store), sub, first.state);
    assert.equal(synced.state.libVersion, '3');
    assert.deepEqual(synced.downloaded, ['a']);
    const id = a.id;
    assert.equal(await readFile(join(sub, id, 'data.txt'), 'utf8'), 'one');
    assert.equal(await readFile(join(sub, id, 'x.txt'), 'utf8'), 'x');

    const audit = await readAudit(store, { actions: ['rollback'] });
    assert.equal(audit.entries.length, 1);
    assert.equal(audit.entries[0]?.library?.version, 3);
    assert.equal(audit.entries[0]?.details?.restoredItemVersion, 1);
    assert.equal(
      audit.entries[0]?.items?.[0]?.files?.find((f) => f.name === 'data.txt')?.sha256,
      sha256('one'),
    );

    // The current version itself: refused.
    await assert.rejects(
      rollbackItem({ store, item: 'a', toVersion: 3, actor: ACTOR }),
      /item "a" is at version 3 already/,
    );
    // Rolling back to v1 again publishes nothing: the content is already current.
    const noop = await rollbackItem({ store, item: 'a', toVersion: 1, actor: ACTOR, noGc: true });
    assert.equal(noop.publish.committed, false);
  });
});

test('rollback of a removed item brings it back; by library version; dry run writes nothing', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const other = await item(dir, 'other', 'stays');
    await publishAt(store, [await item(dir, 'a', 'one'), other], 0);
    await publishAt(store, [other], HOUR);
    const dry = await rollbackItem({ store, item: 'a', libraryVersion: 1, actor: ACTOR, dryRun: true });
    assert.equal(dry.publish.dryRun, true);
    assert.equal(await readSnapshot(store, 3), undefined);
    const r = await rollbackItem({ store, item: 'a', libraryVersion: 1, actor: ACTOR, noGc: true });
    assert.equal(r.publish.library.version, 3);
    assert.equal(r.fromItemVersion, undefined);
    assert.equal(r.publish.changes.find((c) => c.name === 'a')?.kind, 'added');
  });
});

test('a removed item brought back gets item JSON of its own (not the old item-1.json)', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const other = await item(dir, 'other', 'stays');
    await publishAt(store, [await item(dir, 'a', 'one'), other], 0);
    await publishAt(store, [other], HOUR);
    await rollbackItem({ store, item: 'a', libraryVersion: 1, actor: ACTOR, noGc: true });
    const v = await verifyLibrary(new StoreLibrarySource(store), { deep: true });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
  });
});

test('rollback is refused when the old bytes are gone, naming them and the way out', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    await publishAt(store, [await item(dir, 'a', 'one')], 0);
    await publishAt(store, [await item(dir, 'a', 'two')], HOUR);
    const s1 = (await readSnapshot(store, 1))!;
    const key = decodeURIComponent(s1.items[0]!.files[0]!.hrefs[0]!);
    await store.delete([key]);
    await assert.rejects(
      rollbackItem({ store, item: 'a', toVersion: 1, actor: ACTOR }),
      (e: Error & { hint?: string }) =>
        /no longer in/.test(e.message) &&
        e.message.includes('data.txt') &&
        /claas archive list \/ restore/.test(e.hint ?? '') &&
        /claas archive retain/.test(e.hint ?? ''),
    );
    await assert.rejects(
      rollbackItem({ store, item: 'a', toVersion: 9, actor: ACTOR }),
      /never had version 9/,
    );
  });
});
