// Server-side copies into an S3 store (its features.copy): CopyObject up to 5 GiB, UploadPartCopy in parts
// above, so mirror, archive, restore, rollback and import move no bytes through claas. The source is checked
// first against the planned object (size, ETag, stored SHA-256) and every request pinned to its ETag; a
// request that fails in a way that can pass is sent again whole, with backoff. The copy gets claas's content
// hash (x-amz-meta-sha256) and the write settings asked for. The destination's credentials must be able to
// read the source: when they may not, the copy fails with FORBIDDEN and the copy engine (transfer.ts) streams.

import type {
  CopyObjectCommandInput,
  HeadObjectCommandOutput,
  S3Client,
  StorageClass,
} from '@aws-sdk/client-s3';
import { ClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { awsS3 } from './aws-sdk.js';
import { httpStatus, isAbortError, isMissingObject, mapS3Error, s3ErrorCode } from './s3-errors.js';
import { GiB, MiB, choosePartSize, partCount } from './s3-part-size.js';
import { withRetry } from './s3-retry.js';
import { stripEtag } from './s3-keys.js';
import { taggingHeader } from './s3-write-params.js';
import type { RetryPolicy } from './s3-retry.js';
import type { CopyFromOptions, ObjectStore, S3Location, ServerSideCopy, WriteSettings } from './types.js';

const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
} = awsS3;

/** CopyObject copies at most 5 GiB; larger objects are copied in parts. */
export const MAX_SINGLE_COPY = 5 * GiB;
/** Server-side parts cost the same whatever their size: large ones make few requests. */
export const DEFAULT_COPY_PART_SIZE = 512 * MiB;
/** UploadPartCopy requests in flight per object. */
const PART_CONCURRENCY = 4;

/** What a server-side copy needs of an S3 store (the one it writes, or the one it reads). */
export interface S3Side {
  readonly client: S3Client;
  readonly location: S3Location;
  /** Endpoint URL in use; copies between stores need the same one. */
  readonly endpointUrl: string;
  /** s3://bucket/prefix[/key], for messages. */
  url(key?: string): string;
  /** The store's own write settings (for copies that name none). */
  readonly write?: WriteSettings;
  /** claas's retry of whole requests (default DEFAULT_RETRY). */
  readonly retry?: RetryPolicy;
  /**
   * The bucket key of a store key, when the store does not keep every key under its prefix (a library
   * store's provider-private keys live in its private area, s3-key-map.ts); default `<prefix>/<key>`.
   */
  objectKey?(key: string): string;
}

/** The S3 stores of this process, by identity: a copy's source is looked up here, never duck-typed. */
const sides = new WeakMap<ObjectStore, () => S3Side>();

/** The S3 side of a store that declared features.copy with s3ServerSideCopy, else undefined. */
export function s3SideOf(store: ObjectStore): S3Side | undefined {
  return sides.get(store)?.();
}

function sameEndpoint(a: S3Side, b: S3Side): boolean {
  const norm = (url: string) => url.replace(/\/+$/, '').toLowerCase();
  return norm(a.endpointUrl) === norm(b.endpointUrl);
}

/**
 * The ServerSideCopy of an S3 store. `side` is read at each call (a store creates its client in its
 * constructor, after its features).
 */
export function s3ServerSideCopy(store: ObjectStore, side: () => S3Side): ServerSideCopy {
  sides.set(store, side);
  return {
    canCopyFrom: (source) => {
      const from = s3SideOf(source);
      return from !== undefined && sameEndpoint(from, side());
    },
    copyFrom: async (source, fromKey, toKey, options) => {
      const from = s3SideOf(source);
      if (from === undefined || !sameEndpoint(from, side())) {
        throw new ClaasError(
          'INTERNAL',
          `${source.display} cannot be copied server-side to ${store.display}`,
        );
      }
      await serverSideCopy(from, fromKey, side(), toKey, options);
    },
  };
}

export function fullKey(location: S3Location, key: string): string {
  return location.prefix === '' ? key : `${location.prefix}/${key}`;
}

/** The bucket key of one of a side's keys (its own mapping, else under its prefix). */
export function sideKey(side: S3Side, key: string): string {
  return side.objectKey?.(key) ?? fullKey(side.location, key);
}

/** The x-amz-copy-source value: bucket/key with every key segment percent-encoded. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

type CopyParams = Pick<
  CopyObjectCommandInput,
  | 'ContentType'
  | 'Metadata'
  | 'MetadataDirective'
  | 'ServerSideEncryption'
  | 'SSEKMSKeyId'
  | 'StorageClass'
  | 'Tagging'
  | 'TaggingDirective'
>;

/**
 * The headers that give the copy its content type, hash, encryption, storage class and tags. With a known
 * SHA-256 the metadata is replaced (claas's hash, the content type); without, it is copied from the source.
 * Documents ('metadata') get the encryption only. Without an encryption, keepSourceEncryption gives the copy
 * the source's (from its HEAD).
 */
export function copyWriteParams(
  o: Pick<CopyFromOptions, 'contentType' | 'write' | 'role' | 'keepSourceEncryption'> & { sha256?: string },
  storeWrite: WriteSettings | undefined,
  head: Pick<HeadObjectCommandOutput, 'ContentType' | 'ServerSideEncryption' | 'SSEKMSKeyId'>,
): CopyParams {
  const all = o.write ?? storeWrite ?? {};
  const w: WriteSettings = o.role === 'metadata' ? (all.sse === undefined ? {} : { sse: all.sse }) : all;
  const sse = w.sse ?? (o.keepSourceEncryption === true ? sourceEncryption(head) : undefined);
  const tags = taggingHeader(w.tags);
  return {
    ...(o.sha256 === undefined
      ? {}
      : {
          MetadataDirective: 'REPLACE' as const,
          Metadata: { sha256: o.sha256 },
          ContentType: o.contentType ?? head.ContentType ?? 'application/octet-stream',
        }),
    ...(sse === undefined ? {} : { ServerSideEncryption: sse.mode }),
    ...(sse?.mode === 'aws:kms' && sse.kmsKeyId !== undefined ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
    ...(w.storageClass === undefined ? {} : { StorageClass: w.storageClass as StorageClass }),
    ...(tags === undefined ? {} : { Tagging: tags, TaggingDirective: 'REPLACE' as const }),
  };
}

function sourceEncryption(
  head: Pick<HeadObjectCommandOutput, 'ServerSideEncryption' | 'SSEKMSKeyId'>,
): WriteSettings['sse'] {
  if (head.ServerSideEncryption === 'aws:kms') {
    return { mode: 'aws:kms', ...(head.SSEKMSKeyId ? { kmsKeyId: head.SSEKMSKeyId } : {}) };
  }
  return head.ServerSideEncryption === 'AES256' ? { mode: 'AES256' } : undefined;
}

interface CopyJob {
  src: S3Side;
  srcKey: string;
  dst: S3Side;
  dstKey: string;
  to: { Bucket: string; Key: string };
  /** x-amz-copy-source. */
  source: string;
  /** CopySourceIfMatch for every request (the planned or the HEAD's ETag). */
  ifMatch: { CopySourceIfMatch?: string };
  params: CopyParams;
  o: CopyFromOptions;
}

/**
 * Copies src/srcKey to dst/dstKey on the server. The source is read first (one HEAD, with the destination's
 * credentials) and refused when its size, ETag or stored SHA-256 is not the planned one. Every copy request
 * carries x-amz-copy-source-if-match with the ETag (AWS refuses a source replaced in between; Ceph RGW 16
 * ignores the header), and a copy in parts reads the source's ETag again before the parts are put together.
 */
export async function serverSideCopy(
  src: S3Side,
  srcKey: string,
  dst: S3Side,
  dstKey: string,
  o: CopyFromOptions,
): Promise<void> {
  const run = <T>(fn: () => Promise<T>) => retried(dst, o, fn);
  if (planIsEnough(o, dst)) {
    const done = await copyCheckedAfter(src, srcKey, dst, dstKey, o, run);
    if (done) return;
  }
  const head = await headSource(src, srcKey, dst.client, o, run);
  const etag = stripEtag(o.source.etag) ?? stripEtag(head.ETag);
  const sha256 = o.source.sha256;
  const job: CopyJob = {
    src,
    srcKey,
    dst,
    dstKey,
    to: { Bucket: dst.location.bucket, Key: sideKey(dst, dstKey) },
    source: copySource(src.location.bucket, sideKey(src, srcKey)),
    ifMatch: etag === undefined ? {} : { CopySourceIfMatch: `"${etag}"` },
    params: copyWriteParams({ ...o, ...(sha256 === undefined ? {} : { sha256 }) }, dst.write, head),
    o,
  };
  try {
    const single = o.source.size <= Math.min(o.maxSingleCopy ?? MAX_SINGLE_COPY, MAX_SINGLE_COPY);
    if (!single || !(await copyWhole(job, run))) await copyInParts(job, run);
  } catch (e) {
    throw copyError(e, job, etag);
  }
}

/**
 * True when the plan already says everything the copy needs from the source (a single-part ETag, the SHA-256,
 * the content type; no encryption taken from the source, no KMS at the destination) and one CopyObject
 * suffices: then the HEAD before the copy is skipped, and the copy's own ETag (the MD5 of its bytes) is
 * compared with the planned one instead. This halves the requests of a mirror of many small files.
 */
function planIsEnough(o: CopyFromOptions, dst: S3Side): boolean {
  const etag = stripEtag(o.source.etag);
  const sse = (o.write ?? dst.write)?.sse;
  return (
    etag !== undefined &&
    /^[0-9a-f]{32}$/.test(etag) &&
    o.source.sha256 !== undefined &&
    o.contentType !== undefined &&
    o.keepSourceEncryption !== true &&
    sse?.mode !== 'aws:kms' &&
    o.source.size <= Math.min(o.maxSingleCopy ?? MAX_SINGLE_COPY, MAX_SINGLE_COPY)
  );
}

/**
 * One CopyObject with the planned ETag as its condition, checked afterwards: a copy whose ETag differs from
 * the planned one is confirmed with a HEAD of the source (an SSE-KMS source has no MD5 ETag) and deleted when
 * the source is no longer the planned object. False when the server wants the copy in parts.
 */
async function copyCheckedAfter(
  src: S3Side,
  srcKey: string,
  dst: S3Side,
  dstKey: string,
  o: CopyFromOptions,
  run: Run,
): Promise<boolean> {
  const etag = stripEtag(o.source.etag)!;
  const to = { Bucket: dst.location.bucket, Key: sideKey(dst, dstKey) };
  const params = copyWriteParams({ ...o, sha256: o.source.sha256! }, dst.write, {});
  const source = copySource(src.location.bucket, sideKey(src, srcKey));
  let copied: string | undefined;
  try {
    const out = await run(async () => {
      try {
        return await dst.client.send(
          new CopyObjectCommand({ ...to, CopySource: source, CopySourceIfMatch: `"${etag}"`, ...params }),
          { abortSignal: o.signal },
        );
      } catch (e) {
        if (s3ErrorCode(e) === 'NotImplemented' || httpStatus(e) === 501) return undefined;
        throw e;
      }
    });
    if (out === undefined) return false;
    copied = stripEtag(out.CopyObjectResult?.ETag);
  } catch (e) {
    throw copyError(e, { src, srcKey, dst, dstKey }, etag);
  }
  if (copied !== etag) {
    try {
      await headSource(src, srcKey, dst.client, o, run);
    } catch (e) {
      await dst.client
        .send(new DeleteObjectCommand(to))
        .catch(() => undefined /* gc removes an unreferenced object later */);
      throw e;
    }
  }
  o.onProgress?.(o.source.size);
  return true;
}

function retried<T>(dst: S3Side, o: CopyFromOptions, fn: () => Promise<T>): Promise<T> {
  return withRetry(fn, {
    ...(dst.retry === undefined ? {} : { policy: dst.retry }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.onRetry === undefined ? {} : { onRetry: o.onRetry }),
  });
}

type Run = <T>(fn: () => Promise<T>) => Promise<T>;

/** HEAD of the source with the destination's credentials, checked against the planned object. */
async function headSource(
  src: S3Side,
  srcKey: string,
  client: S3Client,
  o: CopyFromOptions,
  run: Run,
): Promise<HeadObjectCommandOutput> {
  const url = src.url(srcKey);
  let head: HeadObjectCommandOutput;
  try {
    head = await run(() =>
      client.send(new HeadObjectCommand({ Bucket: src.location.bucket, Key: sideKey(src, srcKey) }), {
        abortSignal: o.signal,
      }),
    );
  } catch (e) {
    if (isAbortError(e)) throw e;
    if (isMissingObject(e)) throw new ClaasError('NOT_FOUND', `${url} does not exist`, { input: url });
    throw mapS3Error(e, 'read', url, src.endpointUrl);
  }
  if ((head.ContentLength ?? -1) !== o.source.size) {
    throw new ClaasError(
      'INTEGRITY',
      `${url} has ${head.ContentLength ?? '?'} bytes, expected ${o.source.size}`,
      {
        input: url,
        hint: 'the source was changed or damaged since the copy was planned; run `claas verify --deep` on it',
      },
    );
  }
  const planned = stripEtag(o.source.etag);
  if (planned !== undefined && stripEtag(head.ETag) !== planned) throw changed(url, planned);
  const stored = head.Metadata?.sha256?.toLowerCase();
  const want = o.source.sha256?.toLowerCase();
  if (stored !== undefined && stored !== '' && want !== undefined && stored !== want) {
    throw new ClaasError('INTEGRITY', `${url} holds SHA-256 ${stored}, expected ${want}`, {
      input: url,
      hint: 'the source was replaced since the copy was planned; run the command again',
    });
  }
  return head;
}

function changed(url: string, etag: string): ClaasError {
  return new ClaasError(
    'CONFLICT',
    `${url} changed since the copy was planned (its ETag is no longer ${etag})`,
    {
      input: url,
      hint: 'run the command again: it plans from what is there now',
    },
  );
}

/** One CopyObject; false when the server does not implement it for this object (then parts are used). */
async function copyWhole(job: CopyJob, run: Run): Promise<boolean> {
  const { dst, o } = job;
  const done = await run(async () => {
    try {
      await dst.client.send(
        new CopyObjectCommand({ ...job.to, CopySource: job.source, ...job.ifMatch, ...job.params }),
        { abortSignal: o.signal },
      );
      return true;
    } catch (e) {
      // Ceph RGW 16 answers CopyObject of an SSE-KMS object with 501 NotImplemented, yet copies it part by
      // part (UploadPartCopy) fine. Not an error worth retrying.
      if (s3ErrorCode(e) === 'NotImplemented' || httpStatus(e) === 501) return false;
      throw e;
    }
  });
  if (done) o.onProgress?.(o.source.size);
  return done;
}

/** CreateMultipartUpload, UploadPartCopy per range (each sent again whole on failure), Complete. */
async function copyInParts(job: CopyJob, run: Run): Promise<void> {
  const { dst, o } = job;
  const client = dst.client;
  const { TaggingDirective: _t, MetadataDirective: _m, ...create } = job.params;
  const created = await run(() =>
    client.send(new CreateMultipartUploadCommand({ ...job.to, ...create }), { abortSignal: o.signal }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new ClaasError('PROTOCOL', `no upload id for ${dst.url(job.dstKey)}`);
  const size = o.source.size;
  const partSize = choosePartSize(size, o.partSize ?? DEFAULT_COPY_PART_SIZE);
  const numbers = Array.from({ length: partCount(size, partSize) }, (_, i) => i + 1);
  try {
    const etags = await mapLimited(
      numbers,
      PART_CONCURRENCY,
      async (n, signal) => {
        const start = (n - 1) * partSize;
        const end = Math.min(size, start + partSize) - 1;
        const out = await run(() =>
          client.send(
            new UploadPartCopyCommand({
              ...job.to,
              UploadId: uploadId,
              PartNumber: n,
              CopySource: job.source,
              ...job.ifMatch,
              // An empty object is one part without a range.
              ...(size === 0 ? {} : { CopySourceRange: `bytes=${start}-${end}` }),
            }),
            { abortSignal: signal },
          ),
        );
        const etag = out.CopyPartResult?.ETag;
        if (etag === undefined)
          throw new ClaasError('PROTOCOL', `no ETag for part ${n} of ${dst.url(job.dstKey)}`);
        o.onProgress?.(end - start + 1);
        return etag;
      },
      o.signal,
    );
    await stillPlanned(job, run);
    await run(() =>
      client.send(
        new CompleteMultipartUploadCommand({
          ...job.to,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        { abortSignal: o.signal },
      ),
    );
  } catch (e) {
    await client
      .send(new AbortMultipartUploadCommand({ ...job.to, UploadId: uploadId }))
      .catch(() => undefined);
    throw e;
  }
}

/**
 * Before parts are put together: the source must still be the planned object. Ceph RGW ignores
 * x-amz-copy-source-if-match on UploadPartCopy, so an object replaced before the last part was read would
 * otherwise become a copy that mixes versions; one HEAD after the parts tells (the ETag changes with the bytes).
 */
async function stillPlanned(job: CopyJob, run: Run): Promise<void> {
  const etag =
    job.ifMatch.CopySourceIfMatch === undefined ? undefined : stripEtag(job.ifMatch.CopySourceIfMatch);
  if (etag === undefined) return;
  const head = await run(() =>
    job.dst.client.send(
      new HeadObjectCommand({ Bucket: job.src.location.bucket, Key: sideKey(job.src, job.srcKey) }),
      { abortSignal: job.o.signal },
    ),
  );
  if (stripEtag(head.ETag) !== etag) throw changed(job.src.url(job.srcKey), etag);
}

/** A failed copy request as a ClaasError naming the source or the destination, whichever it concerns. */
function copyError(
  e: unknown,
  job: Pick<CopyJob, 'src' | 'srcKey' | 'dst' | 'dstKey'>,
  etag: string | undefined,
): unknown {
  if (e instanceof ClaasError || isAbortError(e)) return e;
  const from = job.src.url(job.srcKey);
  const to = job.dst.url(job.dstKey);
  const code = s3ErrorCode(e);
  const status = httpStatus(e);
  if (code === 'PreconditionFailed' || status === 412) return changed(from, etag ?? '?');
  if (code === 'NoSuchKey' || (status === 404 && code !== 'NoSuchBucket' && code !== 'NoSuchUpload')) {
    return new ClaasError('NOT_FOUND', `${from} does not exist`, { input: from });
  }
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) {
    const mapped = mapS3Error(e, 'write', to, job.dst.endpointUrl);
    return new ClaasError('FORBIDDEN', `This credential may not copy ${from} to ${to}`, {
      input: to,
      hint: 'a server-side copy needs s3:GetObject on the source and s3:PutObject here (with the same credentials)',
      ...(mapped.cause === undefined ? {} : { cause: mapped.cause }),
    });
  }
  return mapS3Error(e, 'write', to, job.dst.endpointUrl);
}
