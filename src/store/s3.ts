// S3 (AWS or any S3-compatible store) as an ObjectStore: keys live under `<prefix>/`, every object carries
// the SHA-256 claas computed (x-amz-meta-sha256), large objects go up in resumable multipart uploads, and
// every error becomes a ClaasError naming the s3:// URL, never a credential. Loaded lazily by open.ts.

import { Limiter } from '../util/pool.js';
import type { PutObjectCommandInput, S3Client, S3ClientConfig, StorageClass } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ClaasError, badInput } from '../errors.js';
import { displayLocation } from './location.js';
import { checkpointPath, defaultCheckpointDir, loadCheckpoint, removeCheckpoint } from './s3-checkpoint.js';
import { createS3Client, declarePayloadSha256 } from './s3-client.js';
import { endpointDisplay, isAwsEndpoint, DEFAULT_REGION } from './endpoints.js';
import { httpStatus, isAbortError, isMissingObject, mapS3Error, s3ErrorCode } from './s3-errors.js';
import type { S3Op } from './s3-errors.js';
import { multipartPut } from './s3-multipart.js';
import type { PutStats } from './s3-multipart.js';
import { DEFAULT_MIN_PART_SIZE, MiB, choosePartSize } from './s3-part-size.js';
import { withRetry } from './s3-retry.js';
import type { RetryPolicy } from './s3-retry.js';
import { hashReader, integrityError, openPartReader, sha256Hex, sourceSize } from './s3-source.js';
import type { PartReader } from './s3-source.js';
import type {
  ByteRange,
  ListOptions,
  ObjectStore,
  PutOptions,
  PutSource,
  S3Location,
  StoreFeatures,
  StoredObject,
  WriteSettings,
} from './types.js';
import { awsS3 } from './aws-sdk.js';

const {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} = awsS3;

export { choosePartSize } from './s3-part-size.js';
export { mapS3Error } from './s3-errors.js';
export type { PutStats } from './s3-multipart.js';

/** Objects from this size on are uploaded in parts. */
export const DEFAULT_MULTIPART_THRESHOLD = 16 * MiB;
/** Single-request puts in flight at once (each holds its object in memory: at most 16 × 16 MiB). */
const SMALL_PUTS = 16;
/** CopyObject copies up to 5 GiB; larger objects are copied in parts (UploadPartCopy). */
const COPY_OBJECT_LIMIT = 5 * 1024 * MiB;
/** Server-side copy parts are cheap to make large: fewer requests. */
const COPY_MIN_PART_SIZE = 512 * MiB;

export interface S3StoreOptions {
  /** Storage class, encryption and tags for the objects this store writes. */
  write?: WriteSettings;
  /** Where multipart checkpoints live; default ${CLAAS_STATE_DIR:-$XDG_STATE_HOME/claas}/uploads. */
  checkpointDir?: string;
  /**
   * Multipart puts in flight at once (default 4) and parts in flight per multipart put (default 4). Puts below
   * the multipart threshold run up to 16 at once. Memory: about files × (parts + 1) × part size + 16 × threshold.
   */
  concurrency?: { files?: number; parts?: number };
  /** Create the bucket when it does not exist. */
  createBucket?: boolean;
  /** Size from which puts go multipart (default 16 MiB). */
  multipartThreshold?: number;
  /** Smallest part size (default 8 MiB; S3 needs ≥ 5 MiB). Larger objects get larger parts. */
  minPartSize?: number;
  /** Explicit credentials instead of the default chain (e.g. a tenant's read-only key). */
  credentials?: S3ClientConfig['credentials'];
  /** claas's own retry around part and object uploads. */
  retry?: RetryPolicy;
  /** SDK attempts per request (default 5) and connect timeout (default 10 s). */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
}

export interface S3ObjectInfo extends StoredObject {
  /** The SHA-256 claas stored with the object (x-amz-meta-sha256), when present. */
  sha256?: string;
  etag?: string;
  contentType?: string;
  storageClass?: string;
}

export interface MultipartUploadInfo {
  /** Key relative to the store's prefix. */
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface S3StoreExtras {
  readonly location: S3Location;
  readonly client: S3Client;
  /** Endpoint URL in use (AWS's regional endpoint when none is configured). */
  readonly endpointUrl: string;
  /** s3://bucket/prefix[/key]. */
  url(key?: string): string;
  /** head() plus the stored SHA-256, ETag, content type and storage class. */
  stat(key: string): Promise<S3ObjectInfo | undefined>;
  /** Stats of the last put (of `key`, when given). */
  lastPutStats(key?: string): PutStats | undefined;
  /** Unfinished multipart uploads under the prefix (for `claas gc`). */
  listMultipartUploads(): Promise<MultipartUploadInfo[]>;
  /** Aborts an unfinished multipart upload (a missing one is not an error) and drops its checkpoint. */
  abortUpload(key: string, uploadId: string): Promise<void>;
  /** Creates the bucket when missing; true when it was created. */
  ensureBucket(): Promise<boolean>;
  /** Server-side copy of an object to another key under the prefix. */
  copyWithin(fromKey: string, toKey: string): Promise<void>;
  /** Closes the client's connections. */
  close(): void;
}

const KEY_HINT = 'Keys are relative paths below the library root, separated by "/", without "." or "..".';
const MAX_STATS = 1000;

/** An ETag without its quotes (and weak marker), as listings of different servers compare. */
function stripEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}

function checkKey(key: string): void {
  const why =
    typeof key !== 'string' || key === ''
      ? 'is empty'
      : key.startsWith('/')
        ? 'is absolute'
        : /[\u0000-\u001f\u007f\\]/.test(key)
          ? 'contains a control character or backslash'
          : key.split('/').some((s) => s === '' || s === '.' || s === '..')
            ? 'has an empty, "." or ".." segment'
            : undefined;
  if (why !== undefined) throw badInput(`Object key ${JSON.stringify(key)} ${why}`, String(key), KEY_HINT);
}

class S3Store implements ObjectStore, S3StoreExtras {
  readonly kind = 's3' as const;
  readonly display: string;
  readonly client: S3Client;
  readonly endpointUrl: string;
  private readonly base: string;
  private readonly region: string;
  private readonly files: Limiter;
  private readonly small = new Limiter(SMALL_PUTS);
  private readonly partConcurrency: number;
  private readonly threshold: number;
  private readonly minPartSize: number;
  private readonly checkpointDir: string;
  private readonly stats = new Map<string, PutStats>();
  private last: PutStats | undefined;

  constructor(
    readonly location: S3Location,
    private readonly opts: S3StoreOptions,
  ) {
    this.display = displayLocation(location);
    this.region = location.region ?? DEFAULT_REGION;
    this.endpointUrl = endpointDisplay(location.endpoint, this.region);
    this.base = location.prefix === '' ? '' : `${location.prefix}/`;
    const files = Math.max(1, opts.concurrency?.files ?? 4);
    this.partConcurrency = Math.max(1, opts.concurrency?.parts ?? 4);
    this.files = new Limiter(files);
    this.threshold = opts.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    this.minPartSize = opts.minPartSize ?? DEFAULT_MIN_PART_SIZE;
    this.checkpointDir = opts.checkpointDir ?? defaultCheckpointDir();
    this.client = createS3Client({
      ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
      region: this.region,
      ...(location.profile === undefined ? {} : { profile: location.profile }),
      ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
      ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
      ...(opts.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: opts.connectionTimeoutMs }),
      maxSockets: Math.max(64, files * this.partConcurrency + SMALL_PUTS + 16),
    });
  }

  readonly features: StoreFeatures = {
    stat: (key) => this.stat(key),
    putStats: (key) => this.lastPutStats(key),
    multipart: {
      list: () => this.listMultipartUploads(),
      abort: (key, uploadId) => this.abortUpload(key, uploadId),
    },
    bucket: { ensureBucket: () => this.ensureBucket() },
  };

  url(key?: string): string {
    return key === undefined ? this.display : `s3://${this.location.bucket}/${this.base}${key}`;
  }

  private fail(err: unknown, op: S3Op, key?: string): never {
    if (isAbortError(err)) throw err;
    throw mapS3Error(err, op, this.url(key), this.endpointUrl);
  }

  /**
   * HEAD responses have no body, so a 403/400 there cannot tell a wrong secret from a missing permission.
   * Asking again with a GET (one byte) or a one-key list gets S3's error code; the result is then mapped.
   */
  private async diagnose(err: unknown, op: S3Op, key?: string): Promise<never> {
    const status = httpStatus(err);
    if (status === 403 || status === 400 || status === 301) {
      try {
        if (key === undefined) {
          await this.client.send(
            new ListObjectsV2Command({
              Bucket: this.location.bucket,
              MaxKeys: 1,
              ...(this.base === '' ? {} : { Prefix: this.base }),
            }),
          );
        } else {
          await this.client.send(
            new GetObjectCommand({ Bucket: this.location.bucket, Key: this.base + key, Range: 'bytes=0-0' }),
          );
        }
      } catch (detailed) {
        this.fail(detailed, op, key);
      }
    }
    this.fail(err, op, key);
  }

  async stat(key: string): Promise<S3ObjectInfo | undefined> {
    checkKey(key);
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.base + key }),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        mtime: out.LastModified ?? new Date(0),
        ...(out.Metadata?.sha256 === undefined ? {} : { sha256: out.Metadata.sha256 }),
        ...(out.ETag === undefined ? {} : { etag: out.ETag }),
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
        ...(out.StorageClass === undefined ? {} : { storageClass: out.StorageClass }),
      };
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      return this.diagnose(e, 'read', key);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const info = await this.stat(key);
    return info === undefined ? undefined : { key: info.key, size: info.size, mtime: info.mtime };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StoredObject> {
    if (prefix.startsWith('/'))
      throw badInput(`List prefix ${JSON.stringify(prefix)} is absolute`, prefix, KEY_HINT);
    const full = this.base + prefix;
    let token: string | undefined;
    do {
      let page;
      options.onRequest?.();
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.location.bucket,
            MaxKeys: 1000,
            ...(full === '' ? {} : { Prefix: full }),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
      } catch (e) {
        this.fail(e, 'list', prefix === '' ? undefined : prefix);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        const key = o.Key.slice(this.base.length);
        // Folder markers (a zero-byte "dir/" object made by consoles) are not library objects.
        if (key === '' || key.endsWith('/')) continue;
        const etag = stripEtag(o.ETag);
        yield {
          key,
          size: o.Size ?? 0,
          mtime: o.LastModified ?? new Date(0),
          ...(etag === undefined ? {} : { etag }),
          ...(o.StorageClass === undefined ? {} : { storageClass: o.StorageClass }),
        };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    checkKey(key);
    const header =
      range === undefined ? undefined : `bytes=${range.start}-${range.end === undefined ? '' : range.end}`;
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.base + key,
          ...(header === undefined ? {} : { Range: header }),
        }),
      );
      return out.Body as Readable;
    } catch (e) {
      this.fail(e, 'read', key);
    }
  }

  async readBytes(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.base + key }),
      );
      if (out.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (e) {
      if (s3ErrorCode(e) === 'NoSuchKey') return undefined;
      this.fail(e, 'read', key);
    }
  }

  /** The PutObject / CreateMultipartUpload headers from the write settings. */
  private writeParams(
    contentType: string | undefined,
    sha256: string,
    role: 'data' | 'metadata' = 'data',
  ): Omit<PutObjectCommandInput, 'Bucket' | 'Key'> {
    const all = this.opts.write ?? {};
    // Documents subscribers read on every sync stay in the default class and untagged.
    const w = role === 'metadata' ? { ...(all.sse === undefined ? {} : { sse: all.sse }) } : all;
    // Percent-encoding (%20), not URLSearchParams' form encoding: RGW keeps a '+' as a literal plus.
    const tags =
      w.tags === undefined
        ? undefined
        : Object.entries(w.tags)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
            .join('&');
    return {
      ContentType: contentType ?? 'application/octet-stream',
      Metadata: { sha256 },
      ...(w.storageClass === undefined ? {} : { StorageClass: w.storageClass as StorageClass }),
      ...(w.sse === undefined ? {} : { ServerSideEncryption: w.sse.mode }),
      ...(w.sse?.mode === 'aws:kms' && w.sse.kmsKeyId !== undefined ? { SSEKMSKeyId: w.sse.kmsKeyId } : {}),
      ...(tags === undefined || tags === '' ? {} : { Tagging: tags }),
    };
  }

  async put(key: string, source: PutSource, options: PutOptions = {}): Promise<void> {
    checkKey(key);
    const limiter = (await sourceSize(source)) < this.threshold ? this.small : this.files;
    return limiter.run(async () => {
      options.signal?.throwIfAborted();
      const reader = await openPartReader(source);
      try {
        const expected = options.sha256?.toLowerCase();
        const stats =
          reader.size < this.threshold
            ? await this.putSingle(key, await reader.read(0, reader.size), expected, options)
            : await multipartPut(
                {
                  client: this.client,
                  bucket: this.location.bucket,
                  key: this.base + key,
                  url: this.url(key),
                  endpoint: this.endpointUrl,
                  ...(await this.multipartSettings(reader.size, options, expected, reader)),
                  checkpointDir: this.checkpointDir,
                  partConcurrency: this.partConcurrency,
                  ...(this.opts.retry === undefined ? {} : { retry: this.opts.retry }),
                  ...(options.signal === undefined ? {} : { signal: options.signal }),
                  ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
                },
                reader,
              );
        this.record(key, stats);
      } finally {
        await reader.close();
      }
    });
  }

  private async multipartSettings(
    size: number,
    options: PutOptions,
    expected: string | undefined,
    reader: PartReader,
  ) {
    // The hash goes into the object's metadata when the upload is created, so it must be known first;
    // callers normally pass it (from the scan), otherwise one extra read computes it.
    const sha256 = expected ?? (await hashReader(reader, 8 * MiB, options.signal));
    const create = this.writeParams(options.contentType, sha256, options.role);
    return {
      sha256,
      create,
      settings: JSON.stringify(create),
      partSize: choosePartSize(size, this.minPartSize),
    };
  }

  private async putSingle(
    key: string,
    body: Buffer,
    expected: string | undefined,
    options: PutOptions,
  ): Promise<PutStats> {
    const sha256 = sha256Hex(body);
    if (expected !== undefined && expected !== sha256)
      throw integrityError(this.url(key), expected, sha256, key);
    const stats: PutStats = {
      key,
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
          this.client.send(
            new PutObjectCommand({
              Bucket: this.location.bucket,
              Key: this.base + key,
              Body: body,
              ContentLength: body.length,
              ...this.writeParams(options.contentType, sha256, options.role),
            }),
            { abortSignal: options.signal },
          ),
        {
          ...(this.opts.retry === undefined ? {} : { policy: this.opts.retry }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          onRetry: () => stats.retries++,
        },
      );
    } catch (e) {
      this.fail(e, 'write', key);
    }
    options.onProgress?.(body.length);
    return stats;
  }

  private record(key: string, stats: PutStats): void {
    const relative = { ...stats, key };
    this.last = relative;
    this.stats.delete(key);
    this.stats.set(key, relative);
    if (this.stats.size > MAX_STATS) this.stats.delete(this.stats.keys().next().value as string);
  }

  lastPutStats(key?: string): PutStats | undefined {
    return key === undefined ? this.last : this.stats.get(key);
  }

  /** Objects above this size are copied in parts (a property so that tests can lower it). */
  protected copyObjectLimit = COPY_OBJECT_LIMIT;
  protected copyMinPartSize = COPY_MIN_PART_SIZE;

  /**
   * A server-side copy to another key under the prefix: CopyObject up to 5 GiB, UploadPartCopy above.
   * The copy gets this store's write settings (storage class, encryption, tags) and the source's SHA-256.
   */
  async copyWithin(fromKey: string, toKey: string): Promise<void> {
    checkKey(fromKey);
    checkKey(toKey);
    const source = await this.stat(fromKey);
    if (source === undefined) {
      throw new ClaasError('NOT_FOUND', `${this.url(fromKey)} does not exist`, {
        input: this.url(fromKey),
        hint: 'The object to copy is gone; run the command again.',
      });
    }
    const { serverSideCopy } = await import('./s3-copy.js');
    await serverSideCopy(this, fromKey, this, toKey, {
      sha256: source.sha256 ?? '',
      size: source.size,
      ...(source.contentType === undefined ? {} : { contentType: source.contentType }),
      ...(this.opts.write === undefined ? {} : { write: this.opts.write }),
      multipartThreshold: this.copyObjectLimit + 1,
      minPartSize: Math.max(this.minPartSize, this.copyMinPartSize),
    });
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) checkKey(key);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let out;
      try {
        out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.location.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.base + k })), Quiet: true },
          }),
        );
      } catch (e) {
        this.fail(e, 'delete', batch.length === 1 ? batch[0] : undefined);
      }
      const first = (out.Errors ?? []).find((e) => e.Code !== 'NoSuchKey');
      if (first !== undefined) {
        const key = first.Key?.slice(this.base.length);
        const err = Object.assign(new Error(first.Message ?? first.Code ?? 'delete failed'), {
          name: first.Code ?? 'Error',
        });
        this.fail(err, 'delete', key);
      }
    }
  }

  /**
   * One ListObjectsV2 under the library prefix: it works with credentials scoped to the prefix (the
   * policies `claas access policy` prints), where HeadBucket would need bucket-wide s3:ListBucket.
   */
  async probe(): Promise<{ exists: boolean; empty: boolean }> {
    try {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.location.bucket,
          MaxKeys: 1,
          ...(this.base === '' ? {} : { Prefix: this.base }),
        }),
      );
      return { exists: true, empty: (page.Contents ?? []).length === 0 };
    } catch (e) {
      if (s3ErrorCode(e) === 'NoSuchBucket' || (httpStatus(e) === 404 && s3ErrorCode(e) !== 'NoSuchKey')) {
        return { exists: false, empty: true };
      }
      this.fail(e, 'probe');
    }
  }

  async ensureBucket(): Promise<boolean> {
    const { exists } = await this.probe();
    if (exists) return false;
    const constraint =
      isAwsEndpoint(this.location.endpoint) && this.region !== 'us-east-1'
        ? { CreateBucketConfiguration: { LocationConstraint: this.region as never } }
        : {};
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.location.bucket, ...constraint }));
      return true;
    } catch (e) {
      if (s3ErrorCode(e) === 'BucketAlreadyOwnedByYou') return false;
      if (s3ErrorCode(e) === 'BucketAlreadyExists') {
        throw badInput(
          `The bucket name ${this.location.bucket} is taken by another account`,
          this.display,
          'Bucket names are global; choose another one.',
        );
      }
      this.fail(e, 'create-bucket');
    }
  }

  async listMultipartUploads(): Promise<MultipartUploadInfo[]> {
    const uploads: MultipartUploadInfo[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.location.bucket,
            MaxUploads: 1000,
            ...(this.base === '' ? {} : { Prefix: this.base }),
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
          }),
        );
      } catch (e) {
        this.fail(e, 'list');
      }
      for (const u of page.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined) continue;
        uploads.push({
          key: u.Key.slice(this.base.length),
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

  async abortUpload(key: string, uploadId: string): Promise<void> {
    checkKey(key);
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({
          Bucket: this.location.bucket,
          Key: this.base + key,
          UploadId: uploadId,
        }),
      );
    } catch (e) {
      if (s3ErrorCode(e) !== 'NoSuchUpload' && httpStatus(e) !== 404) this.fail(e, 'delete', key);
    }
    const path = checkpointPath(this.checkpointDir, this.endpointUrl, this.location.bucket, this.base + key);
    const cp = await loadCheckpoint(path);
    if (cp?.uploadId === uploadId) await removeCheckpoint(path);
  }

  close(): void {
    this.client.destroy();
  }
}

/** Opens an S3 location as an ObjectStore. Talks to the server only when createBucket is set. */
export async function openS3Store(
  loc: S3Location,
  opts: S3StoreOptions = {},
): Promise<ObjectStore & S3StoreExtras> {
  const store = new S3Store(loc, opts);
  if (opts.createBucket === true) await store.ensureBucket();
  return store;
}
