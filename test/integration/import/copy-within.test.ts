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

test(
  'copyWithin of a library store with a private area: staged bytes in the area, the copy under the prefix; a staged object an older claas left under the prefix is moved first',
  { skip },
  async () => {
    const bucket = uniqueBucketName('claas-copy-area');
    await createBucket(bucket);
    buckets.push(bucket);
    const store = await openTestStore('publisher', bucket, 'lib', {
      privateArea: { controlPrefix: 'claas-control' },
    });
    const raw = await openTestStore('publisher', bucket, '');
    try {
      const data = randomBytes(6 * 1024 * 1024 + 3);
      const sha = createHash('sha256').update(data).digest('hex');
      await store.put('.claas/staging/run/000001', { kind: 'bytes', data }, { sha256: sha });
      assert.ok(
        await raw.head('claas-control/libraries/lib/.claas/staging/run/000001'),
        'staged in the area',
      );
      assert.equal(await raw.head('lib/.claas/staging/run/000001'), undefined);
      await store.copyWithin('.claas/staging/run/000001', `item/${sha}/disk.vmdk`);
      assert.ok((await raw.readBytes(`lib/item/${sha}/disk.vmdk`))?.equals(data), 'the copy is public');
      assert.equal((await store.stat(`item/${sha}/disk.vmdk`))?.sha256, sha);

      // Staged by an older claas under the prefix: read there, moved to the area by the copy.
      await raw.put('lib/.claas/staging/old/000001', { kind: 'bytes', data }, { sha256: sha });
      assert.equal((await store.stat('.claas/staging/old/000001'))?.sha256, sha, 'read at the old place');
      await store.copyWithin('.claas/staging/old/000001', `item/${sha}/old.vmdk`);
      assert.ok((await raw.readBytes(`lib/item/${sha}/old.vmdk`))?.equals(data));
      assert.equal(await raw.head('lib/.claas/staging/old/000001'), undefined, 'gone from the prefix');
      assert.ok(await raw.head('claas-control/libraries/lib/.claas/staging/old/000001'), 'moved to the area');

      // Listing merges both places; delete removes both.
      await raw.put('lib/.claas/staging/old/000002', { kind: 'bytes', data: Buffer.from('x') });
      const keys: string[] = [];
      for await (const o of store.list('.claas/staging/')) keys.push(o.key);
      assert.deepEqual(keys, [
        '.claas/staging/old/000001',
        '.claas/staging/old/000002',
        '.claas/staging/run/000001',
      ]);
      await store.delete(keys);
      for await (const o of raw.list('')) {
        assert.ok(!o.key.includes('/.claas/staging/'), `deleted: ${o.key}`);
      }
    } finally {
      store.close();
      raw.close();
    }
  },
);
