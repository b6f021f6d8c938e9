// The ObjectStore interface: where library bytes live. Implemented by the local file system (fs.ts)
// and by S3-compatible stores (s3.ts). Keys are '/'-separated, relative to the library root.

import type { Readable } from 'node:stream';
import type { BucketReplication, CallerIdentity, LifecycleRule, PolicyJson } from './bucket-config.js';

export type * from './bucket-config.js';

export interface StoredObject {
  key: string;
  size: number;
  mtime: Date;
  /** The ETag (quotes stripped) as an S3 listing gives it for free; undefined for local folders. */
  etag?: string;
  /** The storage class as an S3 listing gives it; undefined for local folders. */
  storageClass?: string;
}

export interface ListOptions {
  /** Called before each request the listing makes: a LIST page on S3, the one folder walk locally. */
  onRequest?: () => void;
}

export interface ByteRange {
  start: number;
  /** Inclusive end; omitted = to the end of the object. */
  end?: number;
}

export interface PutOptions {
  contentType?: string;
  /**
   * 'metadata' for the library's JSON documents: they get the store's encryption but never its storage
   * class or tags (a GLACIER lib.json could not be read by any subscriber). Default 'data'.
   */
  role?: 'data' | 'metadata';
  /** Expected lowercase hex SHA-256; the store verifies it while writing and refuses to commit on mismatch. */
  sha256?: string;
  /** Called with the number of new bytes written, as they are written. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Where a put's bytes come from: memory, or a (range of a) local file that can be re-read on retry. */
export type PutSource =
  | { kind: 'bytes'; data: Uint8Array }
  /**
   * `stat`: the file's size, mtime and inode when the caller computed the SHA-256 it passes in PutOptions;
   * while the file keeps them (checked when the upload starts and before it completes) the upload trusts
   * that hash instead of hashing the file again.
   */
  | {
      kind: 'file';
      path: string;
      offset?: number;
      length?: number;
      stat?: { size: number; mtimeMs: number; ino: number };
    }
  /**
   * Bytes from elsewhere (another store, a vCenter download, a VCSP URL), read once from the start.
   * `size` is required (multipart plans from it); `describe` names the origin in errors (no secrets).
   */
  | { kind: 'stream'; size: number; open: () => Promise<Readable>; describe: string };

export interface ObjectStore {
  /** Display form of the location, safe for logs (never contains credentials). */
  readonly display: string;
  readonly kind: 'fs' | 's3';

  /** Metadata of one object, or undefined when it does not exist. */
  head(key: string): Promise<StoredObject | undefined>;
  /** All objects whose key starts with prefix ('' = everything), in key order. */
  list(prefix: string, options?: ListOptions): AsyncIterable<StoredObject>;
  /** A stream of the object's bytes; throws ClaasError NOT_FOUND when missing. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** The whole object in memory, or undefined when missing. For small JSON documents. */
  readBytes(key: string): Promise<Buffer | undefined>;
  /** Writes an object atomically: readers see the old object or the new one, never a partial one. */
  put(key: string, source: PutSource, options?: PutOptions): Promise<void>;
  /** Deletes objects; missing ones are not an error. */
  delete(keys: string[]): Promise<void>;
  /**
   * Copies an object to another key of the same store without the bytes passing through claas (a hard
   * link or local copy, an S3 server-side copy), atomically: toKey appears whole or not at all. Optional:
   * callers fall back to read + put. Throws NOT_FOUND when fromKey is missing.
   */
  copyWithin?(fromKey: string, toKey: string): Promise<void>;
  /** True when the location exists and is usable as a library root (the folder or bucket exists). */
  probe(): Promise<{ exists: boolean; empty: boolean }>;
  /** The optional capabilities this store has (see StoreFeatures below). */
  readonly features: StoreFeatures;
  /** Releases connections and handles (an S3 client's sockets); the store is not used afterwards. */
  close(): void;
}

/** A parsed location: the embedded default (a local folder) or an S3 bucket/prefix. */
export type Location = FsLocation | S3Location;

export interface FsLocation {
  kind: 'fs';
  /** Absolute path of the library root folder. */
  path: string;
}

export interface S3Location {
  kind: 's3';
  bucket: string;
  /** Key prefix of the library root without leading or trailing '/'; '' = bucket root. */
  prefix: string;
  /** Endpoint URL for S3-compatible stores (also from AWS_ENDPOINT_URL_S3); undefined = AWS. */
  endpoint?: string;
  region?: string;
  /** AWS shared config profile; undefined = the default credential chain. */
  profile?: string;
}

/** Options for writing data objects that storage admins expect (S3 only; ignored by fs). */
export interface WriteSettings {
  storageClass?: string;
  sse?: { mode: 'AES256' } | { mode: 'aws:kms'; kmsKeyId?: string };
  tags?: Record<string, string>;
}

// ---- Optional capabilities (rclone's Features(): declared here once, implemented by fs.ts and s3.ts) ----
// Callers ask `store.features.X` and use it when present; nothing outside src/store inspects a store's
// class or reaches a client.

/** head() plus what the store keeps beside the bytes. */
export interface ObjectInfo extends StoredObject {
  /** The SHA-256 claas stored with the object (S3: x-amz-meta-sha256), when the store keeps one. */
  sha256?: string;
  contentType?: string;
}

/** How one put went (S3 multipart: parts kept from an interrupted earlier run, parts sent now). */
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

export interface MultipartUploadInfo {
  /** Key relative to the library root. */
  key: string;
  uploadId: string;
  initiated: Date;
}

/** Unfinished multipart uploads under the library root (for gc). */
export interface MultipartUploads {
  list(): Promise<MultipartUploadInfo[]>;
  /** Aborts one (a missing one is not an error) and drops its local checkpoint. */
  abort(key: string, uploadId: string): Promise<void>;
}

/**
 * What a copy must find at the source: the object that was planned, not a newer one. A copy whose source is
 * no longer it is refused (CONFLICT for another ETag, INTEGRITY for other bytes) and writes nothing.
 */
export interface CopySourceCondition {
  size: number;
  /** The ETag the planning listing saw (S3 servers compare it with x-amz-copy-source-if-match). */
  etag?: string;
  /**
   * The SHA-256 the copy must carry: streamed and local copies are hashed on the way and refused on mismatch,
   * S3 server-side copies compare the source's stored x-amz-meta-sha256. Undefined for objects whose hash
   * nobody recorded (a library's JSON documents): then size and ETag decide.
   */
  sha256?: string;
}

export interface CopyFromOptions {
  source: CopySourceCondition;
  /** Content type of the copy; undefined = the source's. */
  contentType?: string;
  /** Storage class, encryption and tags of the copy; undefined = the destination store's own settings. */
  write?: WriteSettings;
  /**
   * When the write settings name no encryption: give the copy the source's (an archive of a KMS-encrypted
   * library stays encrypted with its key) instead of the destination bucket's default (a replica in another
   * account, which could not use the origin's key).
   */
  keepSourceEncryption?: boolean;
  /** 'metadata': the write settings' encryption only, never their storage class or tags (see PutOptions). */
  role?: PutOptions['role'];
  /** Objects larger than this are copied in parts (S3 UploadPartCopy); default and maximum 5 GiB. */
  maxSingleCopy?: number;
  /** Smallest part of a copy in parts (default 512 MiB). */
  partSize?: number;
  /** Called with the number of new bytes copied, as parts complete. */
  onProgress?: (bytes: number) => void;
  /** Called before a failed request (a CopyObject, one part) is sent again whole. */
  onRetry?: (error: unknown, attempt: number) => void;
  signal?: AbortSignal;
}

/** A copy whose bytes do not pass through claas: an S3 server-side copy, a local hard link or clone. */
export interface ServerSideCopy {
  /** True when copyFrom(source, ...) can run without streaming: same kind, same endpoint or file system. */
  canCopyFrom(source: ObjectStore): boolean;
  /**
   * Copies source/fromKey to toKey here, atomically (toKey appears whole or not at all). Throws NOT_FOUND when
   * the source is missing, FORBIDDEN when this store's credentials may not read it (callers then stream).
   */
  copyFrom(source: ObjectStore, fromKey: string, toKey: string, options: CopyFromOptions): Promise<void>;
}

/**
 * Bucket-level administration of an S3 location (versioning, bucket policy, replication rules, lifecycle,
 * bucket creation, the caller's identity). Every such SDK call lives in src/store (s3-admin.ts). Failures are
 * ClaasErrors naming the bucket; their `cause` keeps the S3 error code and HTTP status (see
 * s3-errors.ts underlyingCode/underlyingStatus) for callers that explain what a store does not support.
 */
export interface BucketAdmin {
  /** The bucket and how it is reached (the prefix is the store's; bucket settings apply to all of it). */
  readonly location: S3Location;
  /** Creates the bucket when missing; true when it was created. */
  ensureBucket(): Promise<boolean>;
  /** 'Enabled', 'Suspended', or undefined when versioning was never enabled. */
  getVersioning(): Promise<string | undefined>;
  enableVersioning(): Promise<void>;
  /** The bucket policy; undefined when the bucket has none. */
  getPolicy(): Promise<PolicyJson | undefined>;
  /** Replaces the whole bucket policy. */
  putPolicy(policy: PolicyJson): Promise<void>;
  /** The replication configuration; undefined when there is none (or, as Ceph RGW reports it, an empty one). */
  getReplication(): Promise<BucketReplication | undefined>;
  /** Replaces the whole replication configuration. */
  putReplication(config: BucketReplication): Promise<void>;
  /** The lifecycle rules ([] when there are none). */
  getLifecycle(): Promise<LifecycleRule[]>;
  /** Replaces the lifecycle configuration (deletes it when no rule is left). */
  putLifecycle(rules: LifecycleRule[]): Promise<void>;
  /** The access key id of the credentials in use (never the secret); undefined when none resolve. */
  accessKeyId(): Promise<string | undefined>;
  /** Who the credentials belong to: AWS asks STS GetCallerIdentity, S3-compatible stores the ListBuckets owner. */
  callerIdentity(): Promise<CallerIdentity>;
  /**
   * STS GetCallerIdentity only (at the store's endpoint for S3-compatible stores), one attempt; undefined when
   * STS does not answer within timeoutMs (not implemented, no permission, offline, the STS client missing).
   */
  stsIdentity(timeoutMs: number): Promise<CallerIdentity | undefined>;
}

/** SigV4's longest presigned URL: 7 days (less when the credential itself expires sooner). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * Presigned GET URLs: whoever holds one reads that one object, without other credentials, until it expires.
 * The URL is a bearer credential: log the key, never the URL.
 */
export interface PresignedUrls {
  /**
   * A URL for GET of `key` (Range allowed), signed with this store's credential and valid for expiresSeconds
   * (1 to MAX_PRESIGN_SECONDS; a temporary credential's URLs stop working when the credential expires).
   * `contentType`: the Content-Type the store answers with (S3's response-content-type).
   */
  getUrl(key: string, expiresSeconds: number, options?: { contentType?: string }): Promise<string>;
}

/** What PrivateArea.migrate moved (store keys) and how many bytes. */
export interface PrivateAreaMigration {
  moved: string[];
  bytes: number;
}

/**
 * The private area of an S3 library store (issue 16): its provider-private keys (store/private-keys.ts) live
 * at `<controlPrefix>/libraries/<prefix>/`, outside the library prefix, whatever key callers use.
 */
export interface PrivateArea {
  /** s3://bucket/<controlPrefix>/libraries/<prefix>/ */
  readonly url: string;
  /** The bucket key prefix of the area, with its trailing '/'. */
  readonly base: string;
  /** Private objects an older claas left under the library prefix (store keys), in key order. */
  legacy(): AsyncIterable<StoredObject>;
  /** Moves them into the area (server-side copy, then delete of the old object); dryRun only lists them. */
  migrate(options?: { dryRun?: boolean; onObject?: (key: string) => void }): Promise<PrivateAreaMigration>;
}

export interface StoreFeatures {
  /** Where the provider-private keys of an S3 library store live (absent: under the library root). */
  privateArea?: PrivateArea;
  /** Presigned GET URLs (S3): the gateway's direct data path. */
  presign?: PresignedUrls;
  /** Server-side copies into this store (the copy engine, store/transfer.ts, tries this first). */
  copy?: ServerSideCopy;
  /** Unfinished multipart uploads. */
  multipart?: MultipartUploads;
  /** head() plus the stored SHA-256 and content type. */
  stat?(key: string): Promise<ObjectInfo | undefined>;
  /** The local file that holds a key (local folders). */
  localPath?(key: string): string;
  /** Stats of the last put (of `key`, when given). */
  putStats?(key?: string): PutStats | undefined;
  /** Bucket administration (S3). */
  bucket?: BucketAdmin;
}
