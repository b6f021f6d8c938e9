// Archives on local folders: a snapshot is a complete library copy with a manifest; a second snapshot of
// the same version is skipped; verify re-hashes every file and names an altered one; the manifest hash is
// checked against the audit log; restore as a new version or into a new (empty) location, resumable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import {
  MANIFEST_NAME,
  RESTORE_PENDING_KEY,
  listArchives,
  readManifest,
  restoreAsNewVersion,
  restoreToLocation,
  snapshotArchive,
  verifyArchive,
} from '../../../src/archive/snapshot-archive.js';
import { readAudit } from '../../../src/publish/audit.js';
import { readSnapshot } from '../../../src/publish/state.js';
import { StoreLibrarySource } from '../../../src/subscriber/reader.js';
import { verifyLibrary } from '../../../src/subscriber/verify.js';
import { withTempDir } from '../../helpers/cli.js';
import { ACTOR, HOUR, at, item, publishAt, sha256 } from './fixtures.js';

test('snapshot, list, verify, tamper, restore', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const archive = new FsStore(join(dir, 'lib', '.claas-archive'));
    await publishAt(
      store,
      [await item(dir, 'a', 'one'), await item(dir, 'b', { 'disk.vmdk': 'disk', 'b.ovf': '<ovf/>' })],
      0,
    );

    const snap = await snapshotArchive({ library: store, archive, actor: ACTOR, now: at(HOUR) });
    assert.equal(snap.id, 'v1-20260101T010000Z');
    assert.equal(snap.skipped, false);
    assert.equal(snap.library.version, 1);
    // 3 files + lib.json, items-1.json, 2 item JSON, the snapshot.
    assert.equal(snap.files, 8);
    const { manifest, sha256: manifestSha } = await readManifest(archive, snap.id);
    assert.equal(manifestSha, snap.manifestSha256);
    assert.deepEqual(
      manifest.files
        .filter((f) => f.kind === 'file')
        .map((f) => f.sha256)
        .sort(),
      [sha256('one'), sha256('disk'), sha256('<ovf/>')].sort(),
    );
    assert.equal(manifest.library.id, (await readSnapshot(store, 1))!.lib.id);

    // The archive folder is itself a library at version 1 a subscriber can verify.
    const asLibrary = await verifyLibrary(
      new StoreLibrarySource(new FsStore(join(dir, 'lib', '.claas-archive', snap.id))),
      {
        deep: true,
      },
    );
    assert.equal(asLibrary.ok, true, JSON.stringify(asLibrary.problems));

    const again = await snapshotArchive({ library: store, archive, actor: ACTOR, now: at(2 * HOUR) });
    assert.equal(again.skipped, true);
    assert.equal(again.id, snap.id);
    assert.equal((await listArchives(archive)).length, 1);

    const ok = await verifyArchive(archive, snap.id, { library: store });
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    assert.equal(ok.checked, 8);
    assert.equal(ok.auditMatch, true);

    // Alter one archived file: verify fails naming it.
    const fileKey = manifest.files.find((f) => f.kind === 'file' && f.sha256 === sha256('disk'))!.key;
    await writeFile(join(dir, 'lib', '.claas-archive', snap.id, ...fileKey.split('/')), 'DISK');
    const bad = await verifyArchive(archive, snap.id, { library: store });
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.problems.map((p) => [p.key, p.problem]),
      [[fileKey, 'sha256']],
    );

    // Alter the manifest: the audit log's record of its hash catches it.
    const mpath = join(dir, 'lib', '.claas-archive', snap.id, ...MANIFEST_NAME.split('/'));
    await writeFile(mpath, (await readFile(mpath, 'utf8')).replace(sha256('disk'), sha256('DISK')));
    const forged = await verifyArchive(archive, snap.id, { library: store });
    assert.equal(forged.auditMatch, false);
    assert.ok(forged.problems.some((p) => p.problem === 'manifest'));
  });
});

test('restore as a new version: items back as they were, bytes copied from the archive when gone', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const archive = new FsStore(join(dir, 'archive'));
    await publishAt(store, [await item(dir, 'a', 'one'), await item(dir, 'b', 'bee')], 0);
    const snap = await snapshotArchive({ library: store, archive, actor: ACTOR, now: at(HOUR) });
    await publishAt(
      store,
      [await item(dir, 'a', 'two'), await item(dir, 'b', 'bumble'), await item(dir, 'c', 'sea')],
      2 * HOUR,
    );
    // As gc would after the grace period: v1's own bytes are gone from the library.
    const s1 = (await readSnapshot(store, 1))!;
    await store.delete(s1.items.flatMap((i) => i.files.map((f) => decodeURIComponent(f.hrefs[0]!))));

    const r = await restoreAsNewVersion({
      archive,
      id: snap.id,
      library: store,
      actor: ACTOR,
      noGc: true,
      now: at(3 * HOUR),
    });
    const p = r.result.publish;
    assert.equal(p.committed, true);
    assert.equal(p.library.version, 3);
    assert.deepEqual(
      p.changes.filter((c) => c.kind !== 'unchanged').map((c) => `${c.kind}:${c.name}`),
      ['changed:a', 'changed:b', 'removed:c'],
    );
    assert.equal(r.result.copied.length, 2, 'both files came back from the archive');
    const v = await verifyLibrary(new StoreLibrarySource(store), { deep: true });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal((await readAudit(store, { actions: ['restore'] })).entries.length, 1);
  });
});

test('restore into a new location: the same library (ids, versions), refused when not empty, resumable', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const archive = new FsStore(join(dir, 'archive'));
    await publishAt(store, [await item(dir, 'a', 'one')], 0);
    const snap = await snapshotArchive({ library: store, archive, actor: ACTOR, now: at(HOUR) });

    const target = new FsStore(join(dir, 'copy'));
    // An interrupted restore: the marker and one file are there, no lib.json.
    await target.put(RESTORE_PENDING_KEY, {
      kind: 'bytes',
      data: Buffer.from(
        `${JSON.stringify({ archiveId: snap.id, archiveLocation: archive.display, libraryId: snap.library.id })}\n`,
      ),
    });
    const r = await restoreToLocation({ archive, id: snap.id, target, actor: ACTOR });
    assert.equal(r.library.version, 1);
    assert.equal(await target.head(RESTORE_PENDING_KEY), undefined);
    const v = await verifyLibrary(new StoreLibrarySource(target), { deep: true });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.library.id, snap.library.id);
    assert.equal((await readAudit(target)).entries[0]?.action, 'restore');

    await assert.rejects(restoreToLocation({ archive, id: snap.id, target, actor: ACTOR }), /is not empty/);
    await assert.rejects(verifyArchive(archive, 'v9-20260101T000000Z'), /no complete archive/);
    await assert.rejects(verifyArchive(archive, 'nonsense'), /is not an archive id/);
  });
});

test('an interrupted snapshot is continued under the same id', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const archive = new FsStore(join(dir, 'archive'));
    await publishAt(store, [await item(dir, 'a', 'one'), await item(dir, 'b', 'bee')], 0);
    const first = await snapshotArchive({ library: store, archive, actor: ACTOR, now: at(HOUR) });
    // Make it look interrupted: no manifest, pending marker back.
    await archive.delete([`${first.id}/${MANIFEST_NAME}`]);
    const lib = (await readSnapshot(store, 1))!.lib;
    await archive.put(`${first.id}/.claas/pending.json`, {
      kind: 'bytes',
      data: Buffer.from(JSON.stringify({ libraryId: lib.id, version: 1, startedAt: 'x' })),
    });
    assert.equal((await listArchives(archive))[0]?.complete, false);
    const again = await snapshotArchive({ library: store, archive, actor: ACTOR, now: at(5 * HOUR) });
    assert.equal(again.id, first.id);
    assert.equal(again.resumed, true);
    assert.equal(again.copies.present, 2);
    assert.equal((await verifyArchive(archive, again.id)).ok, true);
  });
});
