// The private area of an S3 library store (its features.privateArea, issue 16): listing the provider-private
// objects an older claas left under the library prefix, and moving them into the area — a server-side copy
// (CopyObject, or UploadPartCopy for large staged bytes) that keeps their metadata and encryption, then the
// delete of the old object. Readers prefer the area, so a move interrupted between the two steps is safe and
// the next run finishes it. `claas replication apply` runs it before it writes replication rules.

import { isPrivateKey } from './private-keys.js';
import type { S3KeyMap } from './s3-key-map.js';
import { serverSideCopy } from './s3-server-copy.js';
import type { S3Side } from './s3-server-copy.js';
import type { PrivateArea, PrivateAreaMigration, StoredObject } from './types.js';

export interface PrivateAreaScope {
  keys: S3KeyMap & { privateBase: string };
  /** The store's own side (keys mapped to the area). */
  side: () => S3Side;
  /** Lists one bucket key prefix of the store's bucket, keys relative to `base`. */
  listPlace(base: string, prefix: string): AsyncIterable<StoredObject>;
  deleteBucketKeys(bucketKeys: string[]): Promise<void>;
}

export function s3PrivateArea(s: PrivateAreaScope): PrivateArea {
  const legacy = async function* (): AsyncGenerator<StoredObject> {
    for await (const o of s.listPlace(s.keys.base, '.claas')) if (isPrivateKey(o.key)) yield o;
  };
  return {
    get url() {
      return `s3://${s.side().location.bucket}/${s.keys.privateBase}`;
    },
    base: s.keys.privateBase,
    legacy,
    migrate: async (options = {}) => {
      const result: PrivateAreaMigration = { moved: [], bytes: 0 };
      for await (const o of legacy()) {
        if (!options.dryRun) await moveOne(s, o);
        result.moved.push(o.key);
        result.bytes += o.size;
        options.onObject?.(o.key);
      }
      return result;
    },
  };
}

/** Moves one legacy object into the area, unless the area already holds that key (then it only deletes). */
export async function moveOne(s: PrivateAreaScope, o: StoredObject): Promise<void> {
  const legacyKey = s.keys.legacyKey(o.key);
  if (legacyKey === undefined) return;
  // A key the area already holds (a move interrupted after its copy, or written since) only loses its old copy.
  if (!(await isInArea(s, o.key))) {
    const own = s.side();
    const legacySide: S3Side = { ...own, objectKey: (k) => `${s.keys.base}${k}` };
    await serverSideCopy(legacySide, o.key, own, o.key, {
      source: { size: o.size, ...(o.etag === undefined ? {} : { etag: o.etag }) },
      keepSourceEncryption: true,
      // Encryption only: never the store's storage class or tags (a GLACIER audit log could not be read).
      role: 'metadata',
    });
  }
  await s.deleteBucketKeys([legacyKey]);
}

async function isInArea(s: PrivateAreaScope, key: string): Promise<boolean> {
  for await (const found of s.listPlace(s.keys.privateBase, key)) if (found.key === key) return true;
  return false;
}
