// S3Store.copyWithin against Ceph RGW: CopyObject for ordinary objects and UploadPartCopy in parts for
// large ones (the limit lowered for the test), with the source's SHA-256 kept in the copy's metadata.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { isClaasError } from '../../../src/errors.js';
import { cephSkip, createBucket, deleteBucket, openTestStore, uniqueBucketName } from '../../helpers/ceph.js';

const skip = cephSkip();
const buckets: string[] = [];

after(async () => {
  for (const b of buckets) await deleteBucket(b);
});

test('copyWithin on RGW: one request, or parts above the limit', { skip }, async () => {
  const bucket = uniqueBucketName('claas-copy');
  await createBucket(bucket);
  buckets.push(bucket);
  const store = await openTestStore('publisher', bucket, 'lib');
  try {
    const data = randomBytes(12 * 1024 * 1024 + 17);
    const sha = createHash('sha256').update(data).digest('hex');
    await store.put('.claas/staging/run/000001', { kind: 'bytes', data }, { sha256: sha });

    await store.copyWithin('.claas/staging/run/000001', `item/${sha}/disk one.vmdk`);
    assert.ok((await store.readBytes(`item/${sha}/disk one.vmdk`))?.equals(data));
    assert.equal((await store.stat(`item/${sha}/disk one.vmdk`))?.sha256, sha);

    // The same through UploadPartCopy: 5 MiB parts.
    const limits = store as unknown as { copyObjectLimit: number; copyMinPartSize: number };
    limits.copyObjectLimit = 1024;
    limits.copyMinPartSize = 5 * 1024 * 1024;
    await store.copyWithin('.claas/staging/run/000001', `item/${sha}/parts.vmdk`);
    assert.ok((await store.readBytes(`item/${sha}/parts.vmdk`))?.equals(data));
    assert.equal((await store.stat(`item/${sha}/parts.vmdk`))?.sha256, sha);
    assert.deepEqual(await store.listMultipartUploads(), []);

    await assert.rejects(store.copyWithin('.claas/staging/none', 'x/y'), (e: unknown) =>
      isClaasError(e, 'NOT_FOUND'),
    );
  } finally {
    store.close();
  }
});
