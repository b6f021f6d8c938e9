// The headers of an object write from a store's write settings: content type, claas's SHA-256 in the
// object's metadata, storage class, encryption and tags. JSON documents (role 'metadata') get the encryption
// only: subscribers read them on every sync, so they stay in the default class and untagged.

import type { PutObjectCommandInput, StorageClass } from '@aws-sdk/client-s3';
import type { PutOptions, WriteSettings } from './types.js';

export type WriteParams = Omit<PutObjectCommandInput, 'Bucket' | 'Key'>;

/** Tags as the x-amz-tagging header: percent-encoding (%20), since RGW keeps a form-encoded '+' as a plus. */
export function taggingHeader(tags: Record<string, string> | undefined): string | undefined {
  if (tags === undefined) return undefined;
  const header = Object.entries(tags)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return header === '' ? undefined : header;
}

/** PutObject / CreateMultipartUpload parameters for an object with this SHA-256. */
export function writeParams(
  all: WriteSettings,
  contentType: string | undefined,
  sha256: string,
  role: PutOptions['role'] = 'data',
): WriteParams {
  const w: WriteSettings = role === 'metadata' ? (all.sse === undefined ? {} : { sse: all.sse }) : all;
  const tags = taggingHeader(w.tags);
  return {
    ContentType: contentType ?? 'application/octet-stream',
    Metadata: { sha256 },
    ...(w.storageClass === undefined ? {} : { StorageClass: w.storageClass as StorageClass }),
    ...(w.sse === undefined ? {} : { ServerSideEncryption: w.sse.mode }),
    ...(w.sse?.mode === 'aws:kms' && w.sse.kmsKeyId !== undefined ? { SSEKMSKeyId: w.sse.kmsKeyId } : {}),
    ...(tags === undefined ? {} : { Tagging: tags }),
  };
}
