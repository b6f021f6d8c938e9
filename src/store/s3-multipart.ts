// Resumable multipart uploads. One sequential reader walks the source part by part, feeding the whole-object
// SHA-256 (so the hash covers exactly the bytes sent) and handing each part to a bounded set of concurrent
// UploadPart requests; memory stays at (parts in flight + 1) × part size. Completed parts are checkpointed
// locally; a later put of the same bytes to the same key lists the upload's parts and sends only the
// missing ones. The object becomes visible only at CompleteMultipartUpload, after the hash matched.

import type { CreateMultipartUploadCommandInput, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
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
import type { PutStats } from './types.js';
import { awsS3 } from './aws-sdk.js';

const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} = awsS3;

export type { PutStats } from './types.js';

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
  const stats: PutStats = {
    key: job.key,
    multipart: true,
    parts: partCount(size, job.partSize),
    partsSent: 0,
    partsReused: 0,
    resumed: false,
    retries: 0,
  };
  const path = checkpointPath(job.checkpointDir, job.endpoint, job.bucket, job.key);
  const found = await resumable(job, size, path);
  stats.resumed = found !== undefined;
  const writer =
    found === undefined ? await createUpload(job, size, path) : new CheckpointWriter(path, found.checkpoint);
  const upload = new PartUploads(job, reader, writer, found?.listed ?? new Map(), stats);
  await upload.run();
  await checkWholeHash(job, reader, writer, upload.wholeHash);
  await completeUpload(job, writer, upload.etags, size, stats);
  return stats;
}

/** Starts a new multipart upload and saves its (empty) checkpoint. */
async function createUpload(job: MultipartJob, size: number, path: string): Promise<CheckpointWriter> {
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
  const writer = new CheckpointWriter(path, {
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
  return writer;
}

/**
 * The parts of one upload: read in order by one reader, kept when the server holds these very bytes
 * already, else sent by up to partConcurrency concurrent UploadPart requests.
 */
class PartUploads {
  /** ETag of every part of the object, by part number. */
  readonly etags = new Map<number, string>();
  /**
   * The whole object's SHA-256 is checked before completing: by hashing every part here, or, when the caller
   * hashed this very file and it still has the stat it had then, by checking that stat (no second pass over
   * the bytes: the hash cache's rule, which claas applies to every unchanged file anyway).
   */
  readonly wholeHash: Hash | undefined;
  private readonly uploadId: string;
  private readonly known: Map<number, { ETag: string; sha256?: string }>;
  /** Aborts the parts in flight when one fails for good or the caller's signal fires. */
  private readonly ctrl = new AbortController();
  /** Part buffers whose request has ended, for the next parts (at most partConcurrency + 1 exist). */
  private readonly spare: Buffer[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly job: MultipartJob,
    private readonly reader: PartReader,
    private readonly writer: CheckpointWriter,
    private readonly listed: Map<number, ListedPart>,
    private readonly stats: PutStats,
  ) {
    this.uploadId = writer.checkpoint.uploadId;
    this.known = new Map(writer.checkpoint.parts.map((p) => [p.PartNumber, p]));
    this.wholeHash = reader.unchangedSinceHashed === undefined ? createHash('sha256') : undefined;
  }

  /** Sends or keeps every part; throws when the upload was interrupted or a part failed for good. */
  async run(): Promise<void> {
    const { job } = this;
    const onAbort = () => this.ctrl.abort(job.signal?.reason);
    if (job.signal?.aborted === true) onAbort();
    job.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (let n = 1; n <= this.stats.parts && this.running(); n++) await this.part(n);
      await Promise.all(this.inflight);
    } finally {
      job.signal?.removeEventListener('abort', onAbort);
      await this.writer.flush();
    }
    // Interrupted: the upload and its checkpoint stay, so the next put resumes.
    if (job.signal?.aborted === true) throw job.signal.reason ?? new DOMException('aborted', 'AbortError');
    if (this.failure !== undefined) {
      const error = this.failure.error;
      if (isGoneUpload(error)) await this.writer.remove();
      throw isAbortError(error) ? error : mapS3Error(error, 'write', job.url, job.endpoint);
    }
  }

  private running(): boolean {
    return this.failure === undefined && !this.ctrl.signal.aborted;
  }

  private async part(n: number): Promise<void> {
    const { job } = this;
    const offset = (n - 1) * job.partSize;
    const length = Math.min(job.partSize, this.reader.size - offset);
    const buffer = this.spare.pop() ?? Buffer.allocUnsafe(job.partSize);
    const body = await this.reader.read(offset, length, buffer);
    this.wholeHash?.update(body);
    // One SHA-256 per part: the payload hash the request is signed with (the server refuses other bytes)
    // and what the checkpoint remembers to recognise the part on resume.
    const partSha256 = sha256Hex(body);
    if (await this.keep(n, body, partSha256)) {
      this.spare.push(buffer);
      return;
    }
    while (this.inflight.size >= job.partConcurrency) await Promise.race(this.inflight);
    if (!this.running()) return;
    const task: Promise<void> = this.send(n, body, partSha256)
      .finally(() => this.spare.push(buffer))
      .then(
        () => undefined,
        (error: unknown) => {
          if (this.failure === undefined) {
            this.failure = { error };
            this.ctrl.abort(error);
          }
        },
      );
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
  }

  /**
   * Keeps a part the server has when it holds these very bytes: its checkpointed hash matches, or (for a
   * part that completed just before a kill, before its checkpoint was saved) its ETag is their MD5, computed
   * only for such a part.
   */
  private async keep(n: number, body: Buffer, partSha256: string): Promise<boolean> {
    const have = this.listed.get(n);
    const mine = this.known.get(n);
    const sameBytes =
      have !== undefined &&
      have.Size === body.length &&
      ((mine !== undefined && mine.ETag === have.ETag && mine.sha256 === partSha256) ||
        have.ETag.replace(/"/g, '') === md5Hex(body));
    if (!sameBytes) return false;
    this.etags.set(n, have.ETag);
    this.stats.partsReused++;
    if (mine === undefined) await this.writer.addPart({ PartNumber: n, ETag: have.ETag, sha256: partSha256 });
    this.job.onProgress?.(body.length);
    return true;
  }

  private async send(partNumber: number, body: Buffer, partSha256: string): Promise<void> {
    const { job, ctrl } = this;
    declarePayloadSha256(body, partSha256);
    const out = await withRetry(
      () =>
        job.client.send(
          new UploadPartCommand({
            Bucket: job.bucket,
            Key: job.key,
            UploadId: this.uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
          }),
          { abortSignal: ctrl.signal },
        ),
      { policy: job.retry, signal: ctrl.signal, onRetry: () => this.stats.retries++ },
    );
    if (out.ETag === undefined) throw new Error(`UploadPart ${partNumber} returned no ETag`);
    this.etags.set(partNumber, out.ETag);
    this.stats.partsSent++;
    // Not awaited: the next part need not wait for an fsync. Saves are ordered and flushed before
    // CompleteMultipartUpload; a part whose save was lost is still recognised on resume by its ETag (MD5).
    void this.writer.addPart({ PartNumber: partNumber, ETag: out.ETag, sha256: partSha256 });
    job.onProgress?.(body.length);
  }
}

/** Refuses to complete (and aborts the upload) when the bytes sent are not the ones the caller hashed. */
async function checkWholeHash(
  job: MultipartJob,
  reader: PartReader,
  writer: CheckpointWriter,
  whole: Hash | undefined,
): Promise<void> {
  const uploadId = writer.checkpoint.uploadId;
  if (whole !== undefined) {
    const actual = whole.digest('hex');
    if (actual === job.sha256) return;
    await abortQuietly(job, uploadId);
    await writer.remove();
    throw integrityError(job.url, job.sha256, actual, job.url);
  }
  if (await reader.unchangedSinceHashed!()) return;
  await abortQuietly(job, uploadId);
  await writer.remove();
  throw new ClaasError('INTEGRITY', `the file changed while it was uploaded to ${job.url}`, {
    input: job.url,
    hint: 'Do not change files while claas publishes them, then run the command again.',
  });
}

/** CompleteMultipartUpload: the object becomes visible; the checkpoint goes. */
async function completeUpload(
  job: MultipartJob,
  writer: CheckpointWriter,
  etags: Map<number, string>,
  size: number,
  stats: PutStats,
): Promise<void> {
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
            UploadId: writer.checkpoint.uploadId,
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
      return;
    }
    if (isGoneUpload(e) || s3ErrorCode(e) === 'InvalidPart') await writer.remove();
    throw isAbortError(e) ? e : mapS3Error(e, 'write', job.url, job.endpoint);
  }
  await writer.remove();
}
