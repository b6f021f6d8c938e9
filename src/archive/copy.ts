// Copying one stored object to another key or store, verified by claas's content hash: server-side
// (CopyObject / UploadPartCopy) between S3 locations on one endpoint, a put from the file between local
// folders, and otherwise a stream from one store into the other (hashed on the way by the destination, so
// wrong bytes never land).
// Used by archive snapshot/restore and by rollback when old bytes must be placed at another key.

import { createHash } from 'node:crypto';
import { ClaasError, isClaasError } from '../errors.js';
import type { S3StoreExtras } from '../store/s3.js';
import type { ObjectStore, WriteSettings } from '../store/types.js';

export type CopyMethod = 'present' | 'server-side' | 'file' | 'stream';

export interface CopySpec {
  sha256: string;
  size: number;
  contentType?: string;
}

export interface CopyOptions {
  /** Encryption, storage class and tags for server-side copies (streamed copies use the store's own). */
  write?: WriteSettings;
  /** Skip the copy when the destination already holds an object of the right size (resume). */
  skipPresent?: boolean;
  /** Server-side copies from this size on use UploadPartCopy (default 5 GiB). */
  multipartCopyThreshold?: number;
  /** Smallest UploadPartCopy part (default 512 MiB). */
  copyPartSize?: number;
  signal?: AbortSignal;
}

type S3Store = ObjectStore & S3StoreExtras;

export function isS3Store(store: ObjectStore): store is S3Store {
  const s = store as Partial<S3StoreExtras>;
  return store.kind === 's3' && s.client !== undefined && s.location !== undefined;
}

function localPath(store: ObjectStore, key: string): string | undefined {
  const s = store as ObjectStore & { pathOf?: (key: string) => string };
  return store.kind === 'fs' && typeof s.pathOf === 'function' ? s.pathOf(key) : undefined;
}

/** Two S3 stores on one endpoint: a server-side copy can work (if the writer may read the source). */
export function sameS3Endpoint(a: ObjectStore, b: ObjectStore): boolean {
  return isS3Store(a) && isS3Store(b) && a.endpointUrl.toLowerCase() === b.endpointUrl.toLowerCase();
}

const S3_COPY_MODULE = '../store/s3-copy.js';

/** Copies src/srcKey to dst/dstKey and returns how. Throws INTEGRITY when the bytes are not `spec`. */
export async function copyObject(
  src: ObjectStore,
  srcKey: string,
  dst: ObjectStore,
  dstKey: string,
  spec: CopySpec,
  options: CopyOptions = {},
): Promise<CopyMethod> {
  if (options.skipPresent === true) {
    const there = await dst.head(dstKey);
    if (there !== undefined && there.size === spec.size) return 'present';
  }
  if (isS3Store(src) && isS3Store(dst) && sameS3Endpoint(src, dst)) {
    const { serverSideCopy } = (await import(S3_COPY_MODULE)) as typeof import('../store/s3-copy.js');
    try {
      await serverSideCopy(src, srcKey, dst, dstKey, {
        sha256: spec.sha256,
        size: spec.size,
        ...(spec.contentType === undefined ? {} : { contentType: spec.contentType }),
        ...(options.write === undefined ? {} : { write: options.write }),
        ...(options.multipartCopyThreshold === undefined
          ? {}
          : { multipartThreshold: options.multipartCopyThreshold }),
        ...(options.copyPartSize === undefined ? {} : { minPartSize: options.copyPartSize }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      return 'server-side';
    } catch (e) {
      // Another account's credentials may write the destination but not read the source: stream instead.
      if (!isClaasError(e, 'FORBIDDEN')) throw e;
    }
  }
  const path = localPath(src, srcKey);
  const putOptions = {
    sha256: spec.sha256,
    ...(spec.contentType === undefined ? {} : { contentType: spec.contentType }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  if (path !== undefined) {
    const head = await src.head(srcKey);
    if (head === undefined) {
      throw new ClaasError('NOT_FOUND', `${src.display}/${srcKey} does not exist`, {
        input: `${src.display}/${srcKey}`,
      });
    }
    await dst.put(dstKey, { kind: 'file', path }, putOptions);
    return 'file';
  }
  // Anything else streams through claas; the destination hashes while writing and refuses wrong bytes.
  await dst.put(
    dstKey,
    { kind: 'stream', size: spec.size, open: () => src.read(srcKey), describe: `${src.display}/${srcKey}` },
    putOptions,
  );
  return 'stream';
}

/** SHA-256 and size of a stored object, read in full. */
export async function hashStored(
  store: ObjectStore,
  key: string,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = await store.read(key);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}
