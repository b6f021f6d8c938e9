// The consistency check behind claas status and the gateway: a version is complete at a store when every key
// its snapshot references is listed there with the right size; ETags that differ from the origin's are
// resolved by the stored SHA-256; newestCompleteVersion walks back from lib.json to the newest complete one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { publish } from '../../../src/publish/publish.js';
import { readSnapshot } from '../../../src/publish/state.js';
import { textItem } from '../../helpers/source-item.js';
import {
  checkSnapshotAgainst,
  listAll,
  newestCompleteVersion,
  findNewestComplete,
  referencedKeys,
  resolveEtagDifferences,
} from '../../../src/replicate/consistency.js';
import type { ListedObject, ListingIndex } from '../../../src/replicate/consistency.js';
import type { VersionSnapshot } from '../../../src/vcsp/types.js';
import { withTempDir } from '../../helpers/cli.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

function snapshot(version = 3): VersionSnapshot {
  const item = (name: string, sha: string, size: number) => ({
    created: '2026-01-01T00:00:00Z',
    description: '',
    version: '1',
    files: [{ name: 'disk.vmdk', size, etag: '1', generationNum: 1, hrefs: [`${name}/${sha}/disk.vmdk`] }],
    id: `urn:uuid:${name}`,
    name,
    properties: {},
    selfHref: `${name}/item-1.json`,
    type: 'vcsp.other' as const,
  });
  return {
    format: 'claas.version/1',
    lib: {
      vcspVersion: '2',
      version: String(version),
      contentVersion: '1',
      name: 'lib',
      id: 'urn:uuid:lib',
      created: '2026-01-01T00:00:00Z',
      capabilities: { transferIn: [], transferOut: [] },
      itemsHref: `items-${version}.json`,
    },
    items: [item('a', SHA_A, 100), item('b', SHA_B, 200)],
    hashes: { [`a/${SHA_A}/disk.vmdk`]: SHA_A, [`b/${SHA_B}/disk.vmdk`]: SHA_B },
    committedAt: '2026-01-01T00:00:00Z',
  };
}

function listing(entries: Array<[string, number, string?]>, requests = 1): ListingIndex {
  const objects = new Map<string, ListedObject>();
  for (const [key, size, etag] of entries) {
    objects.set(key, { key, size, mtime: new Date(0), ...(etag === undefined ? {} : { etag }) });
  }
  return { objects, requests };
}

const FULL: Array<[string, number, string?]> = [
  [`a/${SHA_A}/disk.vmdk`, 100, 'e-a'],
  [`b/${SHA_B}/disk.vmdk`, 200, 'e-b'],
  ['.claas/versions/3.json', 900, 'e-s'],
  ['a/item-1.json', 300, 'e-ia'],
  ['b/item-1.json', 300, 'e-ib'],
  ['items-3.json', 700, 'e-i'],
  ['lib.json', 250, 'e-l'],
];

test('referenced keys come in commit order: files, snapshot, item JSON, index; never lib.json', () => {
  const keys = referencedKeys(snapshot()).map((k) => `${k.kind}:${k.key}`);
  assert.deepEqual(keys, [
    `file:a/${SHA_A}/disk.vmdk`,
    `file:b/${SHA_B}/disk.vmdk`,
    'snapshot:.claas/versions/3.json',
    'item:a/item-1.json',
    'item:b/item-1.json',
    'items:items-3.json',
  ]);
  assert.equal(referencedKeys(snapshot())[0]?.sha256, SHA_A);
});

test('a complete listing passes; missing and resized objects are named', () => {
  const ok = checkSnapshotAgainst(snapshot(), listing(FULL));
  assert.equal(ok.complete, true);
  assert.equal(ok.checkedObjects, 6);
  assert.deepEqual([ok.missing, ok.wrongSize, ok.wrongHash], [[], [], []]);

  const broken = checkSnapshotAgainst(
    snapshot(),
    listing([
      [`a/${SHA_A}/disk.vmdk`, 99, 'e-a'],
      ['.claas/versions/3.json', 900],
      ['a/item-1.json', 300],
      ['b/item-1.json', 300],
      ['lib.json', 250],
    ]),
  );
  assert.equal(broken.complete, false);
  assert.deepEqual(broken.missing, [`b/${SHA_B}/disk.vmdk`, 'items-3.json']);
  assert.deepEqual(broken.wrongSize, [{ key: `a/${SHA_A}/disk.vmdk`, expected: 100, actual: 99 }]);
});

test('with the origin listing as reference: JSON sizes are checked and ETag differences collected', () => {
  const replica = listing(
    FULL.map(([k, s, e]) =>
      k === 'a/item-1.json' ? [k, 301, e] : k === `b/${SHA_B}/disk.vmdk` ? [k, s, 'other'] : [k, s, e],
    ),
  );
  const check = checkSnapshotAgainst(snapshot(), replica, listing(FULL));
  assert.deepEqual(check.wrongSize, [{ key: 'a/item-1.json', expected: 300, actual: 301 }]);
  assert.equal(check.complete, false);
  assert.deepEqual(check.etagDiffers, [
    { key: `b/${SHA_B}/disk.vmdk`, expectedEtag: 'e-b', actualEtag: 'other', sha256: SHA_B },
  ]);
  // The origin against itself: nothing to compare.
  assert.deepEqual(checkSnapshotAgainst(snapshot(), listing(FULL), listing(FULL)).etagDiffers, []);
});

test('an ETag difference is fine when the stored SHA-256 matches, wrongHash otherwise (one HEAD each)', async () => {
  const stats: Record<string, { size: number; sha256?: string }> = {
    [`a/${SHA_A}/disk.vmdk`]: { size: 100, sha256: SHA_A },
    [`b/${SHA_B}/disk.vmdk`]: { size: 200, sha256: 'c'.repeat(64) },
  };
  const store = {
    display: 'fake',
    kind: 's3',
    features: { stat: async (key: string) => stats[key] },
  } as unknown as Parameters<typeof resolveEtagDifferences>[1];
  const replica = listing(
    FULL.map(([k, s, e]) => (k.includes('disk.vmdk') ? [k, s, 'multipart-2'] : [k, s, e])),
  );
  const check = checkSnapshotAgainst(snapshot(), replica, listing(FULL));
  assert.equal(check.etagDiffers.length, 2);
  const requests = await resolveEtagDifferences(check, store);
  assert.equal(requests, 2);
  assert.deepEqual(check.wrongHash, [
    { key: `b/${SHA_B}/disk.vmdk`, expected: SHA_B, actual: 'c'.repeat(64) },
  ]);
  assert.equal(check.complete, true, 'present with the right size: complete, but not consistent');
});

test('newestCompleteVersion walks back from lib.json past versions whose files or snapshot are missing', async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, 'lib');
    const store = new FsStore(root);
    for (const [i, text] of ['one', 'two', 'three'].entries()) {
      await publish(
        { items: [await textItem(dir, 'a', text), await textItem(dir, 'keep', 'same')], defaultName: 'lib' },
        { store, noGc: true, now: () => new Date(Date.UTC(2026, 0, 1, i)) },
      );
    }
    const v3 = await newestCompleteVersion(store);
    assert.equal(v3?.version, 3);
    assert.equal(v3?.check.complete, true);
    assert.ok((v3?.requests ?? 0) >= 3, 'lib.json, one listing, one snapshot');

    // Version 3's data file has not arrived: version 2 is the newest complete one.
    const s3 = (await readSnapshot(store, 3))!;
    const aFile = referencedKeys(s3).find((k) => k.kind === 'file' && k.key.startsWith('a/'))!.key;
    await rm(join(root, aFile));
    const report = await findNewestComplete(store);
    assert.equal(report.found?.version, 2);
    assert.deepEqual(report.head?.missing, [aFile]);

    // Version 2's snapshot is missing too: version 1.
    await rm(join(root, '.claas/versions/2.json'));
    const index = await listAll(store);
    const v1 = await newestCompleteVersion(store, { index });
    assert.equal(v1?.version, 1);
    assert.equal(
      await newestCompleteVersion(store, { index, maxBack: 2 }),
      undefined,
      'maxBack limits the walk',
    );
  });
});

test('newestCompleteVersion of an empty store is undefined', async () => {
  await withTempDir(async (dir) => {
    assert.equal(await newestCompleteVersion(new FsStore(join(dir, 'empty'))), undefined);
  });
});
