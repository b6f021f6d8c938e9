// Item history assembled from the version snapshots: one entry per item version with the library version
// that published it, its date and publisher (snapshot or audit log), files with hashes, and whether the
// bytes are still in the store; removals; an item re-created under the same name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { assembleHistory, itemHistory, readCommittedSnapshots } from '../../../src/archive/history.js';
import { appendAudit } from '../../../src/publish/audit.js';
import { retainVersions } from '../../../src/publish/retain.js';
import { withTempDir } from '../../helpers/cli.js';
import { ACTOR, HOUR, item, publishAt, sha256, T0 } from './fixtures.js';

test('history across versions: dates, publishers, hashes, retrievability, removal and re-creation', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const other = await item(dir, 'other', 'same');
    await publishAt(store, [await item(dir, 'a', 'one'), other], 0, 'alice');
    await publishAt(store, [await item(dir, 'a', 'two'), other], HOUR, 'bob');
    await publishAt(store, [other], 2 * HOUR, 'carol'); // a removed
    await publishAt(store, [await item(dir, 'a', 'three'), other], 3 * HOUR, 'dave'); // a again: new id

    const h = await itemHistory(store, 'a');
    assert.equal(h.library.version, 4);
    assert.deepEqual(
      h.versions.map((v) => [v.itemVersion, v.libraryVersion, v.publisher, v.current]),
      [
        [1, 1, 'alice', false],
        [2, 2, 'bob', false],
        [1, 4, 'dave', true],
      ],
    );
    assert.equal(h.versions[0]?.committedAt, new Date(T0).toISOString().replace('.000Z', 'Z'));
    assert.notEqual(h.versions[0]?.itemId, h.versions[2]?.itemId, 're-created item has a new id');
    assert.deepEqual(
      h.versions[1]?.files.map((f) => [f.name, f.size, f.sha256]),
      [['data.txt', 3, sha256('two')]],
    );
    assert.ok(h.versions.every((v) => v.retrievable));
    assert.deepEqual(
      h.removals.map((r) => [r.libraryVersion, r.publisher]),
      [[3, 'carol']],
    );
    assert.deepEqual(h.versions[1]?.libraryVersions, [2]);

    // Bytes deleted (as gc would after the grace period): the version stays listed, not retrievable.
    const gone = h.versions[0]?.files[0]?.key ?? '';
    await store.delete([gone]);
    await retainVersions(store, [2], { actor: ACTOR });
    const after = await itemHistory(store, 'a');
    assert.equal(after.versions[0]?.retrievable, false);
    assert.equal(after.versions[0]?.files[0]?.retrievable, false);
    assert.equal(after.versions[1]?.retained, true);
    assert.equal(after.versions[0]?.retained, false);

    await assert.rejects(
      itemHistory(store, 'nope'),
      /no version of the library ever had an item named "nope"/,
    );
  });
});

test('uncommitted snapshots (a crashed publish) are not history', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    await publishAt(store, [await item(dir, 'a', 'one')], 0);
    const snap = await store.readBytes('.claas/versions/1.json');
    const fake = JSON.parse(snap!.toString()) as { lib: { version: string } };
    fake.lib.version = '2';
    await store.put('.claas/versions/2.json', { kind: 'bytes', data: Buffer.from(JSON.stringify(fake)) });
    const { current, snapshots } = await readCommittedSnapshots(store);
    assert.equal(current, 1);
    assert.deepEqual(
      snapshots.map((s) => s.lib.version),
      ['1'],
    );
  });
});

test('assembleHistory is pure: publisher from the audit log when the snapshot has none; unknown presence', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    await publishAt(store, [await item(dir, 'a', 'one')], 0);
    const { snapshots } = await readCommittedSnapshots(store);
    const bare = snapshots.map(({ publisher: _p, ...s }) => s);
    const entry = await appendAudit(store, {
      at: new Date(T0),
      action: 'import',
      actor: { ...ACTOR, name: 'bob' },
      library: { id: 'x', name: 'lib', version: 1 },
    });
    const h = assembleHistory('a', bare, { current: 1, audit: new Map([[1, [entry]]]) });
    assert.equal(h?.versions[0]?.publisher, 'bob');
    assert.equal(h?.versions[0]?.action, 'import');
    assert.equal(h?.versions[0]?.retrievable, false, 'presence unknown');
    assert.equal(assembleHistory('b', snapshots, { current: 1 }), undefined);
  });
});
