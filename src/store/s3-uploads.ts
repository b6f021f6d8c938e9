// The unfinished multipart uploads under an S3 store's prefix (its features.multipart, for `claas gc`):
// listing them, and aborting one together with the local checkpoint a resumed put would have continued; for
// a library store with a private area, those in the area too.

import type { S3Client } from '@aws-sdk/client-s3';
import { awsS3 } from './aws-sdk.js';
import { checkpointPath, loadCheckpoint, removeCheckpoint } from './s3-checkpoint.js';
import { httpStatus, s3ErrorCode } from './s3-errors.js';
import { checkKey } from './s3-keys.js';
import type { MultipartUploadInfo, MultipartUploads } from './types.js';

const { AbortMultipartUploadCommand, ListMultipartUploadsCommand } = awsS3;

export interface UploadsScope {
  client: S3Client;
  bucket: string;
  /** The store's key prefix with its trailing '/' ('' = the bucket root). */
  base: string;
  endpointUrl: string;
  checkpointDir: string;
  /** Maps a failed request to the store's ClaasError (op 'list' or 'delete', key relative to the prefix). */
  fail(err: unknown, op: 'list' | 'delete', key?: string): never;
}

export function multipartUploads(s: UploadsScope): MultipartUploads {
  return { list: () => listUploads(s), abort: (key, uploadId) => abortUpload(s, key, uploadId) };
}

/**
 * A library store's uploads: under its prefix and in its private area (s3-key-map.ts). An upload of a private
 * key is aborted at both places: an older claas may have started it under the prefix.
 */
export function withPrivateArea(
  pub: MultipartUploads,
  area: MultipartUploads,
  relocates: (key: string) => boolean,
): MultipartUploads {
  return {
    list: async () => [...(await area.list()), ...(await pub.list())],
    abort: async (key, uploadId) => {
      if (relocates(key)) await area.abort(key, uploadId);
      await pub.abort(key, uploadId);
    },
  };
}

async function listUploads(s: UploadsScope): Promise<MultipartUploadInfo[]> {
  const uploads: MultipartUploadInfo[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await s.client.send(
        new ListMultipartUploadsCommand({
          Bucket: s.bucket,
          MaxUploads: 1000,
          ...(s.base === '' ? {} : { Prefix: s.base }),
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
        }),
      );
    } catch (e) {
      s.fail(e, 'list');
    }
    for (const u of page.Uploads ?? []) {
      if (u.Key === undefined || u.UploadId === undefined) continue;
      uploads.push({
        key: u.Key.slice(s.base.length),
        uploadId: u.UploadId,
        initiated: u.Initiated ?? new Date(0),
      });
    }
    if (page.IsTruncated !== true) return uploads;
    keyMarker = page.NextKeyMarker;
    idMarker = page.NextUploadIdMarker;
    if (keyMarker === undefined && idMarker === undefined) return uploads;
  }
}

/** Aborts one upload (a missing one is not an error) and drops its checkpoint. */
async function abortUpload(s: UploadsScope, key: string, uploadId: string): Promise<void> {
  checkKey(key);
  try {
    await s.client.send(
      new AbortMultipartUploadCommand({ Bucket: s.bucket, Key: s.base + key, UploadId: uploadId }),
    );
  } catch (e) {
    if (s3ErrorCode(e) !== 'NoSuchUpload' && httpStatus(e) !== 404) s.fail(e, 'delete', key);
  }
  const path = checkpointPath(s.checkpointDir, s.endpointUrl, s.bucket, s.base + key);
  const cp = await loadCheckpoint(path);
  if (cp?.uploadId === uploadId) await removeCheckpoint(path);
}
