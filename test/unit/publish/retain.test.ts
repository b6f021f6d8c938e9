// Retention markers and rules: the versions garbage collection must keep.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import {
  readRetention,
  releaseVersions,
  retainVersions,
  retainedVersions,
  setRetentionPolicy,
} from '../../../src/publish/retain.js';
import { withTempDir } from '../../helpers/cli.js';
import { ACTOR, HOUR, item, publishAt } from '../archive/fixtures.js';

test('markers, keep-last and keep-all', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    assert.deepEqual([...(await retainedVersions(store))], [], 'nothing kept in a fresh location');
    for (let v = 1; v <= 5; v++) await publishAt(store, [await item(dir, 'a', `v${v}`)], v * HOUR);

    await retainVersions(store, [2], { actor: ACTOR, reason: 'SOX 2026-Q1' });
    assert.deepEqual([...(await retainedVersions(store))], [2]);
    const r = await readRetention(store);
    assert.equal(r.markers[0]?.reason, 'SOX 2026-Q1');
    assert.equal(r.markers[0]?.actor.name, ACTOR.name);

    await setRetentionPolicy(store, { keepLast: 2, actor: ACTOR });
    assert.deepEqual([...(await retainedVersions(store))].sort(), [2, 4, 5]);
    await setRetentionPolicy(store, { keepAll: true, actor: ACTOR });
    assert.deepEqual([...(await retainedVersions(store))].sort(), [1, 2, 3, 4, 5]);
    await setRetentionPolicy(store, { actor: ACTOR });
    await releaseVersions(store, [2]);
    assert.deepEqual([...(await retainedVersions(store))], []);

    await assert.rejects(retainVersions(store, [6], { actor: ACTOR }), /library version 6 does not exist/);
  });
});
