// Server-side copies between S3 locations on one endpoint: CopyObject up to 5 GiB, UploadPartCopy for
// larger objects, so archive, restore and rollback move no bytes through claas. The copy gets claas's
// content hash (x-amz-meta-sha256) and the requested encryption and storage class; without explicit
// settings it keeps the source's encryption. Loaded lazily (it pulls in the AWS SDK).

import type { CopyObjectCommandInput, HeadObjectCommandOutput, StorageClass } from '@aws-sdk/client-s3';
import { ClaasError } from '../errors.js';
import { httpStatus, isMissingObject, mapS3Error, s3ErrorCode } from './s3-errors.js';
import { GiB, MiB, choosePartSize, partCount } from './s3-part-size.js';
import type { S3StoreExtras } from './s3.js';
import type { WriteSettings } from './types.js';
import { mapLimited } from '../util/pool.js';
import { awsS3 } from './aws-sdk.js';

const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
} = awsS3;

/** CopyObject copies at most 5 GiB; larger objects are copied in parts. */
export const MAX_SINGLE_COPY = 5 * GiB;

export interface ServerSideCopyOptions {
  sha256: string;
  size: number;
  contentType?: string;
  /** Encryption, storage class and tags of the copy; undefined = keep the source's encryption. */
  write?: WriteSettings;
  /** Objects from this size on are copied with UploadPartCopy (default 5 GiB, S3's CopyObject limit). */
  multipartThreshold?: number;
  /** Smallest part for UploadPartCopy (default 512 MiB). */
  minPartSize?: number;
  signal?: AbortSignal;
}

type S3Side = Pick<S3StoreExtras, 'client' | 'location' | 'url' | 'endpointUrl'>;

export function fullKey(store: Pick<S3StoreExtras, 'location'>, key: string): string {
  return store.location.prefix === '' ? key : `${store.location.prefix}/${key}`;
}

/** The x-amz-copy-source value: bucket/key with every key segment percent-encoded. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The headers that give the copy its encryption, storage class and tags. */
export function copyWriteParams(
  write: WriteSettings | undefined,
  source: Pick<HeadObjectCommandOutput, 'ServerSideEncryption' | 'SSEKMSKeyId'>,
): Pick<
  CopyObjectCommandInput,
  'ServerSideEncryption' | 'SSEKMSKeyId' | 'StorageClass' | 'Tagging' | 'TaggingDirective'
> {
  const sse =
    write?.sse ??
    (source.ServerSideEncryption === 'aws:kms'
      ? { mode: 'aws:kms' as const, ...(source.SSEKMSKeyId ? { kmsKeyId: source.SSEKMSKeyId } : {}) }
      : source.ServerSideEncryption === 'AES256'
        ? { mode: 'AES256' as const }
        : undefined);
  const tags =
    write?.tags === undefined
      ? undefined
      : Object.entries(write.tags)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join('&');
  return {
    ...(sse === undefined ? {} : { ServerSideEncryption: sse.mode }),
    ...(sse?.mode === 'aws:kms' && sse.kmsKeyId !== undefined ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
    ...(write?.storageClass === undefined ? {} : { StorageClass: write.storageClass as StorageClass }),
    ...(tags === undefined || tags === '' ? {} : { Tagging: tags, TaggingDirective: 'REPLACE' as const }),
  };
}

/**
 * Copies src/srcKey to dst/dstKey on the server (the destination's credentials must be able to read the
 * source). Checks the source's size first and the copy's size after; the content hash is claas's own.
 */
export async function serverSideCopy(
  src: S3Side,
  srcKey: string,
  dst: S3Side,
  dstKey: string,
  o: ServerSideCopyOptions,
): Promise<void> {
  const client = dst.client;
  const from = { Bucket: src.location.bucket, Key: fullKey(src, srcKey) };
  const to = { Bucket: dst.location.bucket, Key: fullKey(dst, dstKey) };
  let head: HeadObjectCommandOutput;
  try {
    head = await client.send(new HeadObjectCommand(from), { abortSignal: o.signal });
  } catch (e) {
    if (isMissingObject(e)) {
      throw new ClaasError('NOT_FOUND', `${src.url(srcKey)} does not exist`, { input: src.url(srcKey) });
    }
    throw mapS3Error(e, 'read', src.url(srcKey), src.endpointUrl);
  }
  if ((head.ContentLength ?? -1) !== o.size) {
    throw new ClaasError(
      'INTEGRITY',
      `${src.url(srcKey)} has ${head.ContentLength ?? '?'} bytes, expected ${o.size}`,
      { input: src.url(srcKey), hint: 'the source was changed or damaged; run `claas verify --deep` on it' },
    );
  }
  const params = {
    ContentType: o.contentType ?? head.ContentType ?? 'application/octet-stream',
    Metadata: { sha256: o.sha256 },
    ...copyWriteParams(o.write, head),
  };
  const source = copySource(from.Bucket, from.Key);
  try {
    if (o.size < (o.multipartThreshold ?? MAX_SINGLE_COPY)) {
      try {
        await client.send(
          new CopyObjectCommand({ ...to, CopySource: source, MetadataDirective: 'REPLACE', ...params }),
          { abortSignal: o.signal },
        );
      } catch (e) {
        // Ceph RGW 16 answers CopyObject of an SSE-KMS object with 501 NotImplemented, yet copies it part
        // by part (UploadPartCopy) fine.
        if (s3ErrorCode(e) !== 'NotImplemented' && httpStatus(e) !== 501) throw e;
        await multipartCopy(dst, to, source, params, o);
      }
    } else {
      await multipartCopy(dst, to, source, params, o);
    }
  } catch (e) {
    if (e instanceof ClaasError) throw e;
    throw mapS3Error(e, 'write', dst.url(dstKey), dst.endpointUrl);
  }
  const after = await client.send(new HeadObjectCommand(to), { abortSignal: o.signal });
  if ((after.ContentLength ?? -1) !== o.size) {
    throw new ClaasError(
      'INTEGRITY',
      `the copy ${dst.url(dstKey)} has ${after.ContentLength ?? '?'} bytes, expected ${o.size}`,
      { input: dst.url(dstKey), hint: 'run the command again' },
    );
  }
}

async function multipartCopy(
  dst: S3Side,
  to: { Bucket: string; Key: string },
  source: string,
  params: Omit<CopyObjectCommandInput, 'Bucket' | 'Key' | 'CopySource'>,
  o: ServerSideCopyOptions,
): Promise<void> {
  const client = dst.client;
  const { TaggingDirective: _directive, ...create } = params;
  const created = await client.send(new CreateMultipartUploadCommand({ ...to, ...create }), {
    abortSignal: o.signal,
  });
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new ClaasError('PROTOCOL', `no upload id for ${dst.url()}`);
  const partSize = choosePartSize(o.size, o.minPartSize ?? 512 * MiB);
  const numbers = Array.from({ length: partCount(o.size, partSize) }, (_, i) => i + 1);
  try {
    const etags = await mapLimited(
      numbers,
      4,
      async (n, signal) => {
        const start = (n - 1) * partSize;
        const end = Math.min(o.size, start + partSize) - 1;
        const out = await client.send(
          new UploadPartCopyCommand({
            ...to,
            UploadId: uploadId,
            PartNumber: n,
            CopySource: source,
            // An empty object is one part without a range.
            ...(o.size === 0 ? {} : { CopySourceRange: `bytes=${start}-${end}` }),
          }),
          { abortSignal: signal },
        );
        const etag = out.CopyPartResult?.ETag;
        if (etag === undefined) throw new ClaasError('PROTOCOL', `no ETag for part ${n} of ${dst.url()}`);
        return etag;
      },
      o.signal,
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        ...to,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
      { abortSignal: o.signal },
    );
  } catch (e) {
    await client.send(new AbortMultipartUploadCommand({ ...to, UploadId: uploadId })).catch(() => undefined);
    throw e;
  }
}
