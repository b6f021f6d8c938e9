// Reading and writing a bucket's lifecycle configuration (and reading its versioning state) through the
// library store's BucketAdmin (store.features.bucket; the S3 calls are in store/s3-admin.ts).

import { badInput } from '../errors.js';
import type { BucketAdmin, LifecycleRule, ObjectStore } from '../store/types.js';

function bucketOf(store: ObjectStore): BucketAdmin {
  const bucket = store.features.bucket;
  if (bucket === undefined) {
    throw badInput(
      'lifecycle rules are a feature of S3 buckets',
      store.display,
      'give an s3:// library location',
    );
  }
  return bucket;
}

/** The bucket's lifecycle rules ([] when it has none). */
export async function readLifecycleRules(store: ObjectStore): Promise<LifecycleRule[]> {
  return bucketOf(store).getLifecycle();
}

/** 'Enabled', 'Suspended' or undefined (never enabled). */
export async function readVersioning(store: ObjectStore): Promise<string | undefined> {
  return bucketOf(store).getVersioning();
}

/** Replaces the bucket's lifecycle configuration (deletes it when no rule is left). */
export async function writeLifecycleRules(store: ObjectStore, rules: LifecycleRule[]): Promise<void> {
  await bucketOf(store).putLifecycle(rules);
}
