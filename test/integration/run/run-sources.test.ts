// `claas run`'s sync step against a real Ceph origin: a folder source added to, changed and deleted from
// across polls (the same scenario the unit test runs on a folder store), every version with its audit entry.

import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cephSkip, createBucket, deleteBucket, openTestStore, uniqueBucketName } from '../../helpers/ceph.js';
import { folderScenario } from '../../helpers/run-sync.js';

test('run sources: a folder source through sync steps onto a Ceph origin', { skip: cephSkip() }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'claas-run-src-'));
  const bucket = uniqueBucketName('claas-run-folder');
  await createBucket(bucket);
  const store = await openTestStore('publisher', bucket, 'lib');
  try {
    await folderScenario(store, work);
  } finally {
    store.close();
    await deleteBucket(bucket);
    await rm(work, { recursive: true, force: true });
  }
});
