// Opens the ObjectStore for a Location: the local folder store, or the S3 store (loaded on demand so
// that commands working on local folders never load the AWS SDK).

import { FsStore } from './fs.js';
import { DEFAULT_CONTROL_PREFIX } from './private-keys.js';
import type { Location, ObjectStore, S3Location, WriteSettings } from './types.js';

export interface OpenStoreOptions {
  /** Storage class, encryption and tags for data objects (S3 only). */
  write?: WriteSettings;
  /** S3 only: create the bucket when it does not exist. */
  createBucket?: boolean;
  /** S3 only: objects from this size on go multipart (default 64 MiB). */
  multipartThreshold?: number;
  /** S3 only: smallest part size (default 8 MiB); larger objects get larger parts. */
  minPartSize?: number;
  /** S3 only: parts in flight per multipart upload. */
  partConcurrency?: number;
  /**
   * S3 only: object writes carry the canned ACL bucket-owner-full-control, so that the owner of the bucket
   * can read what another identity writes into it (`claas mirror` into a replica owned by someone else).
   */
  bucketOwnerFullControl?: boolean;
  /**
   * S3 only (issue 16): where a library's provider-private keys (store/private-keys.ts) live. Default: the
   * library's private area under the default control prefix, `<claas-control>/libraries/<prefix>/`; a
   * configuration's `gateway.controlPrefix` is passed here by whoever knows it. `false`: every key under the
   * prefix — for stores that are not a provider's library (replicas, archives, the control store itself).
   */
  privateArea?: false | { controlPrefix: string };
}

type OpenS3Store = (loc: S3Location, opts?: OpenStoreOptions) => Promise<ObjectStore> | ObjectStore;

/** The S3 module, imported lazily: it pulls in the AWS SDK. */
const S3_MODULE = './s3.js';

export async function openStore(loc: Location, opts: OpenStoreOptions = {}): Promise<ObjectStore> {
  if (loc.kind === 'fs') return new FsStore(loc.path);
  const { openS3Store } = (await import(S3_MODULE)) as { openS3Store: OpenS3Store };
  const { partConcurrency, privateArea, ...rest } = opts;
  return openS3Store(loc, {
    ...rest,
    ...(privateArea === false
      ? {}
      : { privateArea: privateArea ?? { controlPrefix: DEFAULT_CONTROL_PREFIX } }),
    ...(partConcurrency === undefined ? {} : { concurrency: { parts: partConcurrency } }),
  });
}

/** Closes a store's connections, when there is a store: store.close(), kept for callers with an optional one. */
export function closeStore(store: ObjectStore | undefined): void {
  store?.close();
}
