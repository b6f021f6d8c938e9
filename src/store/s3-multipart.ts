// Resumable multipart uploads. One sequential reader walks the source part by part, feeding the whole-object
// SHA-256 (so the hash covers exactly the bytes sent) and handing each part to a bounded set of concurrent
// UploadPart requests; memory stays at (parts in flight + 1) × part size. Completed parts are checkpointed
// locally; a later put of the same bytes to the same key lists the upload's parts and sends only the
// missing ones. The object becomes visible only at CompleteMultipartUpload, after the hash matched.

import type { CreateMultipartUploadCommandInput, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { CheckpointWriter, checkpointPath, loadCheckpoint, removeCheckpoint } from './s3-checkpoint.js';
import type { UploadCheckpoint } from './s3-checkpoint.js';
import { httpStatus, isAbortError, mapS3Error, s3ErrorCode } from './s3-errors.js';
import { partCount } from './s3-part-size.js';
import { withRetry } from './s3-retry.js';
import type { RetryPolicy } from './s3-retry.js';
import { integrityError, md5Hex, sha256Hex } from './s3-source.js';
import { declarePayloadSha256 } from './s3-client.js';
import { ClaasError } from '../errors.js';
import type { PartReader } from './s3-source.js';
import { awsS3 } from './aws-sdk.js';

const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} = awsS3;

/** What one put did; lets callers and tests see that a resume sent only the missing parts. */
export interface PutStats {
  key: string;
  multipart: boolean;
  /** Parts of the object (1 for a single PutObject). */
  parts: number;
  /** Parts uploaded by this put. */
  partsSent: number;
  /** Parts an earlier, interrupted put had uploaded and this one kept. */
  partsReused: number;
  /** True when an earlier upload was continued. */
  resumed: boolean;
  /** Requests that claas retried (on top of the SDK's own retries). */
  retries: number;
}

export interface MultipartJob {
  client: S3Client;
  bucket: string;
  /** Full object key, prefix included. */
  key: string;
  /** s3:// URL of the object, for errors. */
  url: string;
  /** Endpoint URL (for the checkpoint name and network errors). */
  endpoint: string;
  /** ContentType, Metadata, StorageClass, SSE and Tagging for CreateMultipartUpload. */
  create: Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>;
  /** Identifies `create`: a checkpoint made with other settings is not resumed. */
  settings: string;
  checkpointDir: string;
  partSize: number;
  partConcurrency: number;
  /** SHA-256 the finished object must have (known before the upload starts: it goes into its metadata). */
  sha256: string;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

interface ListedPart {
  ETag: string;
  Size: number;
}

async function listAllParts(job: MultipartJob, uploadId: string): Promise<Map<number, ListedPart>> {
  const parts = new Map<number, ListedPart>();
  let marker: string | undefined;
  for (;;) {
    const page = await job.client.send(
      new ListPartsCommand({
        Bucket: job.bucket,
        Key: job.key,
        UploadId: uploadId,
        MaxParts: 1000,
        ...(marker === undefined ? {} : { PartNumberMarker: marker }),
      }),
      { abortSignal: job.signal },
    );
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined && p.ETag !== undefined) {
        parts.set(p.PartNumber, { ETag: p.ETag, Size: p.Size ?? -1 });
      }
    }
    if (page.IsTruncated !== true || page.NextPartNumberMarker === undefined) return parts;
    marker = String(page.NextPartNumberMarker);
  }
}

async function abortQuietly(job: MultipartJob, uploadId: string): Promise<void> {
  try {
    await job.client.send(
      new AbortMultipartUploadCommand({ Bucket: job.bucket, Key: job.key, UploadId: uploadId }),
    );
  } catch {
    // Best effort: an orphaned upload is found and aborted by `claas gc` (or a lifecycle rule).
  }
}

/** The upload no longer exists: AWS says NoSuchUpload, Ceph RGW 16 says NoSuchKey (404). */
function isGoneUpload(e: unknown): boolean {
  return s3ErrorCode(e) === 'NoSuchUpload' || (httpStatus(e) === 404 && s3ErrorCode(e) !== 'NoSuchBucket');
}

/** True when the object is there with this upload's size and SHA-256. */
async function alreadyComplete(job: MultipartJob, size: number): Promise<boolean> {
  try {
    const head = await job.client.send(new HeadObjectCommand({ Bucket: job.bucket, Key: job.key }));
    return head.ContentLength === size && head.Metadata?.sha256 === job.sha256;
  } catch {
    return false;
  }
}

/** The checkpoint to continue, with the parts the server still has; undefined = start a new upload. */
async function resumable(
  job: MultipartJob,
  size: number,
  path: string,
): Promise<{ checkpoint: UploadCheckpoint; listed: Map<number, ListedPart> } | undefined> {
  const cp = await loadCheckpoint(path);
  if (cp === undefined) return undefined;
  const matches =
    cp.bucket === job.bucket &&
    cp.key === job.key &&
    cp.size === size &&
    cp.partSize === job.partSize &&
    cp.sha256 === job.sha256 &&
    cp.settings === job.settings;
  if (!matches) {
    await abortQuietly(job, cp.uploadId);
    await removeCheckpoint(path);
    return undefined;
  }
  try {
    return { checkpoint: cp, listed: await listAllParts(job, cp.uploadId) };
  } catch (e) {
    if (isGoneUpload(e)) {
      await removeCheckpoint(path);
      return undefined;
    }
    throw mapS3Error(e, 'write', job.url, job.endpoint);
  }
}

export async function multipartPut(job: MultipartJob, reader: PartReader): Promise<PutStats> {
  const size = reader.size;
  const total = partCount(size, job.partSize);
  const stats: PutStats = {
    key: job.key,
    multipart: true,
    parts: total,
    partsSent: 0,
    partsReused: 0,
    resumed: false,
    retries: 0,
  };
  const path = checkpointPath(job.checkpointDir, job.endpoint, job.bucket, job.key);
  const found = await resumable(job, size, path);
  let writer: CheckpointWriter;
  let listed = new Map<number, ListedPart>();
  if (found !== undefined) {
    stats.resumed = true;
    listed = found.listed;
    writer = new CheckpointWriter(path, found.checkpoint);
  } else {
    let created;
    try {
      created = await job.client.send(
        new CreateMultipartUploadCommand({ Bucket: job.bucket, Key: job.key, ...job.create }),
        { abortSignal: job.signal },
      );
    } catch (e) {
      throw isAbortError(e) ? e : mapS3Error(e, 'write', job.url, job.endpoint);
    }
    if (created.UploadId === undefined)
      throw mapS3Error(new Error('no UploadId'), 'write', job.url, job.endpoint);
    writer = new CheckpointWriter(path, {
      version: 2,
      endpoint: job.endpoint,
      bucket: job.bucket,
      key: job.key,
      uploadId: created.UploadId,
      size,
      partSize: job.partSize,
      sha256: job.sha256,
      settings: job.settings,
      parts: [],
    });
    await writer.save();
  }
  const uploadId = writer.checkpoint.uploadId;
  const known = new Map(writer.checkpoint.parts.map((p) => [p.PartNumber, p]));

  // Aborts the parts in flight when one fails for good or the caller's signal fires.
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(job.signal?.reason);
  if (job.signal?.aborted === true) onAbort();
  job.signal?.addEventListener('abort', onAbort, { once: true });

  const etags = new Map<number, string>();
  /** Part buffers whose request has ended, for the next parts (at most partConcurrency + 1 exist). */
  const spare: Buffer[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  // The whole object's SHA-256 is checked before completing: by hashing every part here, or, when the
  // caller hashed this very file and it still has the stat it had then, by checking that stat (no second
  // pass over the bytes: the hash cache's rule, which claas applies to every unchanged file anyway).
  const trustHash = reader.unchangedSinceHashed;
  const whole = trustHash === undefined ? createHash('sha256') : undefined;

  const sendPart = async (partNumber: number, body: Buffer, partSha256: string): Promise<void> => {
    declarePayloadSha256(body, partSha256);
    const out = await withRetry(
      () =>
        job.client.send(
          new UploadPartCommand({
            Bucket: job.bucket,
            Key: job.key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
          }),
          { abortSignal: ctrl.signal },
        ),
      { policy: job.retry, signal: ctrl.signal, onRetry: () => stats.retries++ },
    );
    if (out.ETag === undefined) throw new Error(`UploadPart ${partNumber} returned no ETag`);
    etags.set(partNumber, out.ETag);
    stats.partsSent++;
    // Not awaited: the next part need not wait for an fsync. Saves are ordered and flushed before
    // CompleteMultipartUpload; a part whose save was lost is still recognised on resume by its ETag (MD5).
    void writer.addPart({ PartNumber: partNumber, ETag: out.ETag, sha256: partSha256 });
    job.onProgress?.(body.length);
  };

  try {
    for (let n = 1; n <= total && failure === undefined && !ctrl.signal.aborted; n++) {
      const offset = (n - 1) * job.partSize;
      const length = Math.min(job.partSize, size - offset);
      const buffer = spare.pop() ?? Buffer.allocUnsafe(job.partSize);
      const body = await reader.read(offset, length, buffer);
      whole?.update(body);
      // One SHA-256 per part: the payload hash the request is signed with (the server refuses other bytes)
      // and what the checkpoint remembers to recognise the part on resume.
      const partSha256 = sha256Hex(body);
      const have = listed.get(n);
      const mine = known.get(n);
      // Keep a part the server has when it holds these very bytes: its checkpointed hash matches, or (for a
      // part that completed just before a kill, before its checkpoint was saved) its ETag is their MD5,
      // computed only for such a part.
      const sameBytes =
        have !== undefined &&
        have.Size === length &&
        ((mine !== undefined && mine.ETag === have.ETag && mine.sha256 === partSha256) ||
          have.ETag.replace(/"/g, '') === md5Hex(body));
      if (sameBytes) {
        spare.push(buffer);
        etags.set(n, have.ETag);
        stats.partsReused++;
        if (mine === undefined) await writer.addPart({ PartNumber: n, ETag: have.ETag, sha256: partSha256 });
        job.onProgress?.(length);
        continue;
      }
      while (inflight.size >= job.partConcurrency) await Promise.race(inflight);
      if (failure !== undefined || ctrl.signal.aborted) break;
      const task: Promise<void> = sendPart(n, body, partSha256)
        .finally(() => spare.push(buffer))
        .then(
          () => undefined,
          (error: unknown) => {
            if (failure === undefined) {
              failure = { error };
              ctrl.abort(error);
            }
          },
        );
      inflight.add(task);
      void task.finally(() => inflight.delete(task));
    }
    await Promise.all(inflight);
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
    await writer.flush();
  }

  // Interrupted: the upload and its checkpoint stay, so the next put resumes.
  if (job.signal?.aborted === true) throw job.signal.reason ?? new DOMException('aborted', 'AbortError');
  if (failure !== undefined) {
    const error = failure.error;
    if (isGoneUpload(error)) await writer.remove();
    throw isAbortError(error) ? error : mapS3Error(error, 'write', job.url, job.endpoint);
  }

  if (whole !== undefined) {
    const actual = whole.digest('hex');
    if (actual !== job.sha256) {
      await abortQuietly(job, uploadId);
      await writer.remove();
      throw integrityError(job.url, job.sha256, actual, job.url);
    }
  } else if (!(await trustHash!())) {
    await abortQuietly(job, uploadId);
    await writer.remove();
    throw new ClaasError('INTEGRITY', `the file changed while it was uploaded to ${job.url}`, {
      input: job.url,
      hint: 'Do not change files while claas publishes them, then run the command again.',
    });
  }

  const parts = [...etags.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
  try {
    await withRetry(
      () =>
        job.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: job.bucket,
            Key: job.key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
          { abortSignal: job.signal },
        ),
      { policy: job.retry, signal: job.signal, onRetry: () => stats.retries++ },
    );
  } catch (e) {
    // A retried Complete whose first try did complete (only the response was lost) finds no upload.
    if (isGoneUpload(e) && (await alreadyComplete(job, size))) {
      await writer.remove();
      return stats;
    }
    if (isGoneUpload(e) || s3ErrorCode(e) === 'InvalidPart') await writer.remove();
    throw isAbortError(e) ? e : mapS3Error(e, 'write', job.url, job.endpoint);
  }
  await writer.remove();
  return stats;
}
