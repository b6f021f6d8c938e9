// Deleting keys of one bucket: a DeleteObject per key for a few keys (a lock or lease entry, one file and its
// legacy copy), DeleteObjects, 1000 at a time, above that. Ceph RGW evaluates a multi-object delete against
// the bucket as a whole, so a publisher whose bucket policy is scoped to the library prefix and its private
// area may delete an object of its own but not send DeleteObjects; releasing a lock must work for it.
// Missing keys are not an error either way.

import type { S3Client } from '@aws-sdk/client-s3';
import { awsS3 } from './aws-sdk.js';

const { DeleteObjectCommand, DeleteObjectsCommand } = awsS3;

/** Up to this many keys are deleted one request each. */
export const SINGLE_DELETES_UP_TO = 2;

/** `fail` turns an SDK error into the store's error for a bucket key (when one is known); it throws. */
export async function deleteBucketKeys(
  client: S3Client,
  bucket: string,
  bucketKeys: string[],
  fail: (e: unknown, bucketKey: string | undefined) => never,
): Promise<void> {
  if (bucketKeys.length <= SINGLE_DELETES_UP_TO) {
    for (const key of bucketKeys) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (e) {
        if ((e as { name?: string }).name === 'NoSuchKey') continue;
        fail(e, key);
      }
    }
    return;
  }
  for (let i = 0; i < bucketKeys.length; i += 1000) {
    const batch = bucketKeys.slice(i, i + 1000);
    let out;
    try {
      out = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((k) => ({ Key: k })), Quiet: true },
        }),
      );
    } catch (e) {
      fail(e, batch.length === 1 ? batch[0] : undefined);
    }
    const first = (out.Errors ?? []).find((e) => e.Code !== 'NoSuchKey');
    if (first !== undefined) {
      const err = Object.assign(new Error(first.Message ?? first.Code ?? 'delete failed'), {
        name: first.Code ?? 'Error',
      });
      fail(err, first.Key);
    }
  }
}
