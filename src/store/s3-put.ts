// The two ways an S3 store writes an object: one PutObject for objects below the multipart threshold
// (retried whole), or a resumable multipart upload (s3-multipart.ts). Both carry claas's SHA-256 in the
// object's metadata and sign every body with the SHA-256 of its bytes, so the server refuses other bytes.

import type { S3Client } from '@aws-sdk/client-s3';
import { awsS3 } from './aws-sdk.js';
import { declarePayloadSha256 } from './s3-client.js';
import { isAbortError, mapS3Error } from './s3-errors.js';
import { multipartPut } from './s3-multipart.js';
import { MiB, choosePartSize } from './s3-part-size.js';
import { withRetry } from './s3-retry.js';
import type { RetryPolicy } from './s3-retry.js';
import { hashReader, integrityError, sha256Hex } from './s3-source.js';
import type { PartReader } from './s3-source.js';
import { writeParams } from './s3-write-params.js';
import type { PutOptions, PutStats, WriteSettings } from './types.js';

const { PutObjectCommand } = awsS3;

/** Where one put goes, and with which settings. */
export interface PutTarget {
  client: S3Client;
  bucket: string;
  /** Full object key, prefix included. */
  key: string;
  /** Key relative to the library root (for errors). */
  relativeKey: string;
  /** s3:// URL of the object, for errors. */
  url: string;
  /** Endpoint URL (for checkpoint names and network errors). */
  endpoint: string;
  /** The store's storage class, encryption and tags. */
  write: WriteSettings;
  retry?: RetryPolicy;
}

/** How multipart uploads of a store run. */
export interface MultipartSettings {
  checkpointDir: string;
  partConcurrency: number;
  minPartSize: number;
}

/** One PutObject, retried whole; refused before sending when the bytes are not the expected ones. */
export async function putSingle(t: PutTarget, body: Buffer, options: PutOptions): Promise<PutStats> {
  const expected = options.sha256?.toLowerCase();
  const sha256 = sha256Hex(body);
  if (expected !== undefined && expected !== sha256)
    throw integrityError(t.url, expected, sha256, t.relativeKey);
  const stats: PutStats = {
    key: t.relativeKey,
    multipart: false,
    parts: 1,
    partsSent: 1,
    partsReused: 0,
    resumed: false,
    retries: 0,
  };
  declarePayloadSha256(body, sha256);
  try {
    await withRetry(
      () =>
        t.client.send(
          new PutObjectCommand({
            Bucket: t.bucket,
            Key: t.key,
            Body: body,
            ContentLength: body.length,
            ...writeParams(t.write, options.contentType, sha256, options.role),
          }),
          { abortSignal: options.signal },
        ),
      {
        ...(t.retry === undefined ? {} : { policy: t.retry }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onRetry: () => stats.retries++,
      },
    );
  } catch (e) {
    throw isAbortError(e) ? e : mapS3Error(e, 'write', t.url, t.endpoint);
  }
  options.onProgress?.(body.length);
  return stats;
}

/** A resumable multipart upload of the reader's bytes. */
export async function putMultipart(
  t: PutTarget,
  reader: PartReader,
  options: PutOptions,
  m: MultipartSettings,
): Promise<PutStats> {
  // The hash goes into the object's metadata when the upload is created, so it must be known first;
  // callers normally pass it (from the scan), otherwise one extra read computes it.
  const sha256 = options.sha256?.toLowerCase() ?? (await hashReader(reader, 8 * MiB, options.signal));
  const create = writeParams(t.write, options.contentType, sha256, options.role);
  return multipartPut(
    {
      client: t.client,
      bucket: t.bucket,
      key: t.key,
      url: t.url,
      endpoint: t.endpoint,
      sha256,
      create,
      settings: JSON.stringify(create),
      partSize: choosePartSize(reader.size, m.minPartSize),
      checkpointDir: m.checkpointDir,
      partConcurrency: m.partConcurrency,
      ...(t.retry === undefined ? {} : { retry: t.retry }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    },
    reader,
  );
}
