// S3 (AWS or any S3-compatible store) as an ObjectStore: keys live under `<prefix>/`, every object carries
// the SHA-256 claas computed (x-amz-meta-sha256), large objects go up in resumable multipart uploads, and
// every error becomes a ClaasError naming the s3:// URL, never a credential. Loaded lazily by open.ts.
// A library store opened with a private area keeps its provider-private keys outside the prefix, in
// `<controlPrefix>/libraries/<prefix>/` (s3-key-map.ts), reading older libraries' ones where they were.

import { Limiter } from '../util/pool.js';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ClaasError, badInput } from '../errors.js';
import { displayLocation } from './location.js';
import { defaultCheckpointDir } from './s3-checkpoint.js';
import { S3BucketAdmin, probeLocation } from './s3-admin.js';
import { createS3Client } from './s3-client.js';
import { endpointDisplay, DEFAULT_REGION } from './endpoints.js';
import { httpStatus, isAbortError, isMissingObject, mapS3Error, s3ErrorCode } from './s3-errors.js';
import type { S3Op } from './s3-errors.js';
import { KEY_HINT, checkKey, stripEtag } from './s3-keys.js';
import { DEFAULT_MIN_PART_SIZE, MiB } from './s3-part-size.js';
import { putMultipart, putSingle } from './s3-put.js';
import type { PutTarget } from './s3-put.js';
import { s3ServerSideCopy, s3SideOf } from './s3-server-copy.js';
import { s3Presigner } from './s3-presign.js';
import type { RetryPolicy } from './s3-retry.js';
import { openPartReader, sourceSize } from './s3-source.js';
import { multipartUploads, withPrivateArea } from './s3-uploads.js';
import { S3KeyMap, mergeListings, onlyPrivate } from './s3-key-map.js';
import { moveOne, s3PrivateArea } from './s3-private-area.js';
import type { PrivateAreaScope } from './s3-private-area.js';
import type {
  ByteRange,
  ListOptions,
  MultipartUploadInfo,
  MultipartUploads,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutSource,
  PutStats,
  S3Location,
  StoreFeatures,
  StoredObject,
  WriteSettings,
} from './types.js';
import { awsS3 } from './aws-sdk.js';
import { deleteBucketKeys } from './s3-delete.js';

const { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } = awsS3;

export { choosePartSize } from './s3-part-size.js';
export { mapS3Error } from './s3-errors.js';
export type { MultipartUploadInfo, PutStats } from './types.js';

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
  /** Object writes carry the canned ACL bucket-owner-full-control (writing into another owner's bucket). */
  bucketOwnerFullControl?: boolean;
  /**
   * A library store's private area (issue 16): its provider-private keys live under
   * `<controlPrefix>/libraries/<prefix>/` (s3-key-map.ts). Unset: every key under the prefix. Ignored at the
   * bucket root and for a store rooted at or under the control prefix.
   */
  privateArea?: { controlPrefix: string };
}

/** head() plus the stored SHA-256, ETag, content type and storage class. */
export type S3ObjectInfo = ObjectInfo;

export interface S3StoreExtras {
  readonly location: S3Location;
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
  /** Server-side copy of an object to another key under the prefix. */
  copyWithin(fromKey: string, toKey: string): Promise<void>;
  /** Closes the client's connections. */
  close(): void;
}

const MAX_STATS = 1000;

class S3Store implements ObjectStore, S3StoreExtras {
  readonly kind = 's3' as const;
  readonly display: string;
  private readonly client: S3Client;
  readonly endpointUrl: string;
  private readonly base: string;
  private readonly keys: S3KeyMap;
  private readonly region: string;
  private readonly files: Limiter;
  private readonly small = new Limiter(SMALL_PUTS);
  private readonly partConcurrency: number;
  private readonly threshold: number;
  private readonly minPartSize: number;
  private readonly checkpointDir: string;
  private readonly stats = new Map<string, PutStats>();
  private last: PutStats | undefined;
  private readonly uploads: MultipartUploads;
  readonly features: StoreFeatures;

  constructor(
    readonly location: S3Location,
    private readonly opts: S3StoreOptions,
  ) {
    this.display = displayLocation(location);
    this.region = location.region ?? DEFAULT_REGION;
    this.endpointUrl = endpointDisplay(location.endpoint, this.region);
    this.keys = new S3KeyMap(location.prefix, opts.privateArea?.controlPrefix);
    this.base = this.keys.base;
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
      ...(opts.bucketOwnerFullControl === true ? { bucketOwnerFullControl: true } : {}),
    });
    this.uploads = this.multipartScopes();
    this.features = {
      presign: s3Presigner({
        client: this.client,
        bucket: location.bucket,
        base: this.base,
        fail: (err, key) => this.fail(err, 'read', key),
      }),
      stat: (key) => this.stat(key),
      putStats: (key) => this.lastPutStats(key),
      multipart: this.uploads,
      copy: s3ServerSideCopy(this, () => ({
        client: this.client,
        location: this.location,
        endpointUrl: this.endpointUrl,
        url: (key) => this.url(key),
        objectKey: (key) => this.keys.objectKey(key),
        ...(this.opts.write === undefined ? {} : { write: this.opts.write }),
        ...(this.opts.retry === undefined ? {} : { retry: this.opts.retry }),
      })),
      bucket: new S3BucketAdmin({
        client: this.client,
        location,
        endpointUrl: this.endpointUrl,
        display: this.display,
      }),
      ...this.privateAreaFeature(),
    };
  }

  url(key?: string): string {
    return key === undefined ? this.display : `s3://${this.location.bucket}/${this.keys.objectKey(key)}`;
  }

  /** Unfinished multipart uploads under the prefix and, for a library store, in its private area. */
  private multipartScopes(): MultipartUploads {
    const scope = (base: string) =>
      multipartUploads({
        client: this.client,
        bucket: this.location.bucket,
        base,
        endpointUrl: this.endpointUrl,
        checkpointDir: this.checkpointDir,
        fail: (err, op, key) => this.fail(err, op, key),
      });
    const area = this.keys.privateBase;
    const pub = scope(this.base);
    return area === undefined ? pub : withPrivateArea(pub, scope(area), (key) => this.keys.relocates(key));
  }

  /** What the private area feature works with; undefined when this store does not relocate. */
  private areaScope(): PrivateAreaScope | undefined {
    const keys = this.keys;
    if (keys.privateBase === undefined) return undefined;
    return {
      keys: keys as S3KeyMap & { privateBase: string },
      side: () => s3SideOf(this)!,
      listPlace: (base, prefix) => this.listPlace(base, prefix, {}),
      deleteBucketKeys: (bucketKeys) => this.deleteBucketKeys(bucketKeys),
    };
  }

  private privateAreaFeature(): Pick<StoreFeatures, 'privateArea'> {
    const scope = this.areaScope();
    return scope === undefined ? {} : { privateArea: s3PrivateArea(scope) };
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
            new GetObjectCommand({
              Bucket: this.location.bucket,
              Key: this.keys.objectKey(key),
              Range: 'bytes=0-0',
            }),
          );
        }
      } catch (detailed) {
        this.fail(detailed, op, key);
      }
    }
    this.fail(err, op, key);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    const found = await this.statAt(key, this.keys.objectKey(key));
    const legacy = this.keys.legacyKey(key);
    return found !== undefined || legacy === undefined ? found : this.statAt(key, legacy);
  }

  /** HEAD of one bucket key, reported as store key `key`. */
  private async statAt(key: string, bucketKey: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: bucketKey }),
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

  list(prefix: string, options: ListOptions = {}): AsyncIterable<StoredObject> {
    if (prefix.startsWith('/'))
      throw badInput(`List prefix ${JSON.stringify(prefix)} is absolute`, prefix, KEY_HINT);
    const places = this.keys.places(prefix);
    if (places.length === 1) return this.listPlace(this.base, prefix, options);
    // A library store's private area and the prefix (legacy private objects), merged in key order.
    return mergeListings(
      places.map((p) => {
        const listing = this.listPlace(p.base, prefix, options);
        return p.privateOnly ? onlyPrivate(listing) : listing;
      }),
    );
  }

  /** The objects under one bucket key prefix (`base` + `prefix`), keys relative to `base`. */
  private async *listPlace(base: string, prefix: string, options: ListOptions): AsyncIterable<StoredObject> {
    const full = base + prefix;
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
        const key = o.Key.slice(base.length);
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
    const get = (bucketKey: string) =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: bucketKey,
          ...(header === undefined ? {} : { Range: header }),
        }),
      );
    try {
      return (await this.withLegacy(key, get)).Body as Readable;
    } catch (e) {
      this.fail(e, 'read', key);
    }
  }

  /** Runs a read of `key`'s bucket key; a relocated key missing there is read at its legacy place. */
  private async withLegacy<T>(key: string, fn: (bucketKey: string) => Promise<T>): Promise<T> {
    const legacy = this.keys.legacyKey(key);
    try {
      return await fn(this.keys.objectKey(key));
    } catch (e) {
      if (legacy === undefined || !isMissingObject(e)) throw e;
      return fn(legacy);
    }
  }

  async readBytes(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    try {
      const out = await this.withLegacy(key, (bucketKey) =>
        this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: bucketKey })),
      );
      if (out.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (e) {
      if (s3ErrorCode(e) === 'NoSuchKey') return undefined;
      this.fail(e, 'read', key);
    }
  }

  async put(key: string, source: PutSource, options: PutOptions = {}): Promise<void> {
    checkKey(key);
    const limiter = (await sourceSize(source)) < this.threshold ? this.small : this.files;
    return limiter.run(async () => {
      options.signal?.throwIfAborted();
      const reader = await openPartReader(source);
      try {
        const target: PutTarget = {
          client: this.client,
          bucket: this.location.bucket,
          key: this.keys.objectKey(key),
          relativeKey: key,
          url: this.url(key),
          endpoint: this.endpointUrl,
          write: this.opts.write ?? {},
          ...(this.opts.retry === undefined ? {} : { retry: this.opts.retry }),
        };
        const stats =
          reader.size < this.threshold
            ? await putSingle(target, await reader.read(0, reader.size), options)
            : await putMultipart(target, reader, options, {
                checkpointDir: this.checkpointDir,
                partConcurrency: this.partConcurrency,
                minPartSize: this.minPartSize,
              });
        this.record(key, stats);
      } finally {
        await reader.close();
      }
    });
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
    // A private source an older claas left under the prefix moves to the private area first.
    const area = this.keys.legacyKey(fromKey) === undefined ? undefined : this.areaScope();
    if (area !== undefined) {
      for await (const o of this.listPlace(this.base, fromKey, {}))
        if (o.key === fromKey) await moveOne(area, o);
    }
    const source = await this.stat(fromKey);
    if (source === undefined) {
      throw new ClaasError('NOT_FOUND', `${this.url(fromKey)} does not exist`, {
        input: this.url(fromKey),
        hint: 'The object to copy is gone; run the command again.',
      });
    }
    await this.features.copy!.copyFrom(this, fromKey, toKey, {
      source: {
        size: source.size,
        ...(source.etag === undefined ? {} : { etag: source.etag }),
        ...(source.sha256 === undefined ? {} : { sha256: source.sha256 }),
      },
      ...(source.contentType === undefined ? {} : { contentType: source.contentType }),
      keepSourceEncryption: true,
      maxSingleCopy: this.copyObjectLimit,
      partSize: Math.max(this.minPartSize, this.copyMinPartSize),
    });
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) checkKey(key);
    // A relocated key goes at both places: an older claas may have written it under the prefix.
    const legacy = keys.map((k) => this.keys.legacyKey(k)).filter((k): k is string => k !== undefined);
    await this.deleteBucketKeys([...keys.map((k) => this.keys.objectKey(k)), ...legacy]);
  }

  /** Deletes bucket keys (store/s3-delete.ts); missing ones are not an error. */
  private async deleteBucketKeys(bucketKeys: string[]): Promise<void> {
    const storeKey = (k: string) => {
      const area = this.keys.privateBase;
      return area !== undefined && k.startsWith(area) ? k.slice(area.length) : k.slice(this.base.length);
    };
    await deleteBucketKeys(this.client, this.location.bucket, bucketKeys, (e, k) =>
      this.fail(e, 'delete', k === undefined ? undefined : storeKey(k)),
    );
  }

  /** Whether the bucket exists and the prefix is empty (one ListObjectsV2: see probeLocation). */
  async probe(): Promise<{ exists: boolean; empty: boolean }> {
    try {
      return await probeLocation(this.client, this.location);
    } catch (e) {
      this.fail(e, 'probe');
    }
  }

  listMultipartUploads(): Promise<MultipartUploadInfo[]> {
    return this.uploads.list();
  }

  abortUpload(key: string, uploadId: string): Promise<void> {
    return this.uploads.abort(key, uploadId);
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
  if (opts.createBucket === true) await store.features.bucket?.ensureBucket();
  return store;
}
